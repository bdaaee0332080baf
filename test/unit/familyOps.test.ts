/**
 * The new ops of the families against definitions of their own: the attention's gradient for a
 * trained score bias (DeBERTa) against tfjs's autodiff of the separate ops, ModernBERT's RoPE
 * tables against float64, DeBERTa's log buckets against the float64 formula.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { attention, separateOps } from '../../src/trainer/model/attention';
import { logBucket, relativePositions } from '../../src/trainer/model/families/deberta';
import { rotaryTables } from '../../src/trainer/model/families/modernbert';
import { Random } from '../../src/trainer/util/random';
import { useBackend } from './backendSetup';

before(async () => {
  await useBackend('wasm');
});

describe('attention with a trained score bias', () => {
  for (const shape of [
    { batch: 2, queries: 7, keys: 7, heads: 3, headSize: 4 },
    { batch: 1, queries: 1, keys: 1, heads: 1, headSize: 2 },
  ]) {
    it(`gives the bias the gradient autodiff gives it (${shape.batch}×${shape.heads}×${shape.queries}×${shape.keys})`, async () => {
      const random = new Random(9);
      const values = (n: number) => Float32Array.from({ length: n }, () => random.normal());
      const H = shape.heads * shape.headSize;
      const q = tf.tensor2d(values(shape.batch * shape.queries * H), [shape.batch * shape.queries, H]);
      const k = tf.tensor2d(values(shape.batch * shape.keys * H), [shape.batch * shape.keys, H]);
      const v = tf.tensor2d(values(shape.batch * shape.keys * H), [shape.batch * shape.keys, H]);
      const biasShape = [shape.batch, shape.heads, shape.queries, shape.keys];
      const bias = tf.tensor4d(values(biasShape.reduce((a, b) => a * b)), biasShape as [number, number, number, number]);
      const r = tf.tensor2d(values(shape.batch * shape.queries * H), [shape.batch * shape.queries, H]);
      const grads = (fn: typeof attention) =>
        tf.grads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(fn(qq as tf.Tensor2D, kk as tf.Tensor2D, vv as tf.Tensor2D, b as tf.Tensor4D, shape, { rate: 0, seed: 1 }, true), r)),
        )([q, k, v, bias]);
      const ours = await Promise.all(grads(attention).map(g => g.data()));
      const reference = await Promise.all(grads((a, b, c, m, s, d) => separateOps(a, b, c, m, s, d!)).map(g => g.data()));
      ours.forEach((g, i) => g.forEach((x, j) => assert.ok(Math.abs(x - reference[i][j]) < 1e-5, `gradient ${i}[${j}]: ${x} vs ${reference[i][j]}`)));
      // (with one key the softmax is 1 whatever the bias: its gradient is 0 there)
      if (shape.keys > 1)
        assert.ok(
          ours[3].some(x => x !== 0),
          'the bias has a gradient',
        );
      tf.dispose([q, k, v, bias, r]);
    });
  }
});

describe("ModernBERT's rotary tables", () => {
  it('are cos and sin of position × θ^(−2k/d), the halves repeated, within float32 of float64', () => {
    for (const [theta, d, S] of [
      [160_000, 8, 50],
      [10_000, 2, 1],
      [10_000, 64, 300],
    ]) {
      const { cos, sin } = rotaryTables(theta, d, S);
      for (let p = 0; p < S; p++)
        for (let j = 0; j < d; j++) {
          const angle = p / Math.pow(theta, (2 * (j % (d / 2))) / d);
          // float32 frequencies: the angle is off by up to p · 2^-24 relative
          const tolerance = 1e-6 + Math.abs(angle) * 2 ** -22;
          assert.ok(Math.abs(cos[p * d + j] - Math.cos(angle)) <= tolerance, `cos at ${p}, ${j}`);
          assert.ok(Math.abs(sin[p * d + j] - Math.sin(angle)) <= tolerance, `sin at ${p}, ${j}`);
        }
    }
  });
});

describe("DeBERTa's relative positions", () => {
  it('keep distances within half the buckets and take the log beyond, odd in the distance, as the float64 formula does', () => {
    for (const [buckets, maxPosition] of [
      [256, 512],
      [16, 64],
      [2, 8],
    ]) {
      const mid = Math.floor(buckets / 2);
      for (let rel = -maxPosition; rel <= maxPosition; rel++) {
        const abs = rel < mid && rel > -mid ? mid - 1 : Math.abs(rel);
        const expected = abs <= mid ? rel : Math.sign(rel) * (Math.ceil((Math.log(abs / mid) / Math.log((maxPosition - 1) / mid)) * (mid - 1)) + mid);
        assert.equal(logBucket(rel, buckets, maxPosition), expected, `${rel} in ${buckets} buckets`);
        assert.equal(logBucket(-rel, buckets, maxPosition) + logBucket(rel, buckets, maxPosition), 0);
      }
    }
  });

  it('are i − j without buckets', () => {
    const o = { positionBuckets: -1, maxRelativePositions: 8 } as Parameters<typeof relativePositions>[1];
    assert.deepEqual([...relativePositions(3, o)], [0, -1, -2, 1, 0, -1, 2, 1, 0]);
  });
});
