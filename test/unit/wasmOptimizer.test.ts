import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adamwSlice } from '../../src/trainer/parallel/flatAdamW';
import { allocateFlat, flatLayout } from '../../src/trainer/parallel/flatParameters';
import { wasmSliceOptimizer } from '../../src/trainer/parallel/wasmOptimizer';
import { ADAMW_DEFAULTS } from '../../src/trainer/step/adamwMath';

describe('the gradient workers\u2019 optimizer in WebAssembly', () => {
  it('reduces and updates as the JavaScript version does, slice by slice, decay per parameter', () => {
    // sizes that are not multiples of the SIMD width, one decayed and one not
    const layout = flatLayout(
      [
        ['w', { shape: [37, 27] }],
        ['b', { shape: [3] }],
      ],
      new Set(['w']),
    );
    const [simdArrays, jsArrays] = [allocateFlat(layout.total, 3, true), allocateFlat(layout.total, 3, false)];
    assert.ok(simdArrays.memory && !jsArrays.memory);
    const simd = wasmSliceOptimizer(simdArrays, layout, ADAMW_DEFAULTS)!;
    for (let step = 1; step <= 5; step++) {
      for (const a of [simdArrays, jsArrays]) {
        for (let i = 0; i < layout.total; i++) {
          if (step === 1) a.weights[i] = Math.sin(i) * 0.05;
          a.grads.forEach((g, k) => (g[i] = Math.cos(i * (k + 2) + step) * 1e-3));
        }
      }
      // two slices, cut inside the first parameter
      let squares = 0;
      for (const [from, to] of [
        [0, 400],
        [400, layout.total],
      ])
        squares += simd.reduce(from, to);
      let expected = 0;
      for (let i = 0; i < layout.total; i++) {
        const g = Math.fround(Math.fround(jsArrays.grads[0][i] + jsArrays.grads[1][i]) + jsArrays.grads[2][i]);
        jsArrays.grads[0][i] = g;
        expected += g * g;
      }
      assert.ok(Math.abs(squares - expected) <= 1e-6 * expected, `Σg² ${squares} vs ${expected}`);
      const s = { lr: 1e-3, step, gradScale: step === 3 ? 0.5 : 1 };
      for (const [from, to] of [
        [0, 400],
        [400, layout.total],
      ])
        simd.update(from, to, s);
      adamwSlice(layout, 0, layout.total, { weights: jsArrays.weights, grads: jsArrays.grads[0], m: jsArrays.m, v: jsArrays.v }, ADAMW_DEFAULTS, s);
    }
    for (const key of ['weights', 'm', 'v'] as const) {
      // float32 against double intermediates: a few ulps of each value, or of the array's scale near zero
      const scale = Math.max(...jsArrays[key].map(Math.abs));
      for (let i = 0; i < layout.total; i++) {
        const a = simdArrays[key][i];
        const b = jsArrays[key][i];
        assert.ok(Math.abs(a - b) <= 2e-6 * Math.abs(b) + 1e-6 * scale, `${key}[${i}]: ${a} vs ${b}`);
      }
    }
  });
});
