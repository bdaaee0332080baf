import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint, type LoadedModel } from '../../src/trainer/checkpoint/hfCheckpoint';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');

interface LogitsLine {
  batch: number;
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
  logits: number[];
  logits_unbatched: number[];
  cls_hidden: number[];
  pooled?: number[];
  num_tokens: number;
}
const lines: LogitsLine[] = fs
  .readFileSync(path.join(TINY, 'logits.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map(l => JSON.parse(l));

function batchTensors(rows: LogitsLine[]) {
  return {
    inputIds: tf.tensor2d(
      rows.map(r => r.input_ids),
      undefined,
      'int32',
    ),
    tokenTypeIds: tf.tensor2d(
      rows.map(r => r.token_type_ids),
      undefined,
      'int32',
    ),
    attentionMask: tf.tensor2d(
      rows.map(r => r.attention_mask),
      undefined,
      'int32',
    ),
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`Classifier on ${backend} against Hugging Face (tiny-bert)`, () => {
    let loaded: LoadedModel;
    before(async () => {
      assert.equal(await useBackend(backend), backend);
      loaded = loadCheckpoint(TINY);
    });
    after(() => loaded?.model.dispose());

    it('loads the checkpoint with all 41 tensors and no notices', () => {
      assert.equal(loaded.model.params.size, 41);
      assert.equal(loaded.model.numParameters, 1_011_459);
      assert.deepEqual(loaded.notices, []);
      assert.deepEqual(loaded.config.id2label, ['negative', 'neutral', 'positive']);
    });

    it('matches the padded-batch logits within 1e-6 and [CLS] states within 1e-5', async t => {
      let worstLogit = 0;
      let worstCls = 0;
      let worstPooled = 0;
      for (const b of [0, 1, 2, 3]) {
        const rows = lines.filter(l => l.batch === b);
        const inputs = batchTensors(rows);
        const out = loaded.model.forward(inputs, { training: false });
        const logits = (await out.logits.array()) as number[][];
        const cls = (await out.clsHidden.array()) as number[][];
        const pooled = (await out.pooled.array()) as number[][];
        rows.forEach((r, i) => {
          worstLogit = Math.max(worstLogit, maxAbsDiff(logits[i], r.logits));
          worstCls = Math.max(worstCls, maxAbsDiff(cls[i], r.cls_hidden));
          if (r.pooled) worstPooled = Math.max(worstPooled, maxAbsDiff(pooled[i], r.pooled));
        });
        tf.dispose([inputs.inputIds, inputs.tokenTypeIds, inputs.attentionMask, out.logits, out.clsHidden, out.pooled]);
      }
      t.diagnostic(`max |Δ| logits ${worstLogit.toExponential(2)}, cls_hidden ${worstCls.toExponential(2)}, pooled ${worstPooled.toExponential(2)}`);
      assert.ok(worstLogit <= 1e-6, `logits differ by ${worstLogit}`);
      assert.ok(worstCls <= 1e-5, `cls_hidden differs by ${worstCls}`);
      assert.ok(worstPooled <= 1e-5, `pooled differs by ${worstPooled}`);
    });

    it('gives an unpadded example the same logits as transformers does', async () => {
      let worst = 0;
      for (const r of lines.slice(0, 8)) {
        const n = r.num_tokens;
        const one = { ...r, input_ids: r.input_ids.slice(0, n), attention_mask: r.attention_mask.slice(0, n), token_type_ids: r.token_type_ids.slice(0, n) };
        const inputs = batchTensors([one]);
        const out = loaded.model.forward(inputs, { training: false });
        worst = Math.max(worst, maxAbsDiff((await out.logits.data()) as Float32Array, r.logits_unbatched));
        tf.dispose([inputs.inputIds, inputs.tokenTypeIds, inputs.attentionMask, out.logits, out.clsHidden, out.pooled]);
      }
      assert.ok(worst <= 1e-6, `unbatched logits differ by ${worst}`);
    });

    // 1,000 on WASM; the pure-JS backend is ~30× slower, and the same code path leaks or not on either.
    const passes = backend === 'wasm' ? 1000 : 50;
    it(`leaves no tensor behind over ${passes} forward passes`, async () => {
      const inputs = batchTensors(lines.filter(l => l.batch === 1).slice(0, 4));
      const before = tf.memory().numTensors;
      for (let i = 0; i < passes; i++) {
        const out = loaded.model.forward(inputs, { training: false });
        tf.dispose([out.logits, out.clsHidden, out.pooled]);
      }
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([inputs.inputIds, inputs.tokenTypeIds, inputs.attentionMask]);
    });
  });
}

describe('save → load round trip', () => {
  it('gives back identical tensors and config', async () => {
    await useBackend('wasm');
    const first = loadCheckpoint(TINY);
    const out = path.join(tempDir(), 'saved');
    await saveCheckpoint(first.model, TINY, out);
    const second = loadCheckpoint(out);
    try {
      assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt']);
      const a = await first.model.toTorch();
      const b = await second.model.toTorch();
      for (const [name, t] of a) {
        assert.deepEqual(b.get(name)!.shape, t.shape, name);
        assert.ok(Buffer.from(b.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), `${name} differs`);
      }
      assert.deepEqual(second.config.id2label, first.config.id2label);
      const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
      assert.deepEqual(config.label2id, { negative: 0, neutral: 1, positive: 2 });
      assert.equal(config.model_type, 'bert');
      // the original file and ours hold the same bytes for every tensor
      assert.equal(fs.statSync(path.join(out, 'model.safetensors')).size, fs.statSync(path.join(TINY, 'model.safetensors')).size);
    } finally {
      first.model.dispose();
      second.model.dispose();
    }
  });
});

describe('a model whose trained weights live elsewhere (gradient workers)', () => {
  it('made on the pure-JS backend while WASM is active, then released: its memory goes, its names, shapes and size stay, and using it says so', async () => {
    await useBackend('wasm');
    const { onBackend } = await import('../../src/trainer/backend');
    const wasmBytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const heap = wasmBytes();
    const bytes = tf.memory().numBytes;
    const { model } = await onBackend('cpu', () => loadCheckpoint(TINY));
    assert.equal(tf.getBackend(), 'wasm', 'the active backend is back');
    assert.equal(wasmBytes(), heap, 'nothing went into the WASM heap');
    const parameters = model.numParameters;
    assert.ok(tf.memory().numBytes >= bytes + parameters * 4);
    model.releaseWeights();
    assert.equal(tf.memory().numBytes, bytes, 'the weights are freed');
    assert.equal(model.numParameters, parameters);
    assert.equal(model.specs.length, model.params.size);
    await assert.rejects(async () => model.torchSources()[0].data(), /disposed/);
    model.dispose();
  });
});
