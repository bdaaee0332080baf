/** Classification metrics from predictions: accuracy, macro-F1, per-class scores, confusion matrix. */
import type { ClassMetrics } from '../../shared/reportedEvaluation';

export type { ClassMetrics };

export interface ClassificationMetrics {
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted] */
  confusion: number[][];
}

export function classificationMetrics(labels: string[], truth: number[], predicted: number[]): ClassificationMetrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  truth.forEach((t, i) => confusion[t][predicted[i]]++);
  let correct = 0;
  for (let c = 0; c < k; c++) correct += confusion[c][c];
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
    // As scikit-learn with zero_division=0: an undefined ratio counts as 0.
    const precision = predictedAs ? tp / predictedAs : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const macroF1 = perClass.reduce((a, c) => a + c.f1, 0) / Math.max(1, k);
  return { accuracy: truth.length ? correct / truth.length : 0, macroF1, perClass, confusion };
}

/** Class weights "balanced" as scikit-learn computes them: n / (k · count of the class). */
export function balancedClassWeights(labelIds: number[], k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  labelIds.forEach(l => counts[l]++);
  return counts.map(c => (c ? labelIds.length / (k * c) : 0));
}
