/**
 * Evaluation on labelled rows, as the task reads them: the loss (unweighted, as transformers'
 * model computes it), the task's metrics (shared/metrics.ts), and the rows the model gets most
 * wrong. Single-label: softmax, accuracy, macro-F1, per class and the confusion matrix.
 * Multi-label: a sigmoid per label at the decision thresholds, the multi-label F1s, per label with
 * ROC-AUC and a tuned threshold. Regression: the value, its errors and correlations, every point.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../model/classifier';
import { afterBatch } from '../backend';
import { batchesOf, type Example } from './batches';
import { classificationMetrics, type ClassMetrics } from './metrics';
import { batchTensors, disposeInputs, type Batch } from '../step/batch';
import { rowLosses, targetTensor } from '../step/loss';
import { clipText, MAX_MISCLASSIFIED, reportedClasses } from '../../shared/reportedEvaluation';
import { CHECKPOINT_FILES } from '../../shared/runFolder';
import type { MetricValues } from '../../shared/metrics';
import { DEFAULT_THRESHOLD, type TaskName, type ThresholdsFile } from '../../shared/tasks';
import type { RegressionPoint } from '../../shared/trainerProtocol';
import { assertFiniteOutputs } from '../util/finite';
import { multiLabelMetrics } from '../task/multiLabelMetrics';
import { regressionMetrics } from '../task/regressionMetrics';
import { multiLabelOutputs, regressionOutputs, singleLabelOutputs } from '../task/outputs';
import { destandardised, type TargetScale } from '../task/targetScale';

export interface Misclassified {
  line: number;
  /** The label, or a multi-label row's labels joined by ", ". */
  truth: string;
  predicted: string;
  /** How sure the model was of its wrong answer: the predicted class's probability, or a multi-label row's most confident wrong decision. */
  confidence: number;
}

