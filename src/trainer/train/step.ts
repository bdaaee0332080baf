/**
 * One optimisation step: forward in training mode, cross-entropy loss, gradients (summed over
 * accumulated micro-batches), global-norm clipping, AdamW. Tensors live only inside the step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertClassifier, BertInputs, ForwardOptions } from '../model/bert';
import type { AdamW } from './adamw';
import { clipCoefficient, globalNorm, wasClipped } from './gradients';
import { tapeGradients } from './tapeGradients';

/** A padded batch, as plain arrays: what the data pipeline produces. */
export interface Batch {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
  labels: number[];
  /** 1-based data row numbers, for reporting. */
  rows?: number[];
}

export function batchTensors(b: Batch): BertInputs {
  return {
    inputIds: tf.tensor2d(b.inputIds, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, undefined, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, undefined, 'int32'),
  };
}

export function disposeInputs(x: BertInputs): void {
  tf.dispose([x.inputIds, x.tokenTypeIds, x.attentionMask]);
}

/**
 * torch.nn.CrossEntropyLoss: the mean negative log-likelihood, or with class weights the
 * weighted sum divided by the sum of the weights of the batch's labels.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classWeights?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, logits.shape[1])), 1);
    if (!classWeights) return tf.neg(tf.mean(picked)) as tf.Scalar;
    const w = tf.gather(classWeights, labels);
    return tf.neg(tf.div(tf.sum(tf.mul(picked, w)), tf.sum(w))) as tf.Scalar;
  });
}

export interface StepOptions {
  /** Logits for a micro-batch, when not the whole model's forward pass (head-only training). */
  logits?: (micro: Batch, forward: ForwardOptions) => tf.Tensor2D;
  lr: number;
  /** 0 or less: no clipping. */
  maxGradNorm: number;
  classWeights?: tf.Tensor1D;
  nextSeed?: () => number;
}

export interface StepResult {
  /** Mean loss over the micro-batches, before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
}

export async function trainStep(model: BertClassifier, optimizer: AdamW, microBatches: Batch[], options: StepOptions): Promise<StepResult> {
  const byVariable = new Map<string, string>();
  for (const [name, v] of model.params) byVariable.set(v.name, name);
  const grads = new Map<string, tf.Tensor>();
  // The loss stays on the device until the update is queued: one read-back a step, with the norm.
  let loss: tf.Scalar | undefined;
  let norm: tf.Scalar | undefined;
  let coefficient: tf.Scalar | undefined;
  try {
    for (const micro of microBatches) {
      const inputs = batchTensors(micro);
      const labels = tf.tensor1d(micro.labels, 'int32');
      try {
        const { value, grads: g } = tapeGradients(() => {
          const forward = { training: true, nextSeed: options.nextSeed };
          const logits = options.logits ? options.logits(micro, forward) : model.forward(inputs, forward).logits;
          const l = crossEntropy(logits, labels, options.classWeights);
          // transformers divides by the accumulation steps so the summed gradient is a mean
          return (microBatches.length > 1 ? tf.div(l, microBatches.length) : l) as tf.Scalar;
        });
        if (loss) {
          const sum = tf.add(loss, value) as tf.Scalar;
          tf.dispose([loss, value]);
          loss = sum;
        } else loss = value;
        for (const [varName, grad] of g) {
          const name = byVariable.get(varName)!;
          const prev = grads.get(name);
          if (prev) {
            grads.set(name, tf.add(prev, grad));
            prev.dispose();
            grad.dispose();
          } else grads.set(name, grad);
        }
      } finally {
        disposeInputs(inputs);
        labels.dispose();
      }
    }
    norm = globalNorm(grads.values());
    coefficient = clipCoefficient(norm, options.maxGradNorm);
    optimizer.apply(grads, options.lr, coefficient);
    const [meanLoss, gradNorm] = await readScalars(loss!, norm);
    return { loss: meanLoss, gradNorm, clipped: wasClipped(gradNorm, options.maxGradNorm) };
  } finally {
    for (const g of grads.values()) g.dispose();
    tf.dispose([loss, norm, coefficient].filter(t => t !== undefined));
  }
}

/** Several scalars in one read-back. */
async function readScalars(...scalars: tf.Scalar[]): Promise<number[]> {
  const both = tf.stack(scalars);
  try {
    return [...(await both.data())];
  } finally {
    both.dispose();
  }
}

/** Seconds one forward and backward pass over `batch` takes, without changing the model (for estimates). */
export async function timeGradients(model: BertClassifier, batch: Batch, logitsOf?: StepOptions['logits']): Promise<number> {
  const inputs = batchTensors(batch);
  const labels = tf.tensor1d(batch.labels, 'int32');
  const t0 = performance.now();
  const forward = { training: true };
  const { value, grads } = tapeGradients(() => crossEntropy(logitsOf ? logitsOf(batch, forward) : model.forward(inputs, forward).logits, labels));
  await value.data();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([value, ...grads.values(), labels]);
  disposeInputs(inputs);
  return seconds;
}
