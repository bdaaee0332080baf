/**
 * The names and attributes of BERT Tune's own kernels, declared at the bottom of the trainer:
 * the kernels register them (wasmKernels.ts, webgpuKernels.ts, backends/cpu.ts) and the model,
 * step and optimizer code runs them by name. Imports run downward: kernels import nothing from
 * model/, train/ or step/.
 */

/** Seeded inverted dropout (model/dropout.ts). */
export const DROPOUT_KERNEL = 'BertTuneDropout';

export interface DropoutAttrs {
  seed: number;
  /** rate · 2^24, rounded: an element stays when its 24-bit draw is ≥ this. */
  rate24: number;
  /** 1 / (1 − rate), in float32. */
  scale: number;
}

/** GELU's gradient from x and Φ(x) (model/ops.ts). */
export const GELU_GRAD_KERNEL = 'BertTuneGeluGrad';

/**
 * Exact GELU, x·Φ(x), in one pass, and its gradient from x and dy alone (Φ computed again inside):
 * where a backend has both, neither Φ nor erf runs as a kernel of its own (model/ops.ts).
 */
export const GELU_KERNELS = { forward: 'BertTuneGelu', backward: 'BertTuneGeluBackward' } as const;

/** Repeated ids' rows of dy summed in order, before the embedding gradient's scatter (model/ops.ts). */
export const SEGMENT_SUMS_KERNEL = 'BertTuneSegmentSums';

/** LayerNorm: row statistics, the normalisation, and the three gradients (model/ops.ts). */
export const LAYER_NORM_KERNELS = {
  stats: 'BertTuneLayerNormStats',
  apply: 'BertTuneLayerNormApply',
  dx: 'BertTuneLayerNormDx',
  dgamma: 'BertTuneLayerNormDgamma',
  dbeta: 'BertTuneLayerNormDbeta',
} as const;

/** AdamW's moments and update (train/adamw.ts). */
export const ADAM_KERNELS = { moment: 'BertTuneAdamMoment', square: 'BertTuneAdamSquareMoment', update: 'BertTuneAdamUpdate' } as const;

export interface AdamMomentAttrs {
  beta: number;
  /** 1 − β, computed in double as Python does. */
  oneMinusBeta: number;
}

export interface AdamUpdateAttrs {
  /** 1 − lr·weight decay (1: no decay). */
  keep: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
}

/** A tensor's L2 norm, for gradient clipping (step/clipping.ts). */
export const L2_NORM_KERNEL = 'BertTuneL2Norm';
