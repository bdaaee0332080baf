/**
 * #14: checkpoints as torch 2.13 and transformers 5 really write them (test/fixtures/torch/real/,
 * made by test/fixtures/make-real-checkpoints.py): a state dict with its _metadata, a renamed
 * archive, save_pretrained's safetensors, BertModel and BertForMaskedLM with their own heads, and
 * the pre-1.6 format, refused by name.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { readTorchCheckpoint, unpickle } from '../../src/trainer/checkpoint/torchPickle';
import { padBatch } from '../../src/trainer/train/batches';
import { batchTensors, disposeInputs } from '../../src/trainer/step/batch';
import { useBackend } from './backendSetup';

const REAL = path.join(__dirname, '..', 'fixtures', 'torch', 'real');

interface Reference {
  torch: string;
  transformers: string;
  texts: string[];
  input_ids: number[][];
  logits?: number[][];
  weights?: Record<string, number[]>;
}
const reference = (name: string): Reference => JSON.parse(fs.readFileSync(path.join(REAL, name, 'reference.json'), 'utf8'));

describe('checkpoints written by the real torch.save and save_pretrained', () => {
  before(() => useBackend('wasm'));

  it('were written by torch 2 and transformers 5', () => {
    const r = reference('seqcls-state-dict');
    assert.match(r.torch, /^2\./);
    assert.match(r.transformers, /^5\./);
  });

  for (const name of ['seqcls-state-dict', 'renamed-archive', 'seqcls-save-pretrained']) {
    it(`${name}: the same token ids and logits within 1e-4 of transformers, and its labels`, () => {
      const ref = reference(name);
      const loaded = loadCheckpoint(path.join(REAL, name));
      try {
        assert.deepEqual(loaded.config.id2label, ['negative', 'positive', 'mixed']);
        const ids = ref.texts.map(t => loaded.tokenizer.encode(t, undefined, 64).inputIds);
        assert.deepEqual(ids, ref.input_ids);
        const batch = padBatch(
          ids.map((inputIds, i) => ({ inputIds, tokenTypeIds: inputIds.map(() => 0), label: 0, line: i + 1 })),
          loaded.tokenizer.padId,
        );
        const inputs = batchTensors(batch);
        const logits = tf.tidy(() => loaded.model.forward(inputs, { training: false }).logits.arraySync() as number[][]);
        disposeInputs(inputs);
        logits.forEach((row, i) =>
          row.forEach((v, c) => assert.ok(Math.abs(v - ref.logits![i][c]) < 1e-4, `${name} text ${i} label ${c}: ${v} vs ${ref.logits![i][c]}`)),
        );
      } finally {
        loaded.model.dispose();
      }
    });
  }

  it("reads a real state dict's _metadata and ignores it, still refusing any other BUILD state", () => {
    const file = path.join(REAL, 'seqcls-state-dict', 'pytorch_model.bin');
    assert.ok(readTorchCheckpoint(file).has('bert.embeddings.word_embeddings.weight'));
    // an OrderedDict whose BUILD state sets something else than _metadata
    const pickle = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      Buffer.from('ccollections\nOrderedDict\n', 'latin1'),
      Buffer.from([0x29, 0x52]), // EMPTY_TUPLE, REDUCE
      Buffer.from([0x7d, 0x58, 5, 0, 0, 0]),
      Buffer.from('evil!', 'latin1'),
      Buffer.from([0x4b, 1, 0x73]), // {"evil!": 1}
      Buffer.from([0x62, 0x2e]), // BUILD, STOP
    ]);
    assert.throws(() => unpickle(pickle), /BUILD with state that a weights file never holds/);
  });

  for (const [name, prefix] of [
    ['masked-lm', 'bert.'],
    ['bert-model', ''],
  ] as const) {
    it(`${name}: loads the encoder's weights as saved, and says which heads are new or unused`, async () => {
      const ref = reference(name);
      const loaded = loadCheckpoint(path.join(REAL, name), { labels: ['a', 'b'] });
      try {
        const mine = new Map([...(await loaded.model.toTorch())].map(([k, v]) => [k, v.data])); // in torch's layout
        for (const [key, first] of Object.entries(ref.weights!)) {
          const ours = mine.get(key.startsWith('bert.') ? key : `bert.${key}`);
          assert.ok(ours, `${key} is loaded`);
          first.forEach((v, i) => assert.ok(Math.abs(ours[i] - v) < 1e-7, `${key}[${i}]`));
        }
        assert.ok(
          loaded.notices.some(n => /classifier is new|Initialised fresh/.test(n)),
          loaded.notices.join('\n'),
        );
        if (name === 'masked-lm') {
          assert.ok(
            loaded.notices.some(n => /Not used: .*cls\.predictions/.test(n)),
            loaded.notices.join('\n'),
          );
          assert.ok(
            loaded.notices.some(n => /Initialised fresh.*bert\.pooler/.test(n)),
            'BertForMaskedLM has no pooler: a fresh one',
          );
        }
        assert.ok(Object.keys(ref.weights!).every(k => k.startsWith(prefix)));
      } finally {
        loaded.model.dispose();
      }
    });
  }

  it("torch 1.13's module.state_dict() (its _metadata too) loads with the reference weights", async () => {
    const loaded = loadCheckpoint(path.join(REAL, '..', 'tiny-bert-torch1-state-dict'));
    const reference = loadCheckpoint(path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert'));
    try {
      const a = await loaded.model.toTorch();
      const b = await reference.model.toTorch();
      for (const [name, t] of b) assert.deepEqual([...a.get(name)!.data], [...t.data], name);
    } finally {
      loaded.model.dispose();
      reference.model.dispose();
    }
  });

  it('refuses the pre-1.6 (non-zip) format by name, saying how to convert it', () => {
    assert.throws(
      () => loadCheckpoint(path.join(REAL, 'legacy-format')),
      /not a zip archive\. Checkpoints from torch older than 1\.6 \(legacy tar\/pickle format\) are not supported; re-save with torch\.save or convert to safetensors/,
    );
  });
});
