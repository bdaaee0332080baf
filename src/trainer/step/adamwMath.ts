/**
 * AdamW's math, once: the hyper-parameters, the per-step constants every form of the update
 * uses, and the update of one element as torch.optim.AdamW's single-tensor path computes it in
 * float32 (torch 1.13 and later):
 *   p *= 1 - lr·wd;  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
 *   p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)
 * with g = grad · scale (gradient clipping's coefficient). The forms that run (tensor ops and
 * WebGPU kernels in ../train/adamw.ts, flat JavaScript in ../parallel/flatAdamW.ts, SIMD in
 * ../kernels/optimizer.c) take their constants from `adamwConstants` and are checked against
 * `adamwReference` (test/unit/adamwMath.test.ts).
 */

/** AdamW's hyper-parameters, torch's defaults but weight decay (transformers' Trainer: 0.01): shared by every form of the update. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** One step's constants. */
export interface AdamWConstants {
  /** lr / (1 − β1^t) */
  stepSize: number;
  /** sqrt(1 − β2^t) */
  bc2Sqrt: number;
  /** 1 − β1 and 1 − β2: in double, as Python computes them (1 − fround(0.999) is off by 1.3e-5). */
  c1: number;
  c2: number;
}

/** The constants of update number `step` (torch's state['step'] after it: 1 for the first), in double precision as Python computes them. */
export function adamwConstants(options: AdamWOptions, lr: number, step: number): AdamWConstants {
  return { stepSize: lr / (1 - options.beta1 ** step), bc2Sqrt: Math.sqrt(1 - options.beta2 ** step), c1: 1 - options.beta1, c2: 1 - options.beta2 };
}

/** What a parameter's weights are multiplied by before the update: decoupled weight decay, for the decayed parameters only. */
export function adamwKeep(options: AdamWOptions, lr: number, decayed: boolean): number {
  return 1 - lr * (decayed ? options.weightDecay : 0);
}

/**
 * The reference: one update of every element, each operation rounded to float32 as torch's
 * kernels round it. Slow (Math.fround at each step); the forms that run are checked against it.
 */
export function adamwReference(
  arrays: { weights: Float32Array; grads: Float32Array; m: Float32Array; v: Float32Array },
  options: AdamWOptions,
  s: { lr: number; step: number; scale: number; decayed: boolean },
): void {
  const f = Math.fround;
  const k = adamwConstants(options, s.lr, s.step);
  const [keep, scale, beta1, beta2, c1, c2, bc2, eps, stepSize] = [
    adamwKeep(options, s.lr, s.decayed),
    s.scale,
    options.beta1,
    options.beta2,
    k.c1,
    k.c2,
    k.bc2Sqrt,
    options.eps,
    k.stepSize,
  ].map(f);
  const { weights: p, grads, m, v } = arrays;
  for (let i = 0; i < p.length; i++) {
    const g = f(grads[i] * scale);
    const mi = f(f(m[i] * beta1) + f(g * c1));
    const vi = f(f(v[i] * beta2) + f(f(g * g) * c2));
    m[i] = mi;
    v[i] = vi;
    p[i] = f(f(p[i] * keep) - f(f(mi / f(f(f(Math.sqrt(vi)) / bc2) + eps)) * stepSize));
  }
}
