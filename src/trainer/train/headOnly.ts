/**
 * Head-only training: the encoder stays as the base model has it, its last-layer [CLS] states
 * are computed once for every training row (dropout off), and the steps train the pooler and
 * the classifier on those cached features: one inference pass, then seconds per epoch even for
 * bert-base on a CPU. Evaluation and checkpoints still use the whole model, unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../model/classifier';
import { isHead } from '../model/family';
import { AdamW } from './adamw';
import type { AdamWOptions } from '../step/adamwMath';
import { batchesOf, type Example } from './batches';
import { MainThreadOptimisation, type Optimisation } from './optimisation';
import { batchTensors, disposeInputs, type Batch } from '../step/batch';
import { SINGLE_LABEL_LOSS, type LossSpec } from '../step/loss';

/** Every parameter but the head's (BERT: the pooler and the classifier): what head-only training keeps fixed. */
export function encoderParameters(model: Classifier): Set<string> {
  return new Set([...model.params.keys()].filter(n => !isHead(model.family, n)));
}

/**
 * The last layer's [CLS] state of each example, in order, [examples × hidden], dropout off;
 * undefined when `shouldStop` says so between batches.
 */
export async function clsFeatures(
  model: Classifier,
  examples: Example[],
  batchSize: number,
  padId: number,
  shouldStop?: () => boolean,
): Promise<Float32Array | undefined> {
  const hidden = model.config.hiddenSize;
  const out = new Float32Array(examples.length * hidden);
  let done = 0;
  for (const batch of batchesOf(
    examples,
    examples.map((_, i) => i),
    batchSize,
    padId,
  )) {
    if (shouldStop?.()) return undefined;
    const inputs = batchTensors(batch);
    const { logits, pooled, clsHidden } = model.forward(inputs, { training: false });
    out.set((await clsHidden.data()) as Float32Array, done * hidden);
    tf.dispose([logits, pooled, clsHidden]);
    disposeInputs(inputs);
    done += batch.labels.length;
  }
  return out;
}

/** Cached [CLS] features and the examples they belong to (their data lines find their rows). */
export interface FeatureCache {
  values: Float32Array;
  examples: Example[];
}

/**
 * Steps on the main thread whose logits come from the head on cached features (from `cache`,
 * which may change: a sample for the estimate, then every training row); freezes the encoder,
 * so AdamW holds state for, and touches, only the pooler and the classifier.
 */
export function startHeadOnly(
  model: Classifier,
  decayed: ReadonlySet<string>,
  adam: AdamWOptions,
  cache: () => FeatureCache | undefined,
  loss: LossSpec = SINGLE_LABEL_LOSS,
): Optimisation {
  const frozen = encoderParameters(model);
  model.freeze(frozen);
  const hidden = model.config.hiddenSize;
  let indexed: { of: FeatureCache; rowOfLine: Map<number, number> } | undefined;
  const featuresOf = (batch: Batch): tf.Tensor2D => {
    const c = cache();
    if (!c) throw new Error('head-only training: the features are not computed yet');
    if (indexed?.of !== c) indexed = { of: c, rowOfLine: new Map(c.examples.map((e, i) => [e.line, i])) };
    const values = new Float32Array(batch.labels.length * hidden);
    batch.labels.forEach((_, i) => {
      const r = indexed!.rowOfLine.get(batch.rows?.[i] ?? -1);
      if (r === undefined) throw new Error(`no cached features for data line ${batch.rows?.[i]}`);
      values.set(c.values.subarray(r * hidden, (r + 1) * hidden), i * hidden);
    });
    return tf.tensor2d(values, [batch.labels.length, hidden]);
  };
  // Runs inside the step's gradient scope, which disposes the features tensor with the rest.
  const logits = (batch: Batch, forward: { training: boolean; nextSeed?: () => number }) => model.head(featuresOf(batch), forward).logits;
  const head = new Map([...model.params].filter(([name]) => !frozen.has(name)));
  return new MainThreadOptimisation(model, new AdamW(head, decayed, adam), loss, logits);
}
