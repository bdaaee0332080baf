/** AdamW's hyper-parameters, torch's defaults but weight decay (transformers' Trainer: 0.01): shared by every form of the update. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
