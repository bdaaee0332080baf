/**
 * A row's target as the model learns it, per task: a class id (single-label), 0/1 per label
 * (multi-label) or the value (regression); the key a stratified split keeps together; and the
 * loss's weights from the run's `classWeights` setting.
 */
import { TASKS, type TaskName } from '../../shared/tasks';
import { DEFAULT_METRIC, DEFAULT_METRIC_OF, METRICS, metricsOf, type MetricName } from '../../shared/metrics';
import type { TrainConfig } from '../../shared/trainerProtocol';
import { DataError, type LabelledRow } from '../data/loadLabelledData';
import type { Example } from '../train/batches';
import { balancedClassWeights } from '../train/metrics';
import type { LossSpec } from '../step/loss';

/** The example's `label` and `target` for a row read as `task`. */
export function exampleTarget(task: TaskName, row: LabelledRow, labelIds: Map<string, number>, file: string): Pick<Example, 'label' | 'target'> {
  if (task === 'regression') return { label: 0, target: [row.value!] };
  if (task === 'multi_label_classification') {
    const target = new Array<number>(labelIds.size).fill(0);
    for (const tag of row.tags!) {
      const id = labelIds.get(tag);
      if (id === undefined) throw unknownLabel(file, row.line, tag, labelIds);
      target[id] = 1;
    }
    return { label: 0, target };
  }
  const id = labelIds.get(row.label);
  if (id === undefined) throw unknownLabel(file, row.line, row.label, labelIds);
  return { label: id };
}

function unknownLabel(file: string, line: number, label: string, labelIds: Map<string, number>): DataError {
  return new DataError(`${file}, line ${line}: label "${label}" does not occur in the training data (labels: ${[...labelIds.keys()].join(', ')})`);
}

/**
 * What a stratified split keeps in proportion: the label; the set of labels (multi-label, so
 * that each combination is seen on both sides); the target's decile (regression).
 */
export function stratumOf(task: TaskName, rows: LabelledRow[]): (row: LabelledRow) => string {
  if (task === 'multi_label_classification') return r => [...r.tags!].sort().join('\u0000');
  if (task === 'regression') {
    const sorted = rows.map(r => r.value!).sort((a, b) => a - b);
    const edges = Array.from({ length: 9 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / 10)]);
    return r => String(edges.filter(e => r.value! >= e).length);
  }
  return r => r.label;
}

/**
 * The run's loss: its task, and the weights `classWeights` asks for. Single-label: a weight per
 * class ("balanced" as scikit-learn's n / (k · count)). Multi-label: a `pos_weight` per label
 * ("balanced": negatives / positives of that label, as torch's documentation suggests).
 * Regression takes none.
 */
export function lossSpecFor(config: Pick<TrainConfig, 'classWeights'>, task: TaskName, labels: string[], train: Example[]): LossSpec {
  const asked = config.classWeights;
  if (asked === 'none') return { task };
  if (task === 'regression') throw new DataError(`class weights: a regression has no classes to weigh; leave --class-weights out.`);
  if (Array.isArray(asked) && asked.length !== labels.length) {
    throw new DataError(`class weights: ${asked.length} given for ${labels.length} labels (${labels.join(', ')})`);
  }
  if (task === 'multi_label_classification') {
    if (Array.isArray(asked)) return { task, posWeight: asked };
    const positives = new Array<number>(labels.length).fill(0);
    for (const e of train) e.target!.forEach((y, j) => (positives[j] += y));
    return { task, posWeight: positives.map(p => (p ? (train.length - p) / p : 1)) };
  }
  if (Array.isArray(asked)) return { task, classWeights: asked };
  return {
    task,
    classWeights: balancedClassWeights(
      train.map(e => e.label),
      labels.length,
    ),
  };
}

/**
 * The metric that picks the best checkpoint, for this task: the one asked for, or the task's own
 * where the run kept the single-label default (accuracy) that the task does not compute; `note`
 * says so. A metric the task does not compute, asked for, is refused.
 */
export function metricForTask(config: Pick<TrainConfig, 'metricForBest'>, task: TaskName): { metricForBest: MetricName; note?: string } {
  if (metricsOf(task).includes(config.metricForBest)) return { metricForBest: config.metricForBest };
  if (config.metricForBest !== DEFAULT_METRIC) {
    throw new DataError(`--metric ${config.metricForBest} is not computed for ${TASKS[task].title}; choose one of ${metricsOf(task).join(', ')}.`);
  }
  const metricForBest = DEFAULT_METRIC_OF[task];
  return { metricForBest, note: `The best checkpoint is the one with the best ${METRICS[metricForBest].label} (${TASKS[task].title}).` };
}
