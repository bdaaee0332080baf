import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { attention, separateOps, type AttentionDropout, type AttentionShape } from '../../src/trainer/model/attention';
import { Random } from '../../src/trainer/util/random';
import { tapeGradients } from '../../src/trainer/step/tapeGradients';
import { useBackend } from './backendSetup';

const MASK = -3.4028234663852886e38;

/**
 * Value and gradients of Σ r·attention(q, k, v) with respect to q, k and v, and the peak bytes of
 * the gradients of `depth` attentions in a row (each one's output its next one's q, k and v).
 */
async function run(
  fn: (q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor4D, shape: AttentionShape, drop: AttentionDropout) => tf.Tensor2D,
  shape: AttentionShape,
  drop: AttentionDropout,
  depth = 1,
) {
  const random = new Random(5);
  const hidden = shape.heads * shape.headSize;
  const values = (n: number) => Float32Array.from({ length: n }, () => random.normal());
  const variable = (rows: number) => tf.tidy(() => tf.variable(tf.tensor2d(values(rows * hidden), [rows, hidden])));
  const q = variable(shape.batch * shape.queries);
  const k = variable(shape.batch * shape.keys);
  const v = variable(shape.batch * shape.keys);
  // The second row attends to its first 5 positions only.
  const mask = tf.tensor4d(
    Array.from({ length: shape.batch * shape.keys }, (_, i) => (i >= shape.keys && i % shape.keys >= 5 ? MASK : 0)),
    [shape.batch, 1, 1, shape.keys],
  );
  const r = tf.tensor2d(values(shape.batch * shape.queries * hidden), [shape.batch * shape.queries, hidden]);
  try {
    const out = fn(q, k, v, mask, shape, drop);
    const value = (await out.data()) as Float32Array;
    out.dispose();
    let grads!: ReturnType<typeof tapeGradients>;
    const inUse = tf.memory().numBytes;
    const chain = () => {
      let x = fn(q, k, v, mask, shape, drop);
      for (let d = 1; d < depth; d++) x = fn(x, x, x, mask, shape, drop);
      return tf.sum(tf.mul(x, r)) as tf.Scalar;
    };
    const peak = (await tf.profile(() => void (grads = tapeGradients(chain)))).peakBytes - inUse;
    const g = await Promise.all([q, k, v].map(x => grads.grads.get(x.name)!.data()));
    tf.dispose([grads.value, ...grads.grads.values()]);
    return { value, g, peak };
  } finally {
    tf.dispose([q, k, v, mask, r]);
  }
}

describe('attention as one op', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const [label, shape] of [
      ['every position', { batch: 2, queries: 9, keys: 9, heads: 3, headSize: 4 }],
      ['[CLS] only', { batch: 2, queries: 1, keys: 9, heads: 3, headSize: 4 }],
    ] as const) {
      it(`on ${backend}, ${label}: the values and gradients of the separate ops, bit for bit, with and without dropout`, async () => {
        await useBackend(backend);
        for (const drop of [
          { rate: 0, seed: 0 },
          { rate: 0.2, seed: 77 },
        ]) {
          const before = tf.memory().numTensors;
          const fused = await run(attention, shape, drop);
          const separate = await run(separateOps, shape, drop);
          assert.deepEqual(fused.value, separate.value, 'value');
          ['q', 'k', 'v'].forEach((name, i) => assert.deepEqual(fused.g[i], separate.g[i], `gradient of ${name}`));
          assert.equal(tf.memory().numTensors, before, 'tensors left behind');
        }
      });
    }
  }

  it('keeps less for the backward pass than the separate ops (eight attentions in a row: what they keep adds up)', async () => {
    await useBackend('wasm');
    const shape = { batch: 4, queries: 64, keys: 64, heads: 4, headSize: 16 };
    const drop = { rate: 0.1, seed: 3 };
    const fused = await run(attention, shape, drop, 8);
    const separate = await run(separateOps, shape, drop, 8);
    assert.ok(fused.peak < 0.6 * separate.peak, `peak ${fused.peak} bytes beyond the inputs, against ${separate.peak}`);
  });
});
