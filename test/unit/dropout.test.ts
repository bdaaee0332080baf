import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { dropout, dropoutAttrs, keeps } from '../../src/trainer/model/dropout';
import { useBackend } from './backendSetup';

const n = 100_003; // not a multiple of the SIMD width
const x = () => tf.tensor1d(Float32Array.from({ length: n }, (_, i) => 1 + (i % 97) / 10));

async function masked(backend: 'wasm' | 'cpu', rate: number, seed: number) {
  await useBackend(backend);
  const input = x();
  const dy = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => ((i * 7) % 13) - 6));
  const y = dropout(input, rate, seed);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(dropout(t, rate, seed), dy)))(input);
  const out = {
    y: (await y.data()) as Float32Array,
    g: (await g.data()) as Float32Array,
    x: (await input.data()) as Float32Array,
    dy: (await dy.data()) as Float32Array,
  };
  tf.dispose([input, dy, y, g]);
  return out;
}

describe('dropout from a seed', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: drops about the rate, scales what stays, and the gradient passes through the same mask`, async () => {
      const rate = 0.1;
      const { seed, rate24, scale } = dropoutAttrs(rate, 12345);
      const { y, g, x: xs, dy } = await masked(backend, rate, seed);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const k = keeps(seed, i, rate24);
        kept += k ? 1 : 0;
        assert.equal(y[i], k ? Math.fround(xs[i] * scale) : 0, `value ${i}`);
        assert.equal(g[i], k ? Math.fround(dy[i] * scale) : 0, `gradient ${i}`);
      }
      assert.ok(Math.abs(kept / n - (1 - rate)) < 0.005, `kept ${kept / n}`);
    });
  }

  it('gives the same mask on WASM and the pure-JS backend, another for another seed, none at rate 0', async () => {
    const wasm = await masked('wasm', 0.3, 7);
    const cpu = await masked('cpu', 0.3, 7);
    assert.deepEqual(wasm.y, cpu.y);
    const other = await masked('wasm', 0.3, 8);
    let differ = 0;
    for (let i = 0; i < n; i++) if ((wasm.y[i] === 0) !== (other.y[i] === 0)) differ++;
    assert.ok(differ > n * 0.3, `only ${differ} of ${n} mask bits differ between seeds`);
    await useBackend('wasm');
    const t = x();
    assert.equal(dropout(t, 0, 1), t);
    t.dispose();
  });
});
