/**
 * AdamW over a slice of flat arrays, the update of ../step/adamwMath.ts (torch.optim.AdamW,
 * single-tensor path) in plain JavaScript on shared memory: each gradient worker updates its
 * own slice, so the optimizer uses every core and its state never enters a WASM heap.
 */
import { adamwConstants, adamwKeep, type AdamWOptions } from '../step/adamwMath';
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
  // The intermediates in double, stored as float32: within an ulp of torch's float32
  // arithmetic (adamwReference) and three times faster here than rounding each with Math.fround.
  const { stepSize, bc2Sqrt, c1, c2 } = adamwConstants(options, s.lr, s.step);
  const scale = Math.fround(s.gradScale);
  for (let i = 0; i < layout.names.length; i++) {
    const lo = Math.max(from, layout.offsets[i]);
    const hi = Math.min(to, layout.offsets[i] + layout.sizes[i]);
    if (lo >= hi || layout.frozen[i]) continue;
    const keep = adamwKeep(options, s.lr, layout.decayed[i]);
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
