import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { adamwSlice } from '../../src/trainer/parallel/flatAdamW';
import { allocateFlat, flatLayout } from '../../src/trainer/parallel/flatParameters';
import { wasmSliceOptimizer } from '../../src/trainer/parallel/wasmOptimizer';
import { ADAMW_DEFAULTS, adamwReference } from '../../src/trainer/step/adamwMath';
import { AdamW } from '../../src/trainer/train/adamw';
import { useBackend } from './backendSetup';

// Two parameters whose sizes are no multiple of the SIMD width: one with weight decay, one without.
const SHAPES: [string, number[], boolean][] = [
  ['w', [37, 27], true],
  ['b', [7], false],
];
const STEPS = 6;
const LR = 2e-3;
/** The clipping coefficient of each step: 1 (no clipping) but on step 3. */
const scaleAt = (step: number) => (step === 3 ? 0.37 : 1);
const weight0 = (i: number) => Math.sin(i * 1.7) * 0.05;
const gradAt = (i: number, step: number) => Math.cos(i * 0.9 + step) * 10 ** -(1 + (i % 4));

interface State {
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** Every parameter after STEPS updates of the reference. */
function reference(): Map<string, State> {
  const out = new Map<string, State>();
  for (const [name, shape, decayed] of SHAPES) {
    const n = shape.reduce((a, b) => a * b, 1);
    const s = { weights: Float32Array.from({ length: n }, (_, i) => weight0(i)), m: new Float32Array(n), v: new Float32Array(n) };
    for (let step = 1; step <= STEPS; step++) {
      const grads = Float32Array.from({ length: n }, (_, i) => gradAt(i, step));
      adamwReference({ ...s, grads }, ADAMW_DEFAULTS, { lr: LR, step, scale: scaleAt(step), decayed });
    }
    out.set(name, s);
  }
  return out;
}

/** Each value within a few float32 ulps of the reference's, or of the array's scale (where terms cancel, as m's do when the gradient turns). */
function assertClose(form: string, got: Map<string, State>, want: Map<string, State>, ulps: number): void {
  for (const [name, w] of want) {
    const g = got.get(name)!;
    for (const key of ['weights', 'm', 'v'] as const) {
      const scale = Math.max(...w[key].map(Math.abs));
      for (let i = 0; i < w[key].length; i++) {
        const [a, b] = [g[key][i], w[key][i]];
        assert.ok(Math.abs(a - b) <= ulps * 1.2e-7 * (Math.abs(b) + scale), `${form}: ${name}.${key}[${i}] ${a} vs the reference's ${b}`);
      }
    }
  }
}

describe("AdamW's forms against its one reference (src/trainer/step/adamwMath.ts)", () => {
  const want = reference();

  it('the reference is not a no-op: weights move, decay applies only where asked', () => {
    const b = want.get('b')!;
    assert.ok(b.weights.some((x, i) => Math.abs(x - Math.fround(weight0(i))) > 1e-4));
    assert.ok(b.v.every(x => x > 0));
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`tensor ops on the ${backend} backend (the single-thread path)`, async () => {
      await useBackend(backend);
      const params = new Map(
        SHAPES.map(([name, shape]) => [
          name,
          tf.variable(
            tf.tensor(
              want.get(name)!.weights.map((_, i) => weight0(i)),
              shape,
            ),
          ),
        ]),
      );
      const before = tf.memory().numTensors;
      const adam = new AdamW(params, new Set(SHAPES.filter(s => s[2]).map(s => s[0])));
      for (let step = 1; step <= STEPS; step++) {
        const grads = new Map(
          SHAPES.map(([name, shape]) => [
            name,
            tf.tensor(
              want.get(name)!.weights.map((_, i) => gradAt(i, step)),
              shape,
            ),
          ]),
        );
        const scale = scaleAt(step) === 1 ? undefined : tf.scalar(scaleAt(step));
        adam.apply(grads, LR, scale);
        grads.forEach(g => g.dispose());
        scale?.dispose();
      }
      const got = new Map(
        SHAPES.map(([name]) => [
          name,
          {
            weights: params.get(name)!.dataSync() as Float32Array,
            m: adam.m.get(name)!.dataSync() as Float32Array,
            v: adam.v.get(name)!.dataSync() as Float32Array,
          },
        ]),
      );
      assertClose(`AdamW on ${backend}`, got, want, 4);
      adam.dispose();
      assert.equal(tf.memory().numTensors, before, 'tensors left by the optimizer');
      params.forEach(p => p.dispose());
    });
  }

  for (const simd of [false, true]) {
    it(
      simd ? 'SIMD WebAssembly on shared memory (optimizer.c, the gradient workers)' : 'flat JavaScript on shared memory (flatAdamW, the gradient workers)',
      () => {
        const layout = flatLayout(
          SHAPES.map(([name, shape]) => [name, { shape }]),
          new Set(SHAPES.filter(s => s[2]).map(s => s[0])),
        );
        const arrays = allocateFlat(layout.total, 1, simd);
        const wasm = simd ? wasmSliceOptimizer(arrays, layout, ADAMW_DEFAULTS) : undefined;
        if (simd) assert.ok(wasm, 'the SIMD optimizer loads');
        for (let i = 0; i < layout.names.length; i++) for (let j = 0; j < layout.sizes[i]; j++) arrays.weights[layout.offsets[i] + j] = weight0(j);
        for (let step = 1; step <= STEPS; step++) {
          for (let i = 0; i < layout.names.length; i++) for (let j = 0; j < layout.sizes[i]; j++) arrays.grads[0][layout.offsets[i] + j] = gradAt(j, step);
          const s = { lr: LR, step, gradScale: scaleAt(step) };
          // Two slices, cut inside the first parameter, as two workers would.
          for (const [from, to] of [
            [0, 500],
            [500, layout.total],
          ]) {
            if (wasm) wasm.update(from, to, s);
            else adamwSlice(layout, from, to, { weights: arrays.weights, grads: arrays.grads[0], m: arrays.m, v: arrays.v }, ADAMW_DEFAULTS, s);
          }
        }
        const got = new Map(
          layout.names.map((name, i) => {
            const part = (a: Float32Array) => a.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]);
            return [name, { weights: part(arrays.weights), m: part(arrays.m), v: part(arrays.v) }];
          }),
        );
        assertClose(simd ? 'optimizer.c' : 'flatAdamW', got, want, 4);
      },
    );
  }
});
