import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { activation, dense, embeddingLookup, layerNorm } from '../../src/trainer/model/ops';
import { useBackend } from './backendSetup';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `at ${i}: ${a[i]} vs ${b[i]}`);
};

/** erf in float64: its Maclaurin series below 3, else 1 − erfc by the continued fraction (Lentz). */
function erf64(z: number): number {
  const a = Math.abs(z);
  if (a < 3) {
    let sum = 0;
    let term = a;
    for (let n = 0; n < 200 && (n < 3 || Math.abs(term) > 1e-17 * Math.abs(sum));) {
      sum += term / (2 * n + 1);
      n++;
      term *= (-a * a) / n;
    }
    return ((Math.sign(z) * 2) / Math.sqrt(Math.PI)) * sum;
  }
  let f = a;
  let c = a;
  let d = 0;
  for (let k = 1; k < 300; k++) {
    d = 1 / (a + (k / 2) * d);
    c = a + k / 2 / c;
    f *= c * d;
    if (Math.abs(c * d - 1) < 1e-16) break;
  }
  return Math.sign(z) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`custom gradients on ${backend}`, () => {
    before(() => useBackend(backend));

    it('embedding lookup: the gradient sums the rows of repeated ids', async () => {
      const table = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]);
      const ids = tf.tensor1d([2, 0, 2, 3], 'int32');
      const dy = tf.tensor2d([
        [1, 10],
        [2, 20],
        [3, 30],
        [4, 40],
      ]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), dy)))(table);
      assert.deepEqual(await g.array(), [
        [2, 20],
        [0, 0],
        [4, 40],
        [4, 40],
      ]);
      assert.deepEqual(await embeddingLookup(table, ids).array(), [
        [5, 6],
        [1, 2],
        [5, 6],
        [7, 8],
      ]);
      tf.dispose([table, ids, dy, g]);
    });

    it('dense: value and gradients equal plain matMul + add', async () => {
      const x = tf.tensor2d([
        [0.5, -1, 2],
        [1.5, 0.25, -0.75],
      ]);
      const w = tf.tensor2d([
        [1, 2],
        [-1, 0.5],
        [0.25, -2],
      ]);
      const b = tf.tensor1d([0.1, -0.2]);
      const dy = tf.tensor2d([
        [1, -1],
        [0.5, 2],
      ]);
      const ours = tf.grads((x_: tf.Tensor, w_: tf.Tensor, b_: tf.Tensor) =>
        tf.sum(tf.mul(dense(x_ as tf.Tensor2D, w_ as tf.Tensor2D, b_ as tf.Tensor1D), dy)),
      )([x, w, b]);
      const expectedDx = tf.matMul(dy, w, false, true);
      const expectedDw = tf.matMul(x, dy, true, false);
      close(await ours[0].data(), await expectedDx.data(), 1e-6);
      close(await ours[1].data(), await expectedDw.data(), 1e-6);
      close(await ours[2].data(), await tf.sum(dy, 0).data(), 1e-6);
      close(await dense(x, w, b).data(), await tf.add(tf.matMul(x, w), b).data(), 1e-6);
      tf.dispose([x, w, b, dy, ...ours, expectedDx, expectedDw]);
    });
    it("gelu: the value is the float64 definition's, the one-kernel gradient autodiff's of x·Φ(x), tails included", async () => {
      const x = tf.tensor2d(
        Float32Array.from({ length: 3 * 257 }, (_, i) => -14 + (28 * i) / (3 * 257)), // 771: a tail past the SIMD width
        [3, 257],
      );
      const dy = tf.randomNormal([3, 257], 0, 1, 'float32', 9);
      const plain = (a: tf.Tensor) => tf.mul(tf.mul(a, 0.5), tf.add(tf.erf(tf.mul(a, Math.SQRT1_2)), 1));
      const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(activation(a as tf.Tensor2D, 'gelu'), dy)))(x);
      const theirs = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(plain(a), dy)))(x);
      // The float64 definition, within erf's error (WASM's one-pass kernel computes erf as
      // PyTorch's CPU kernels do, Abramowitz and Stegun 7.1.26, which is within 1.5e-7 of erf).
      const xs = await x.data();
      const value = await activation(x, 'gelu').data();
      for (let i = 0; i < xs.length; i++) {
        const exact = xs[i] * 0.5 * (1 + erf64(xs[i] * Math.SQRT1_2));
        assert.ok(Math.abs(value[i] - exact) <= 2e-7 * (1 + Math.abs(xs[i])), `at ${xs[i]}: ${value[i]} vs ${exact}`);
      }
      if (backend === 'cpu') close(value, await plain(x).data(), 0); // no kernel of ours: the formula itself
      const [o, t] = [await ours.data(), await theirs.data()];
      for (let i = 0; i < o.length; i++) assert.ok(Math.abs(o[i] - t[i]) <= 1e-6 * (1 + Math.abs(t[i])), `at ${i}: ${o[i]} vs ${t[i]}`);
      tf.dispose([x, dy, ours, theirs]);
    });

    it('layer norm: value and closed-form gradients equal autodiff of the plain formula', async () => {
      const random = () => tf.randomNormal([6, 10], 0, 2, 'float32', 3);
      const x = tf.add(random(), tf.linspace(-3, 3, 10)) as tf.Tensor2D; // rows with a mean and a spread
      const gamma = tf.randomNormal([10], 1, 0.5, 'float32', 4) as tf.Tensor1D;
      const beta = tf.randomNormal([10], 0, 0.5, 'float32', 5) as tf.Tensor1D;
      const dy = tf.randomNormal([6, 10], 0, 1, 'float32', 6);
      const plain = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-12))), g), b);
      };
      const loss = (f: (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), dy));
      const ours = tf.grads(loss((a, g, b) => layerNorm(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12)))([x, gamma, beta]);
      const theirs = tf.grads(loss(plain))([x, gamma, beta]);
      close(await layerNorm(x, gamma, beta, 1e-12).data(), await plain(x, gamma, beta).data(), 1e-6);
      for (let i = 0; i < 3; i++) close(await ours[i].data(), await theirs[i].data(), 2e-5);
      tf.dispose([x, gamma, beta, dy, ...ours, ...theirs]);
    });
  });
}

describe('a training step of tiny-bert on wasm', () => {
  it('computes gradients for every parameter, without the missing UnsortedSegmentSum kernel', async () => {
    await useBackend('wasm');
    const { model } = loadCheckpoint(path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert'));
    const inputs = {
      inputIds: tf.tensor2d(
        [
          [101, 2023, 2003, 102, 0],
          [101, 2307, 2143, 999, 102],
        ],
        undefined,
        'int32',
      ),
      tokenTypeIds: tf.zeros([2, 5], 'int32') as tf.Tensor2D,
      attentionMask: tf.tensor2d(
        [
          [1, 1, 1, 1, 0],
          [1, 1, 1, 1, 1],
        ],
        undefined,
        'int32',
      ),
    };
    const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(inputs, { training: false });
      return tf.losses.softmaxCrossEntropy(labels, out.logits) as tf.Scalar;
    });
    assert.equal(Object.keys(grads).length, 41);
    assert.ok(Number.isFinite((await value.data())[0]));
    const wordGrad = grads[model.params.get('bert.embeddings.word_embeddings.weight')!.name];
    const normTensor = tf.norm(wordGrad);
    const norm = (await normTensor.data())[0];
    normTensor.dispose();
    assert.ok(norm > 0, 'the embedding table receives gradient');
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([inputs.inputIds, inputs.tokenTypeIds, inputs.attentionMask, labels]);
    model.dispose();
  });
});
