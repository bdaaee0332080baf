/** Gradient post-processing as torch.nn.utils.clip_grad_norm_ does it. */
import * as tf from '@tensorflow/tfjs-core';

/** The global L2 norm over all gradients: the norm of the per-tensor norms, in float32. */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  // sqrt(Σ g²) rather than tf.norm, whose Abs and Pow kernels take 10× longer on WASM
  const norm = (t: tf.Tensor) => tf.sqrt(tf.sum(tf.square(t)));
  return tf.tidy(() => norm(tf.stack([...grads].map(norm))) as tf.Scalar);
}

/**
 * Scales every gradient by min(1, maxNorm / (norm + 1e-6)); returns the norm before clipping and
 * the (possibly new) gradients. Disposes the gradients it replaces.
 */
export async function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Promise<{ norm: number; clipped: boolean }> {
  const normTensor = globalNorm(grads.values());
  const norm = (await normTensor.data())[0];
  normTensor.dispose();
  // float32 arithmetic, as torch computes the coefficient in a float32 tensor
  const coef = Math.fround(maxNorm / Math.fround(norm + 1e-6));
  if (!(maxNorm > 0) || coef >= 1) return { norm, clipped: false };
  for (const [name, g] of grads) {
    grads.set(name, tf.mul(g, coef));
    g.dispose();
  }
  return { norm, clipped: true };
}
