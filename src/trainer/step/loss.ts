/**
 * The training loss, defined once per task as transformers computes it
 * (`*ForSequenceClassification.forward` by `problem_type`):
 * - single-label: torch.nn.CrossEntropyLoss, class weights optional;
 * - multi-label: torch.nn.BCEWithLogitsLoss, the mean over rows and labels, `pos_weight` optional;
 * - regression: torch.nn.MSELoss on the one output.
 * With transformers' gradient accumulation, as a weight per row, so that a step's loss is
 * Σ coef · loss over its rows however they are cut into micro-batches, passes or workers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TaskName } from '../../shared/tasks';
import type { Batch } from './batch';

/** The loss of a run: its task and the weights it takes. Plain data: it crosses to the gradient workers. */
export interface LossSpec {
  task: TaskName;
  /** Single-label: per class, as CrossEntropyLoss(weight=…). */
  classWeights?: number[];
  /** Multi-label: per label, as BCEWithLogitsLoss(pos_weight=…). */
  posWeight?: number[];
}

export const SINGLE_LABEL_LOSS: LossSpec = { task: 'single_label_classification' };

/**
 * Each row's weight in the step's loss: the mean of the micro-batches' mean losses, as
 * transformers divides each micro-batch's loss by the accumulation steps. CrossEntropyLoss with
 * class weights is a weighted mean (Σ w·nll / Σ w); the other tasks' means are plain.
 */
export function lossCoefficients(micro: { labels: number[] }[], spec: LossSpec = SINGLE_LABEL_LOSS): number[][] {
  const weights = spec.task === 'single_label_classification' ? spec.classWeights : undefined;
  return micro.map(b => {
    const w = b.labels.map(l => weights?.[l] ?? 1);
    const total = w.reduce((a, x) => a + x, 0) * micro.length;
    return w.map(x => x / total);
  });
}

/** What a batch's targets are as a tensor: class ids (int32 [rows]), 0/1 per label ([rows, labels]) or the values ([rows]). */
export function targetTensor(spec: LossSpec, batch: Batch): tf.Tensor {
  if (spec.task === 'single_label_classification') return tf.tensor1d(batch.labels, 'int32');
  if (!batch.targets) throw new Error(`a ${spec.task} batch without targets`);
  if (spec.task === 'regression') return tf.tensor1d(batch.targets.map(t => t[0]));
  return tf.tensor2d(batch.targets, [batch.targets.length, batch.targets[0]?.length ?? 0]);
}

/** Each row's unweighted loss, [rows]. */
export function rowLosses(spec: LossSpec, logits: tf.Tensor2D, targets: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    switch (spec.task) {
      case 'single_label_classification':
        return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets as tf.Tensor1D, logits.shape[1])), 1)) as tf.Tensor1D;
      case 'multi_label_classification': {
        // torch: (1 − y)·x + (1 + (pw − 1)·y)·softplus(−x), the mean over the labels.
        const y = targets as tf.Tensor2D;
        const lw = spec.posWeight ? tf.add(1, tf.mul(tf.sub(tf.tensor1d(spec.posWeight), 1), y)) : tf.onesLike(y);
        const each = tf.add(tf.mul(tf.sub(1, y), logits), tf.mul(lw, tf.softplus(tf.neg(logits))));
        return tf.mean(each, 1) as tf.Tensor1D;
      }
      case 'regression': {
        const x = tf.reshape(logits, [-1]);
        return tf.square(tf.sub(x, targets)) as tf.Tensor1D;
      }
    }
  });
}

/** Σ coef_i · loss_i: the loss of these rows, weighted by lossCoefficients. */
export function weightedLoss(spec: LossSpec, logits: tf.Tensor2D, targets: tf.Tensor, coefs: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(rowLosses(spec, logits, targets), coefs)) as tf.Scalar);
}

/** The loss of one batch as transformers computes it: weightedLoss with that batch's coefficients. */
export function batchLoss(spec: LossSpec, logits: tf.Tensor2D, batch: Batch): tf.Scalar {
  return tf.tidy(() => weightedLoss(spec, logits, targetTensor(spec, batch), tf.tensor1d(lossCoefficients([batch], spec)[0])));
}

/** torch.nn.CrossEntropyLoss of one batch of class ids (class weights optional). */
export function crossEntropy(logits: tf.Tensor2D, labels: number[], classWeights?: number[]): tf.Scalar {
  return batchLoss({ task: 'single_label_classification', classWeights }, logits, { inputIds: [], tokenTypeIds: [], attentionMask: [], labels });
}
