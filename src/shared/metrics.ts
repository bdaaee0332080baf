/**
 * The evaluation metrics a run can pick its best checkpoint by: the one table the trainer, the
 * CLI's usage, the wizard, the Runs view, the log and the metrics panel read. A new metric is a
 * row here and a field of the evaluation message (trainerProtocol.ts).
 */
import * as z from 'zod/mini';

/** What an evaluation reports of each metric (the evaluation message's fields). */
export interface MetricValues {
  accuracy: number;
  macroF1: number;
  loss: number;
}

export interface MetricDefinition {
  /** The evaluation message's field. */
  field: keyof MetricValues;
  /** In sentences and headers. */
  label: string;
  better: 'higher' | 'lower';
  /** Shares read as percentages; a loss as a decimal. */
  format: 'percent' | 'decimal';
  /** What the metric means, where the user picks one. */
  detail: string;
}

export const METRICS = {
  accuracy: { field: 'accuracy', label: 'accuracy', better: 'higher', format: 'percent', detail: 'share of validation rows predicted right' },
  macro_f1: {
    field: 'macroF1',
    label: 'macro-F1',
    better: 'higher',
    format: 'percent',
    detail: 'the mean of the per-class F1: every class counts the same (imbalanced labels)',
  },
  loss: { field: 'loss', label: 'loss', better: 'lower', format: 'decimal', detail: 'the validation loss (lower is better)' },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];
export const metricNameSchema = z.enum(METRIC_NAMES);
export const DEFAULT_METRIC: MetricName = 'accuracy';

export function metricValue(e: MetricValues, metric: MetricName): number {
  return e[METRICS[metric].field];
}

/** Whether `value` beats the best so far (none yet: it does). */
export function improves(metric: MetricName, value: number, best: number | undefined): boolean {
  if (best === undefined) return true;
  return METRICS[metric].better === 'lower' ? value < best : value > best;
}

/** "85.2%" or "0.4321"; `digits` for percentages only. */
export function formatMetric(metric: MetricName, value: number, digits = 1): string {
  return METRICS[metric].format === 'percent' ? `${(100 * value).toFixed(digits)}%` : value.toFixed(4);
}

/** Every metric of an evaluation in one phrase: "accuracy 85.20%, macro-F1 80.00%, loss 0.4321". */
export function describeMetrics(e: MetricValues, digits = 2, separator = ', '): string {
  return METRIC_NAMES.map(m => `${METRICS[m].label} ${formatMetric(m, metricValue(e, m), digits)}`).join(separator);
}
