/**
 * The global gradient norm and the clipping coefficient, as torch.nn.utils.clip_grad_norm_
 * computes them; the gradients are not touched here: AdamW multiplies them by the coefficient as
 * it reads them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { L2_NORM_KERNEL } from '../kernels/kernelNames';

/** Our kernel for a tensor's L2 norm in one pass, where a backend has it (WebGPU: ../kernels/webgpuKernels.ts). */
export { L2_NORM_KERNEL } from '../kernels/kernelNames';

/** The global L2 norm over all gradients: the norm of the per-tensor norms, in float32. */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  const fused = Boolean(tf.getKernel(L2_NORM_KERNEL, tf.getBackend()));
  // sqrt(Σ g²) rather than tf.norm, whose Abs and Pow kernels take 10× longer on WASM
  const norm = (t: tf.Tensor) => (fused ? tf.reshape(tf.engine().runKernel(L2_NORM_KERNEL, { x: t }) as tf.Tensor, []) : tf.sqrt(tf.sum(tf.square(t))));
  return tf.tidy(() => norm(tf.stack([...grads].map(norm))) as tf.Scalar);
}

/**
 * torch's clipping coefficient, min(1, maxNorm / (norm + 1e-6)), by which every gradient is
 * multiplied (AdamW.apply does it as it reads them). Computed on the device from the norm
 * tensor, so nothing is read back before the update: on a GPU a read-back in mid-step leaves it
 * idle until the CPU has answered. Undefined for maxNorm 0 or less: no clipping.
 */
export function clipCoefficient(norm: tf.Scalar, maxNorm: number): tf.Scalar | undefined {
  if (!(maxNorm > 0)) return undefined;
  return tf.tidy(() => tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)), 1) as tf.Scalar);
}

/**
 * The clipping rule in plain numbers, as clipCoefficient computes it on the device: torch's
 * float32 min(1, maxNorm / (norm + 1e-6)); 1 for maxNorm 0 or less (no clipping). The gradient
 * workers scale by it; the one-thread step's read-back norm reports with it.
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  return Math.min(1, Math.fround(maxNorm / Math.fround(norm + 1e-6)));
}

/** Whether clipCoefficient scaled the gradients down, from the norm read back. */
export function wasClipped(norm: number, maxNorm: number): boolean {
  return clipScale(norm, maxNorm) < 1;
}
