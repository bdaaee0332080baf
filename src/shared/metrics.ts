/**
 * The evaluation metrics a run can pick its best checkpoint by: the one table the trainer, the
 * CLI's usage, the wizard, the Runs view, the log and the metrics panel read. A new metric is a
 * row here and a field of the evaluation message (trainerProtocol.ts). Each belongs to the tasks
 * (tasks.ts) whose evaluations compute it.
 */
import * as z from 'zod/mini';
import { DEFAULT_TASK, type TaskName } from './tasks';

/** What an evaluation reports of each metric (the evaluation message's fields): the loss always, the others as its task computes them. */
export interface MetricValues {
  loss: number;
  accuracy?: number;
  macroF1?: number;
  microF1?: number;
  weightedF1?: number;
  subsetAccuracy?: number;
  hammingLoss?: number;
  mse?: number;
  rmse?: number;
  mae?: number;
  r2?: number;
  pearson?: number;
  spearman?: number;
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
  tasks: readonly TaskName[];
}

const SINGLE: readonly TaskName[] = ['single_label_classification'];
const MULTI: readonly TaskName[] = ['multi_label_classification'];
const CLASSIFICATION: readonly TaskName[] = ['single_label_classification', 'multi_label_classification'];
const REGRESSION: readonly TaskName[] = ['regression'];
const ALL: readonly TaskName[] = ['single_label_classification', 'multi_label_classification', 'regression'];

export const METRICS = {
  accuracy: { field: 'accuracy', label: 'accuracy', better: 'higher', format: 'percent', detail: 'share of validation rows predicted right', tasks: SINGLE },
  macro_f1: {
    field: 'macroF1',
    label: 'macro-F1',
    better: 'higher',
    format: 'percent',
    detail: 'the mean of the per-class F1: every class counts the same (imbalanced labels)',
    tasks: CLASSIFICATION,
  },
  micro_f1: {
    field: 'microF1',
    label: 'micro-F1',
    better: 'higher',
    format: 'percent',
    detail: 'F1 over every (row, label) decision pooled: frequent labels weigh more',
    tasks: MULTI,
  },
  weighted_f1: {
    field: 'weightedF1',
    label: 'weighted F1',
    better: 'higher',
    format: 'percent',
    detail: "the per-label F1 weighted by each label's rows",
    tasks: MULTI,
  },
  subset_accuracy: {
    field: 'subsetAccuracy',
    label: 'subset accuracy',
    better: 'higher',
    format: 'percent',
    detail: 'share of rows whose whole label set is predicted exactly',
    tasks: MULTI,
  },
  hamming_loss: {
    field: 'hammingLoss',
    label: 'Hamming loss',
    better: 'lower',
    format: 'decimal',
    detail: 'share of (row, label) decisions that are wrong (lower is better)',
    tasks: MULTI,
  },
  mse: { field: 'mse', label: 'MSE', better: 'lower', format: 'decimal', detail: 'mean squared error (lower is better)', tasks: REGRESSION },
  rmse: {
    field: 'rmse',
    label: 'RMSE',
    better: 'lower',
    format: 'decimal',
    detail: "root mean squared error, in the target's units (lower is better)",
    tasks: REGRESSION,
  },
  mae: {
    field: 'mae',
    label: 'MAE',
    better: 'lower',
    format: 'decimal',
    detail: "mean absolute error, in the target's units (lower is better)",
    tasks: REGRESSION,
  },
  r2: {
    field: 'r2',
    label: 'R²',
    better: 'higher',
    format: 'decimal',
    detail: "the share of the target's variance explained (1 is perfect)",
    tasks: REGRESSION,
  },
  pearson: {
    field: 'pearson',
    label: 'Pearson',
    better: 'higher',
    format: 'decimal',
    detail: 'linear correlation of prediction and target (STS-B reports it)',
    tasks: REGRESSION,
  },
  spearman: {
    field: 'spearman',
    label: 'Spearman',
    better: 'higher',
    format: 'decimal',
    detail: 'rank correlation of prediction and target',
    tasks: REGRESSION,
  },
  loss: { field: 'loss', label: 'loss', better: 'lower', format: 'decimal', detail: 'the validation loss (lower is better)', tasks: ALL },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];
export const metricNameSchema = z.enum(METRIC_NAMES);
export const DEFAULT_METRIC: MetricName = 'accuracy';

/** The metric a run keeps its best checkpoint by when none is asked for. */
export const DEFAULT_METRIC_OF: Record<TaskName, MetricName> = {
  single_label_classification: 'accuracy',
  multi_label_classification: 'micro_f1',
  regression: 'r2',
};

/** The metric that sums up an evaluation of this task in a line (a toast, a picker, a chart): the task's default. */
export function headlineMetric(e: { task?: TaskName }): MetricName {
  return DEFAULT_METRIC_OF[e.task ?? DEFAULT_TASK];
}

/** The two metrics the metrics panel's chart draws for a task (both between 0 and 1, or nearly). */
export const CHART_METRICS: Record<TaskName, readonly [MetricName, MetricName]> = {
  single_label_classification: ['accuracy', 'macro_f1'],
  multi_label_classification: ['micro_f1', 'macro_f1'],
  regression: ['r2', 'pearson'],
};

/** The metrics a task's evaluations compute, in the table's order. */
export function metricsOf(task: TaskName | undefined): MetricName[] {
  return METRIC_NAMES.filter(m => (METRICS[m].tasks as readonly TaskName[]).includes(task ?? DEFAULT_TASK));
}

/** The metric's value; NaN where the evaluation's task does not compute it. */
export function metricValue(e: MetricValues, metric: MetricName): number {
  return e[METRICS[metric].field] ?? NaN;
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
  return METRIC_NAMES.filter(m => e[METRICS[m].field] !== undefined)
    .map(m => `${METRICS[m].label} ${formatMetric(m, metricValue(e, m), digits)}`)
    .join(separator);
}