export interface Evaluation extends MetricValues {
  task: TaskName;
  /** Per class (single-label) or per label (multi-label, with ROC-AUC and tuned threshold); empty for regression. */
  perClass: ClassMetrics[];
  /** Single-label: confusion[true][predicted]; empty otherwise. */
  confusion: number[][];
  misclassified: Misclassified[];
  /** Regression: every row's target and prediction. */
  points?: RegressionPoint[];
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

export interface EvaluationTask {
  task: TaskName;
  labels: string[];
  /** Multi-label: the decision threshold per label (default 0.5). */
  thresholds?: number[];
  /** Regression learnt standardised: outputs and targets are brought back to the target's units, the loss too. */
  targetScale?: TargetScale;
}

export async function evaluate(
  model: Classifier,
  examples: Example[],
  { task, labels, thresholds, targetScale }: EvaluationTask,
  batchSize: number,
  padId: number,
  logitsOf?: BatchLogits,
  progress: EvaluationProgress = {},
): Promise<Evaluation> {
  // Longest first: batches of similar lengths waste no compute on padding; order does not change results.
  const order = examples.map((_, i) => i).sort((a, b) => examples[b].inputIds.length - examples[a].inputIds.length);
  const outputs: number[][] = [];
  const rows: Example[] = [];
  let lossSum = 0;
  const batches = batchesOf(examples, order, batchSize, padId);
  const given = logitsOf && (await logitsOf(batches));
  const spec = { task };
  let done = 0;
  for (const [b, batch] of batches.entries()) {
    if (progress.shouldStop?.()) throw new EvaluationCancelled();
    const inputs = batchTensors(batch);
    const [logits, loss] = tf.tidy(() => {
      const l = given ? tf.tensor2d(given[b], [batch.labels.length, model.config.id2label.length]) : model.forward(inputs, { training: false }).logits;
      return [tf.keep(l), tf.sum(rowLosses(spec, l, targetTensor(spec, batch)))];
    });
    disposeInputs(inputs);
    const values = (await logits.array()) as number[][];
    lossSum += (await loss.data())[0];
    tf.dispose([logits, loss]);
    afterBatch();
    assertFiniteOutputs(values, 'The model', i => `row ${batch.rows![i]} of the evaluation`);
    outputs.push(...values);
    batch.rows!.forEach((_, i) => rows.push(examples[order[done + i]]));
    done += batch.labels.length;
    progress.onProgress?.(done);
  }
  const loss = examples.length ? lossSum / examples.length : 0;
  if (task === 'regression') return evaluateRegression(rows, outputs, loss, targetScale);
  if (task === 'multi_label_classification') return evaluateMultiLabel(rows, outputs, labels, loss, thresholds);
  return evaluateSingleLabel(rows, outputs, labels, loss);
}

function evaluateSingleLabel(rows: Example[], logits: number[][], labels: string[], loss: number): Evaluation {
  const predicted: number[] = [];
  const wrong: Misclassified[] = [];
  logits.forEach((l, i) => {
    const { best, probabilities } = singleLabelOutputs(l);
    predicted.push(best);
    const truth = rows[i].label;
    if (best !== truth) wrong.push({ line: rows[i].line, truth: labels[truth], predicted: labels[best], confidence: probabilities[best] });
  });
  const metrics = classificationMetrics(
    labels,
    rows.map(r => r.label),
    predicted,
  );
  return { task: 'single_label_classification', ...metrics, loss, misclassified: mostConfident(wrong) };
}

function evaluateMultiLabel(rows: Example[], logits: number[][], labels: string[], loss: number, thresholds?: number[]): Evaluation {
  const outputs = logits.map(l => multiLabelOutputs(l, thresholds));
  const truth = rows.map(r => r.target!);
  const m = multiLabelMetrics(
    labels,
    truth,
    outputs.map(o => o.probabilities),
    thresholds,
  );
  const wrong: Misclassified[] = [];
  outputs.forEach(({ probabilities: p, chosen }, i) => {
    const actual = truth[i].flatMap((y, j) => (y ? [j] : []));
    if (chosen.length === actual.length && chosen.every((j, k) => actual[k] === j)) return;
    // The most confident of its wrong decisions: a label given with probability p, or one missed with 1 − p.
    const confidence = Math.max(...p.map((q, j) => (truth[i][j] ? (chosen.includes(j) ? 0 : 1 - q) : chosen.includes(j) ? q : 0)));
    wrong.push({ line: rows[i].line, truth: actual.map(j => labels[j]).join(', '), predicted: chosen.map(j => labels[j]).join(', '), confidence });
  });
  return {
    task: 'multi_label_classification',
    loss,
    microF1: m.microF1,
    macroF1: m.macroF1,
    weightedF1: m.weightedF1,
    subsetAccuracy: m.subsetAccuracy,
    hammingLoss: m.hammingLoss,
    perClass: m.perLabel,
    confusion: [],
    misclassified: mostConfident(wrong),
  };
}

function evaluateRegression(rows: Example[], logits: number[][], loss: number, scale?: TargetScale): Evaluation {
  const units = (v: number) => (scale ? destandardised(v, scale) : v);
  const truth = rows.map(r => units(r.target![0]));
  const predicted = logits.map(l => units(regressionOutputs(l).value));
  return {
    task: 'regression',
    // The MSE in the target's units, as an unstandardised run reports it.
    loss: scale ? loss * scale.std * scale.std : loss,
    ...regressionMetrics(truth, predicted),
    perClass: [],
    confusion: [],
    misclassified: [],
    points: rows.map((r, i) => ({ line: r.line, truth: truth[i], predicted: predicted[i] })).sort((a, b) => a.line - b.line),
  };
}

function mostConfident(wrong: Misclassified[]): Misclassified[] {
  return wrong.sort((a, b) => b.confidence - a.confidence).slice(0, MAX_MISCLASSIFIED);
}

/** At most this many regression points go into an evaluation message: an even sample of larger sets. */
export const MAX_REPORTED_POINTS = 2000;

/** An evaluation as its message carries it (trainerProtocol.ts), bounded (reportedEvaluation.ts): the texts of the wrong rows from `rowsByLine`. */
export function reportedEvaluation(e: Evaluation, rowsByLine: ReadonlyMap<number, { text: string; pair?: string }>) {
  const { perClass, confusion, misclassified, points, ...metrics } = e;
  return {
    ...metrics,
    ...reportedClasses(perClass, confusion),
    misclassified: misclassified.map(w => {
      const row = rowsByLine.get(w.line)!;
      return { ...w, text: clipText(row.text), ...(row.pair !== undefined ? { pair: clipText(row.pair) } : {}) };
    }),
    ...(points && {
      points: points.length <= MAX_REPORTED_POINTS ? points : points.filter((_, i) => i % Math.ceil(points.length / MAX_REPORTED_POINTS) === 0),
    }),
  };
}

/** A multi-label checkpoint's thresholds.json: each label's threshold of its best F1 on these rows. Nothing for the other tasks. */
export function thresholdsFile(e: Evaluation, labels: string[], step: number, rows: number): Record<string, string> {
  if (e.task !== 'multi_label_classification') return {};
  const file: ThresholdsFile = { version: 1, labels, thresholds: e.perClass.map(c => c.threshold ?? DEFAULT_THRESHOLD), step, rows };
  return { [CHECKPOINT_FILES.thresholds]: JSON.stringify(file, null, 2) + '\n' };
}
