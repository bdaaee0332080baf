import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadCheckpoint, saveCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseSafetensors, serializeSafetensors, toFloat32 } from '../../src/trainer/checkpoint/safetensors';
import { writeFolderAtomically } from '../../src/trainer/checkpoint/atomicFolder';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');

/** A copy of tiny-bert with its tensors passed through `edit` and its config patched. */
function variant(edit: (t: Map<string, { shape: number[]; data: Float32Array }>) => void, config: Record<string, unknown> = {}): string {
  const dir = path.join(tempDir(), 'model');
  fs.mkdirSync(dir);
  for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) fs.copyFileSync(path.join(TINY, f), path.join(dir, f));
  const cfg = { ...JSON.parse(fs.readFileSync(path.join(TINY, 'config.json'), 'utf8')), ...config };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const parsed = parseSafetensors(fs.readFileSync(path.join(TINY, 'model.safetensors')));
  const tensors = new Map([...parsed.tensors].map(([k, e]) => [k, { shape: e.shape, data: toFloat32(e) }]));
  edit(tensors);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors([...tensors].map(([name, t]) => ({ name, ...t }))));
  return dir;
}

describe('loadCheckpoint adapts as transformers does, and says so', () => {
  before(() => useBackend('wasm'));

  it('replaces the classifier when the task has other labels', async () => {
    const loaded = loadCheckpoint(TINY, { labels: ['neg', 'pos'], seed: 3 });
    try {
      assert.deepEqual(loaded.config.id2label, ['neg', 'pos']);
      assert.deepEqual(loaded.model.params.get('classifier.weight')!.shape, [32, 2]);
      assert.ok(loaded.notices.some(n => /classifier is new/.test(n)));
      const bias = await loaded.model.params.get('classifier.bias')!.data();
      assert.deepEqual([...bias], [0, 0]);
    } finally {
      loaded.model.dispose();
    }
  });

  it('keeps the classifier when the labels are the same', () => {
    const loaded = loadCheckpoint(TINY, { labels: ['negative', 'neutral', 'positive'] });
    assert.deepEqual(loaded.notices, []);
    loaded.model.dispose();
  });

  it('initialises a missing pooler and classifier fresh (a bare BertModel checkpoint)', () => {
    const dir = variant(t => {
      for (const k of [...t.keys()]) if (k.startsWith('classifier.') || k.startsWith('bert.pooler.')) t.delete(k);
    });
    const loaded = loadCheckpoint(dir);
    assert.ok(
      loaded.notices.some(n => /Initialised fresh.*bert\.pooler\.dense\.weight.*classifier\.bias/.test(n)),
      loaded.notices.join('\n'),
    );
    loaded.model.dispose();
  });

  it('refuses a checkpoint missing encoder weights, naming them', () => {
    const dir = variant(t => t.delete('bert.encoder.layer.1.output.dense.weight'));
    assert.throws(() => loadCheckpoint(dir), /1 BERT weights are missing \(bert\.encoder\.layer\.1\.output\.dense\.weight\)/);
  });

  it('refuses weights whose shape disagrees with config.json', () => {
    const dir = variant(() => {}, { intermediate_size: 48 });
    assert.throws(() => loadCheckpoint(dir), /intermediate\.dense\.weight has shape \[64,32\], but config\.json implies \[48, ?32\]/);
  });

  it('refuses a model_type of no family it runs, naming those it runs', () => {
    const dir = variant(() => {}, { model_type: 'albert' });
    assert.throws(
      () => loadCheckpoint(dir),
      /model_type is "albert", which BERT Tune does not run\. It runs these model types: bert, distilbert, roberta, xlm-roberta/,
    );
  });

  it('names the family whose weights are missing when config.json says another family', () => {
    const dir = variant(() => {}, { model_type: 'roberta' });
    assert.throws(() => loadCheckpoint(dir), /RoBERTa weights are missing \(roberta\.embeddings\.word_embeddings\.weight/);
  });

  it('reads a sharded checkpoint through its index, and refuses a shard outside the folder', () => {
    const dir = variant(() => {});
    const parsed = parseSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors')));
    const names = [...parsed.tensors.keys()];
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((group, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      fs.writeFileSync(
        path.join(dir, file),
        serializeSafetensors(group.map(name => ({ name, shape: parsed.tensors.get(name)!.shape, data: toFloat32(parsed.tensors.get(name)!) }))),
      );
      group.forEach(n => (weightMap[n] = file));
    });
    fs.rmSync(path.join(dir, 'model.safetensors'));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    const loaded = loadCheckpoint(dir);
    assert.equal(loaded.model.params.size, 41);
    loaded.model.dispose();
    weightMap[names[0]] = '../../etc/passwd';
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    assert.throws(() => loadCheckpoint(dir), /not a plain file name/);
  });
});

describe('atomic folder writes', () => {
  it('replaces a folder whole and leaves no temporary folder behind', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'best');
    await writeFolderAtomically(dir, { 'a.txt': 'one' });
    await writeFolderAtomically(dir, { 'b.txt': 'two' });
    assert.deepEqual(fs.readdirSync(dir), ['b.txt']);
    assert.deepEqual(fs.readdirSync(parent), ['best']);
  });

  it('keeps the previous folder when a write fails', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'best');
    await writeFolderAtomically(dir, { 'a.txt': 'one' });
    await assert.rejects(writeFolderAtomically(dir, { 'ok.txt': 'x', '../escape.txt': 'no' }), /not a plain file name/);
    assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
    assert.deepEqual(fs.readdirSync(parent), ['best']);
  });

  it('saves a model that loads with the same predictions', async () => {
    const first = loadCheckpoint(TINY, { labels: ['a', 'b'], seed: 5 });
    const out = path.join(tempDir(), 'm');
    await saveCheckpoint(first.model, TINY, out);
    const second = loadCheckpoint(out, { labels: ['a', 'b'] });
    assert.deepEqual(second.notices, []);
    const w1 = await first.model.params.get('classifier.weight')!.data();
    const w2 = await second.model.params.get('classifier.weight')!.data();
    assert.deepEqual([...w1], [...w2]);
    first.model.dispose();
    second.model.dispose();
  });
});
