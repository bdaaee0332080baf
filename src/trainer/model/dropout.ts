/**
 * Dropout whose mask is a function of (seed, element index) alone. tf.dropout draws a uniform
 * tensor from JavaScript's generator, element by element, and autodiff keeps the mask for the
 * backward pass; here a kernel (SIMD on WASM, kernels.c; this file's loop on the pure-JS
 * backend, bit for bit the same) computes the mask as it goes, and the gradient recomputes it
 * from the seed. Backends without the kernel (tfjs-node) use tf.dropout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DROPOUT_KERNEL, type DropoutAttrs } from '../kernels/kernelNames';

export { DROPOUT_KERNEL, type DropoutAttrs } from '../kernels/kernelNames';

/** Whether element i stays: the same hash as kernels.c (lowbias32 of i·φ + seed). */
export function keeps(seed: number, i: number, rate24: number): boolean {
  let h = (Math.imul(i, 0x9e3779b9) + seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h >>> 8 >= rate24;
}

export function dropoutAttrs(rate: number, seed: number): DropoutAttrs {
  return { seed: seed >>> 0, rate24: Math.round(rate * 2 ** 24), scale: Math.fround(1 / (1 - rate)) };
}

interface CpuBackendInternals {
  readSync(dataId: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

// The pure-JS backend's kernel.
if (!tf.getKernel(DROPOUT_KERNEL, 'cpu')) {
  tf.registerKernel({
    kernelName: DROPOUT_KERNEL,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const { seed, rate24, scale } = attrs as unknown as DropoutAttrs;
      const cpu = backend as unknown as CpuBackendInternals;
      const values = cpu.readSync(x.dataId);
      const out = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = keeps(seed, i, rate24) ? Math.fround(values[i] * scale) : 0;
      return cpu.makeTensorInfo(x.shape, 'float32', out);
    },
  });
}

const apply = (x: tf.Tensor, attrs: DropoutAttrs): tf.Tensor => tf.engine().runKernel(DROPOUT_KERNEL, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

/** Whether this backend draws masks from a seed (dropout can be applied again, identically). */
export function hasSeededDropout(): boolean {
  return Boolean(tf.getKernel(DROPOUT_KERNEL, tf.getBackend()));
}

/**
 * The seeded mask applied to float32 `x`, not differentiated: for ops whose own gradient draws
 * the mask again (attention.ts). Needs hasSeededDropout().
 */
export function applyDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  return apply(x, dropoutAttrs(rate, seed));
}

/** Inverted dropout at `rate`, the mask drawn from `seed`; the identity when rate is 0. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (rate <= 0) return x;
  if (!hasSeededDropout() || x.dtype !== 'float32') return tf.dropout(x, rate, undefined, seed) as T;
  const attrs = dropoutAttrs(rate, seed);
  const fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    // The gradient passes where the value did: the same mask, recomputed from the seed.
    return { value: apply(input, attrs), gradFunc: (dy: tf.Tensor) => apply(dy, attrs) };
  });
  return fn(x) as T;
}
