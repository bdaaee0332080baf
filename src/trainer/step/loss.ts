/**
 * The training loss, defined once: torch.nn.CrossEntropyLoss (class weights optional) with
 * transformers' gradient accumulation, as a weight per row, so that a step's loss is
 * Σ coef · nll over its rows however they are cut into micro-batches, passes or workers.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Each row's weight in the step's loss: the mean of the micro-batches' (class-weighted) mean
 * losses, as transformers divides each micro-batch's loss by the accumulation steps.
 */
export function lossCoefficients(micro: { labels: number[] }[], classWeights?: number[]): number[][] {
  return micro.map(b => {
    const w = b.labels.map(l => classWeights?.[l] ?? 1);
    const total = w.reduce((a, x) => a + x, 0) * micro.length;
    return w.map(x => x / total);
  });
}

/** -Σ coef_i · log p(label_i | x_i): the loss of these rows, weighted by lossCoefficients. */
export function weightedNll(logits: tf.Tensor2D, labels: tf.Tensor1D, coefs: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1);
    return tf.neg(tf.sum(tf.mul(picked, coefs))) as tf.Scalar;
  });
}

/** torch.nn.CrossEntropyLoss of one batch: weightedNll with that batch's coefficients. */
export function crossEntropy(logits: tf.Tensor2D, labels: number[], classWeights?: number[]): tf.Scalar {
  return tf.tidy(() => weightedNll(logits, tf.tensor1d(labels, 'int32'), tf.tensor1d(lossCoefficients([{ labels }], classWeights)[0])));
}
