/** Gradient post-processing as torch.nn.utils.clip_grad_norm_ does it. */
import * as tf from '@tensorflow/tfjs-core';

/** The global L2 norm over all gradients: the norm of the per-tensor norms, in float32. */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  // sqrt(Σ g²) rather than tf.norm, whose Abs and Pow kernels take 10× longer on WASM
  const norm = (t: tf.Tensor) => tf.sqrt(tf.sum(tf.square(t)));
  return tf.tidy(() => norm(tf.stack([...grads].map(norm))) as tf.Scalar);
}

/**
 * Scales every gradient by min(1, maxNorm / (norm + 1e-6)), as torch does: computed on the
 * device from the norm tensor, so nothing is read back before the update (on a GPU a read-back
 * in mid-step leaves it idle until the CPU has answered). Disposes the gradients it replaces.
 * maxNorm 0 or less: no clipping.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, norm: tf.Scalar, maxNorm: number): void {
  if (!(maxNorm > 0)) return;
  const coef = tf.tidy(() => tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)), 1));
  for (const [name, g] of grads) {
    grads.set(name, tf.mul(g, coef));
    g.dispose();
  }
  coef.dispose();
}

/** Whether clipByGlobalNorm scaled the gradients down, from the norm read back: torch's float32 coefficient below 1. */
export function wasClipped(norm: number, maxNorm: number): boolean {
  return maxNorm > 0 && Math.fround(maxNorm / Math.fround(norm + 1e-6)) < 1;
}
