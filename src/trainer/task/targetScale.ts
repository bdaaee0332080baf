/**
 * Regression with a standardised target (--standardize-target): the model learns (y − μ) / σ,
 * which suits an encoder's small initial outputs whatever the target's units (prices, years);
 * every checkpoint folds μ and σ back into the output layer (W·σ, b·σ + μ), so a saved model
 * predicts in the target's units, in BERT Tune and in transformers alike, and nothing else has to
 * know. A resume unfolds its last checkpoint's layer again; trainer_state.json keeps μ and σ.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorSource } from '../checkpoint/safetensors';
import type { Classifier } from '../model/classifier';
import type { Example } from '../train/batches';

export interface TargetScale {
  mean: number;
  /** The population standard deviation (NumPy's default); 1 where the targets do not vary. */
  std: number;
}

export function targetScaleOf(values: readonly number[]): TargetScale {
  const mean = values.reduce((a, v) => a + v, 0) / Math.max(1, values.length);
  const variance = values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / Math.max(1, values.length);
  return { mean, std: variance > 0 ? Math.sqrt(variance) : 1 };
}

/** The examples with their targets standardised. */
export function standardised(examples: Example[], s: TargetScale): Example[] {
  return examples.map(e => ({ ...e, target: [(e.target![0] - s.mean) / s.std] }));
}

/** A standardised output (or target) in the target's units. */
export const destandardised = (v: number, s: TargetScale): number => v * s.std + s.mean;

/** The model's tensors with μ and σ folded into the output layer: what a checkpoint holds. */
export function foldedSources(sources: TensorSource[], outputLayer: string, s: TargetScale): TensorSource[] {
  return sources.map(t => {
    if (t.name === `${outputLayer}.weight`) return { ...t, data: async () => Float32Array.from(await t.data(), w => w * s.std) };
    if (t.name === `${outputLayer}.bias`) return { ...t, data: async () => Float32Array.from(await t.data(), b => b * s.std + s.mean) };
    return t;
  });
}

/** The reverse of foldedSources on a loaded model, in place: its output layer learns the standardised target again. */
export function unfold(model: Classifier, outputLayer: string, s: TargetScale): void {
  const weight = model.params.get(`${outputLayer}.weight`)!;
  const bias = model.params.get(`${outputLayer}.bias`)!;
  tf.tidy(() => {
    weight.assign(tf.div(weight, s.std));
    bias.assign(tf.div(tf.sub(bias, s.mean), s.std));
  });
}

/** The output layer's tensors as trained (not folded), named `unfolded.<name>`: kept in the last checkpoint's optimizer file, so a resume goes on from the very same values. */
export function unfoldedSources(sources: TensorSource[], outputLayer: string): TensorSource[] {
  return sources.filter(t => t.name.startsWith(`${outputLayer}.`)).map(t => ({ ...t, name: `${UNFOLDED}${t.name}` }));
}

export const UNFOLDED = 'unfolded.';

/** A resumed model's output layer as it was trained: the values kept beside its optimizer state, else the checkpoint's unfolded arithmetically. */
export function restoreUnfolded(model: Classifier, outputLayer: string, s: TargetScale, kept: ReadonlyMap<string, Float32Array>): void {
  if (!kept.size) return unfold(model, outputLayer, s);
  for (const [name, data] of kept) {
    const v = model.params.get(name);
    if (!v) throw new Error(`the optimizer state keeps ${UNFOLDED}${name}, which the model has not`);
    tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
  }
}
