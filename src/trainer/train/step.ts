/**
 * One optimisation step on the trainer's thread: forward in training mode, the loss
 * (../step/loss.ts), gradients summed over accumulated micro-batches, global-norm clipping
 * (../step/clipping.ts), AdamW. The gradient workers (../parallel/) take the same step with
 * the same loss and clipping rule. Tensors live only inside the step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, ForwardOptions } from '../model/classifier';
import type { AdamW } from './adamw';
import { batchTensors, disposeInputs, type Batch, type StepResult } from '../step/batch';
import { clipCoefficient, globalNorm, wasClipped } from '../step/clipping';
import { batchLoss, lossCoefficients, SINGLE_LABEL_LOSS, targetTensor, weightedLoss, type LossSpec } from '../step/loss';
import { tapeGradients } from '../step/tapeGradients';

export interface StepOptions {
  /** Logits for a micro-batch, when not the whole model's forward pass (head-only training). */
  logits?: (micro: Batch, forward: ForwardOptions) => tf.Tensor2D;
  lr: number;
  /** 0 or less: no clipping. */
  maxGradNorm: number;
  /** The task's loss and its weights (default: single-label, unweighted). */
  loss?: LossSpec;
  nextSeed?: () => number;
}

export async function trainStep(model: Classifier, optimizer: AdamW, microBatches: Batch[], options: StepOptions): Promise<StepResult> {
  const byVariable = new Map<string, string>();
  for (const [name, v] of model.params) byVariable.set(v.name, name);
  const grads = new Map<string, tf.Tensor>();
  // The loss stays on the device until the update is queued: one read-back a step, with the norm.
  let loss: tf.Scalar | undefined;
  let norm: tf.Scalar | undefined;
  let coefficient: tf.Scalar | undefined;
  // The one loss (step/loss.ts): the gradient workers weigh their rows the same way.
  const spec = options.loss ?? SINGLE_LABEL_LOSS;
  const coefs = lossCoefficients(microBatches, spec);
  try {
    for (const [j, micro] of microBatches.entries()) {
      const inputs = batchTensors(micro);
      const targets = targetTensor(spec, micro);
      const rowCoefs = tf.tensor1d(coefs[j]);
      try {
        const { value, grads: g } = tapeGradients(() => {
          const forward = { training: true, nextSeed: options.nextSeed };
          const logits = options.logits ? options.logits(micro, forward) : model.forward(inputs, forward).logits;
          return weightedLoss(spec, logits, targets, rowCoefs);
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
        tf.dispose([targets, rowCoefs]);
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
export async function timeGradients(model: Classifier, batch: Batch, logitsOf?: StepOptions['logits'], spec: LossSpec = SINGLE_LABEL_LOSS): Promise<number> {
  const inputs = batchTensors(batch);
  const t0 = performance.now();
  const forward = { training: true };
  const { value, grads } = tapeGradients(() => batchLoss(spec, logitsOf ? logitsOf(batch, forward) : model.forward(inputs, forward).logits, batch));
  await value.data();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([value, ...grads.values()]);
  disposeInputs(inputs);
  return seconds;
}
