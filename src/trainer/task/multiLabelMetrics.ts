/**
 * Multi-label metrics from the sigmoid outputs, as scikit-learn computes them on indicator
 * matrices with zero_division=0: micro-, macro- and weighted F1, subset accuracy, Hamming loss;
 * per label precision, recall, F1, support and ROC-AUC (roc_auc_score, ties counted half); and
 * a decision threshold per label tuned on these rows for the best F1.
 */
import { DEFAULT_THRESHOLD } from '../../shared/tasks';

export interface LabelMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** Rows the model gave the label (true and false positives). */
  predicted: number;
  /** Undefined where the rows hold one class only (every row has the label, or none does). */
  rocAuc?: number;
  /** The threshold of the best F1 on these rows. */
  threshold: number;
}

export interface MultiLabelMetrics {
  microF1: number;
  macroF1: number;
  weightedF1: number;
  subsetAccuracy: number;
  hammingLoss: number;
  perLabel: LabelMetrics[];
}

const f1Of = (tp: number, fp: number, fn: number) => (tp ? (2 * tp) / (2 * tp + fp + fn) : 0);

/** `truth[i][j]` is 0 or 1; `probs[i][j]` the sigmoid; a label is predicted from `thresholds[j]` (default 0.5) up. */
export function multiLabelMetrics(labels: string[], truth: number[][], probs: number[][], thresholds?: number[]): MultiLabelMetrics {
  const k = labels.length;
  const n = truth.length;
  const t = thresholds ?? new Array<number>(k).fill(DEFAULT_THRESHOLD);
  const tp = new Array<number>(k).fill(0);
  const fp = new Array<number>(k).fill(0);
  const fn = new Array<number>(k).fill(0);
  let exact = 0;
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    let same = true;
    for (let j = 0; j < k; j++) {
      const y = truth[i][j] === 1;
      const p = probs[i][j] >= t[j];
      if (y && p) tp[j]++;
      else if (p) fp[j]++;
      else if (y) fn[j]++;
      if (y !== p) {
        same = false;
        wrong++;
      }
    }
    if (same) exact++;
  }
  const perLabel = labels.map((label, j) => {
    const support = tp[j] + fn[j];
    const column = truth.map(r => r[j]);
    const scores = probs.map(r => r[j]);
    return {
      label,
      precision: tp[j] + fp[j] ? tp[j] / (tp[j] + fp[j]) : 0,
      recall: support ? tp[j] / support : 0,
      f1: f1Of(tp[j], fp[j], fn[j]),
      support,
      predicted: tp[j] + fp[j],
      rocAuc: rocAuc(column, scores),
      threshold: bestThreshold(column, scores),
    };
  });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const supports = sum(perLabel.map(l => l.support));
  return {
    microF1: f1Of(sum(tp), sum(fp), sum(fn)),
    macroF1: k ? sum(perLabel.map(l => l.f1)) / k : 0,
    weightedF1: supports ? sum(perLabel.map(l => l.f1 * l.support)) / supports : 0,
    subsetAccuracy: n ? exact / n : 0,
    hammingLoss: n * k ? wrong / (n * k) : 0,
    perLabel,
  };
}

/** Average ranks (1-based), ties sharing the mean of their ranks: scipy's rankdata. */
export function averageRanks(xs: number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const ranks = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) ranks[order[m]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** The area under the ROC curve (Mann–Whitney U over positives × negatives); undefined with one class only. */
export function rocAuc(truth: number[], scores: number[]): number | undefined {
  const positives = truth.filter(y => y === 1).length;
  const negatives = truth.length - positives;
  if (!positives || !negatives) return undefined;
  const ranks = averageRanks(scores);
  let sum = 0;
  truth.forEach((y, i) => {
    if (y === 1) sum += ranks[i];
  });
  return (sum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The threshold with the best F1 on these rows: halfway between the lowest probability it
 * predicts as the label and the next one below (so a slightly different row falls the same way);
 * 0.5 where no row has the label. Ties go to the higher threshold (fewer false positives).
 */
export function bestThreshold(truth: number[], scores: number[]): number {
  const positives = truth.filter(y => y === 1).length;
  if (!positives) return DEFAULT_THRESHOLD;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let tp = 0;
  let fp = 0;
  let best = -1;
  let threshold = DEFAULT_THRESHOLD;
  for (let i = 0; i < order.length; i++) {
    if (truth[order[i]] === 1) tp++;
    else fp++;
    // Only between distinct scores can a threshold fall.
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const f1 = f1Of(tp, fp, positives - tp);
    if (f1 > best) {
      best = f1;
      const below = i + 1 < order.length ? scores[order[i + 1]] : 0;
      threshold = (scores[order[i]] + below) / 2;
    }
  }
  return Math.min(1, Math.max(0, threshold));
}
