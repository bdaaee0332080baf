/**
 * #26 (8, 9): a model whose config.json or weights cannot give right answers is refused when it
 * loads, naming the file, the key or the tensor, instead of training to "completed" at ln 2,
 * predicting nothing with exit 0, or answering NaN.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { serializeSafetensors } from '../../src/trainer/checkpoint/safetensors';
import { readWeights } from '../../src/trainer/checkpoint/weightsFiles';
import { MAX_LABELS, parseModelConfig } from '../../src/trainer/model/config';
import { Predictor } from '../../src/trainer/predict/predictor';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');
const tinyConfig = (): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(TINY, 'config.json'), 'utf8'));

/** TINY with its config changed and its weights passed through `edit`. */
function tinyWith(config: Record<string, unknown>, edit?: (name: string, data: Float32Array) => void): string {
  const dir = tempDir();
  for (const f of fs.readdirSync(TINY)) fs.copyFileSync(path.join(TINY, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...tinyConfig(), ...config }));
  if (edit) {
    const { tensors } = readWeights(TINY);
    const out = [...tensors].map(([name, t]) => {
      const data = Float32Array.from(t.data);
      edit(name, data);
      return { name, shape: t.shape, data };
    });
    fs.writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors(out));
  }
  return dir;
}

describe('config.json values that cannot give right answers', () => {
  const base = { model_type: 'bert', vocab_size: 100, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 };

  it('refuses a dropout rate of 1 or more, or below 0, naming the key', () => {
    for (const key of ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout'])
      for (const v of [1, 1.5, -0.1])
        assert.throws(() => parseModelConfig({ ...base, [key]: v }), new RegExp(`"${key}" is ${v}; a dropout rate must be at least 0 and below 1`));
    assert.equal(parseModelConfig({ ...base, hidden_dropout_prob: 0 }).hiddenDropoutProb, 0);
  });

  it('refuses an empty id2label (a 0-class model), and more labels than a classifier takes, before allocating', () => {
    assert.throws(() => parseModelConfig({ ...base, id2label: {} }), /id2label is empty: a classifier needs at least one label/);
    const t0 = Date.now();
    assert.throws(() => parseModelConfig({ ...base, num_labels: 1e9 }), new RegExp(`num_labels is 1000000000; BERT Tune takes at most ${MAX_LABELS}`));
    assert.ok(Date.now() - t0 < 1000);
  });

  it('refuses labels named twice, and ids written twice ("1" and "01")', () => {
    assert.throws(() => parseModelConfig({ ...base, id2label: { 0: 'pos', 1: 'pos' } }), /id2label names "pos" twice \(ids 0 and 1\)/);
    assert.throws(() => parseModelConfig({ ...base, id2label: { 1: 'a', '01': 'b' } }), /each id once; found "01"/);
    assert.deepEqual(parseModelConfig({ ...base, id2label: { 1: 'b', 0: 'a' } }).id2label, ['a', 'b']);
  });

  it('refuses a layer_norm_eps that is not more than 0', () => {
    for (const v of [-1e-12, 0])
      assert.throws(() => parseModelConfig({ ...base, layer_norm_eps: v }), /"layer_norm_eps" is -?[\de.-]+; it must be more than 0/);
  });
});

describe('models that would answer NaN', () => {
  before(() => useBackend('wasm'));

  it('refuses weights holding NaN or an infinity, naming the tensor', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const dir = tinyWith({}, (name, data) => {
        if (name.endsWith('encoder.layer.0.attention.self.query.weight')) data[5] = bad;
      });
      assert.throws(
        () => loadCheckpoint(dir),
        new RegExp(`model\\.safetensors: the weight bert\\.encoder\\.layer\\.0\\.attention\\.self\\.query\\.weight holds ${bad} \\(at index 5`),
      );
    }
  });

  it('answers an error, not NaN, when finite weights overflow', async () => {
    const dir = tinyWith({}, (name, data) => {
      if (name.endsWith('embeddings.word_embeddings.weight')) data.fill(3e38);
    });
    const predictor = new Predictor();
    try {
      await assert.rejects(predictor.predict(dir, [{ text: 'hello world' }]), /gave NaN for the text "hello world": its computation overflows/);
    } finally {
      predictor.dispose();
    }
  });

  it('refuses a tokenizer with ids beyond the embedding table when it loads, not when a word first reaches them', () => {
    const dir = tinyWith({ vocab_size: 50 });
    assert.throws(() => loadCheckpoint(dir), /the tokenizer \(vocab\.txt\) has ids up to \d+, but config\.json's vocab_size is 50/);
  });
});
