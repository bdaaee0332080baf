/** Evaluation on the validation rows: loss, metrics, and the rows the model gets wrong. */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../model/classifier';
import { afterBatch } from '../backend';
import { batchesOf, type Example } from './batches';
import { classificationMetrics, type ClassificationMetrics } from './metrics';
import { batchTensors, disposeInputs, type Batch } from '../step/batch';
import { MAX_MISCLASSIFIED } from '../../shared/reportedEvaluation';
import { assertFiniteOutputs } from '../util/finite';

export interface Misclassified {
  line: number;
  truth: number;
  predicted: number;
  confidence: number;
}

export interface Evaluation extends ClassificationMetrics {
  loss: number;
  misclassified: Misclassified[];
}

/** Logits of many batches at once, [rows × labels] each: how gradient workers evaluate on every core. */
export type BatchLogits = (batches: Batch[]) => Promise<Float32Array[]>;

/** Thrown by evaluate when `shouldStop` says so between batches. */
export class EvaluationCancelled extends Error {
  constructor() {
    super('evaluation cancelled');
  }
}

export interface EvaluationProgress {
  /** After each batch: rows evaluated so far. */
  onProgress?: (rows: number) => void;
  /** Asked before each batch: true stops with EvaluationCancelled. */
  shouldStop?: () => boolean;
}

export async function evaluate(
  model: Classifier,
  examples: Example[],
  labels: string[],
  batchSize: number,
  padId: number,
  logitsOf?: BatchLogits,
  progress: EvaluationProgress = {},
): Promise<Evaluation> {
  // Longest first: batches of similar lengths waste no compute on padding; order does not change results.
  const order = examples.map((_, i) => i).sort((a, b) => examples[b].inputIds.length - examples[a].inputIds.length);
  const truth: number[] = [];
  const predicted: number[] = [];
  const wrong: Misclassified[] = [];
  let lossSum = 0;
  const batches = batchesOf(examples, order, batchSize, padId);
  const given = logitsOf && (await logitsOf(batches));
  let done = 0;
  for (const [b, batch] of batches.entries()) {
    if (progress.shouldStop?.()) throw new EvaluationCancelled();
    const inputs = batchTensors(batch);
    const [probs, nll] = tf.tidy(() => {
      const logits = given ? tf.tensor2d(given[b], [batch.labels.length, labels.length]) : model.forward(inputs, { training: false }).logits;
      const logp = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(batch.labels, 'int32'), labels.length)), 1);
      return [tf.exp(logp), tf.neg(tf.sum(picked))];
    });
    disposeInputs(inputs);
    const p = (await probs.array()) as number[][];
    lossSum += (await nll.data())[0];
    tf.dispose([probs, nll]);
    afterBatch();
    assertFiniteOutputs(p, 'The model', i => `row ${batch.rows![i]} of the evaluation`);
    p.forEach((row, i) => {
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
      truth.push(batch.labels[i]);
      predicted.push(best);
      if (best !== batch.labels[i]) wrong.push({ line: batch.rows![i], truth: batch.labels[i], predicted: best, confidence: row[best] });
    });
    done += batch.labels.length;
    progress.onProgress?.(done);
  }
  const metrics = classificationMetrics(labels, truth, predicted);
  wrong.sort((a, b) => b.confidence - a.confidence);
  return { ...metrics, loss: examples.length ? lossSum / examples.length : 0, misclassified: wrong.slice(0, MAX_MISCLASSIFIED) };
}
