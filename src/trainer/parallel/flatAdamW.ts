/**
 * AdamW over a slice of flat arrays, the same update as ../train/adamw.ts (torch.optim.AdamW,
 * single-tensor path) but in plain JavaScript on shared memory: each gradient worker updates
 * its own slice, so the optimizer uses every core and its state never enters a WASM heap.
 */
import type { AdamWOptions } from '../step/adamwOptions';
import type { FlatLayout } from './flatParameters';

export interface FlatAdamWStep {
  lr: number;
  /** torch's state['step'] after this update (1 for the first). */
  step: number;
  /** Gradient clipping coefficient (1: none), applied in float32 as torch does. */
  gradScale: number;
}

export function adamwSlice(
  layout: FlatLayout,
  from: number,
  to: number,
  arrays: { weights: Float32Array; grads: Float32Array; m: Float32Array; v: Float32Array },
  options: AdamWOptions,
  s: FlatAdamWStep,
): void {
  const { weights: p, grads: g, m, v } = arrays;
  const { beta1, beta2, eps } = options;
  // Bias corrections in double precision, as Python computes them; the rest in double and
  // stored as float32, within an ulp of torch's float32 arithmetic and three times faster
  // here than rounding every intermediate with Math.fround.
  const stepSize = s.lr / (1 - beta1 ** s.step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** s.step);
  const scale = Math.fround(s.gradScale);
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < layout.names.length; i++) {
    const lo = Math.max(from, layout.offsets[i]);
    const hi = Math.min(to, layout.offsets[i] + layout.sizes[i]);
    if (lo >= hi || layout.frozen[i]) continue;
    const keep = 1 - s.lr * (layout.decayed[i] ? options.weightDecay : 0);
    for (let j = lo; j < hi; j++) {
      const gj = g[j] * scale;
      const mj = m[j] * beta1 + gj * c1;
      const vj = v[j] * beta2 + gj * gj * c2;
      m[j] = mj;
      v[j] = vj;
      p[j] = p[j] * keep - (mj / (Math.sqrt(vj) / bc2Sqrt + eps)) * stepSize;
    }
  }
}
