/**
 * What a head's outputs mean, per task, from one row's logits: single-label, the softmax and the
 * most likely class; multi-label, a sigmoid per label and the labels at or over their
 * thresholds; regression, the value. Evaluation, predictions and the CLI read them here.
 */
import { DEFAULT_THRESHOLD, type TaskName } from '../../shared/tasks';

export function singleLabelOutputs(logits: ArrayLike<number>): { best: number; probabilities: number[] } {
  let max = -Infinity;
  for (let c = 0; c < logits.length; c++) max = Math.max(max, logits[c]);
  const e = Array.from(logits, x => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  const probabilities = e.map(x => x / sum);
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c;
  return { best, probabilities };
}

export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** `chosen`: the label indexes whose probability reaches their threshold, in label order. */
export function multiLabelOutputs(logits: ArrayLike<number>, thresholds?: readonly number[]): { probabilities: number[]; chosen: number[] } {
  const probabilities = Array.from(logits, sigmoid);
  const chosen = probabilities.flatMap((p, j) => (p >= (thresholds?.[j] ?? DEFAULT_THRESHOLD) ? [j] : []));
  return { probabilities, chosen };
}

export function regressionOutputs(logits: ArrayLike<number>): { value: number } {
  return { value: logits[0] };
}

/** One text's prediction from its logits (inferenceProtocol.ts's predictionSchema, without the text's own facts). */
export interface TaskPrediction {
  label: string;
  labels?: string[];
  value?: number;
  confidence?: number;
  probabilities: number[];
}

export function predictionOf(task: TaskName, logits: ArrayLike<number>, labels: readonly string[], thresholds?: readonly number[]): TaskPrediction {
  if (task === 'regression') {
    const { value } = regressionOutputs(logits);
    return { label: String(value), value, probabilities: [] };
  }
  if (task === 'multi_label_classification') {
    const { probabilities, chosen } = multiLabelOutputs(logits, thresholds);
    const top = Math.max(...probabilities);
    const names = chosen.map(j => labels[j]);
    return {
      label: names.join(', '),
      labels: names,
      // How sure of the answer: its most probable label, or, where it gives none, of the absence of the likeliest one.
      confidence: Math.min(1, chosen.length ? Math.max(...chosen.map(j => probabilities[j])) : 1 - top),
      probabilities,
    };
  }
  const { best, probabilities } = singleLabelOutputs(logits);
  return { label: labels[best], confidence: Math.min(1, probabilities[best]), probabilities };
}
