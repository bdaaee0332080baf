/**
 * A run's rows: the training rows, and the validation rows from their own file or a seeded
 * stratified split. One function, so that a run and the script exported from it see the same rows.
 */
import type { TrainConfig } from '../../shared/trainerProtocol';
import { loadLabelledData, type LabelledData, type LabelledRow } from '../data/loadLabelledData';
import { stratifiedSplit } from '../data/split';
import type { DataFinding } from '../../shared/dataFindings';
import type { TaskName } from '../../shared/tasks';
import { stratumOf } from '../task/targets';

export interface RunRows {
  data: LabelledData;
  train: LabelledRow[];
  validation: LabelledRow[];
  /** The file the validation rows' line numbers refer to. */
  validationFile: string;
  warnings: string[];
  /** The files' findings (skipped rows, rows over several lines), with their lines. */
  findings: DataFinding[];
}

/** `modelTask`: the base model's problem_type, which decides the task where the run does not say and the data's form does not either. */
export async function loadRunRows(config: TrainConfig, modelTask?: TaskName): Promise<RunRows> {
  const data = await loadLabelledData(config.data, { ...config, task: config.problemType, taskHint: modelTask });
  const warnings = [...data.warnings];
  if (config.validationData) {
    // The validation file is read as the training file was, its labels mapped onto the training file's.
    const v = await loadLabelledData(config.validationData, { ...config, task: data.task, mergeInto: data.labels });
    warnings.push(...v.warnings);
    return { data, train: data.rows, validation: v.rows, validationFile: config.validationData, warnings, findings: [...data.findings, ...v.findings] };
  }
  const split = stratifiedSplit(data.rows, stratumOf(data.task, data.rows), config.validationSplit, config.seed);
  const share = split.validation.length / Math.max(1, data.rows.length);
  if (share > config.validationSplit * 1.5 + 0.02) {
    warnings.push(
      `Validation takes ${(100 * share).toFixed(0)}% of the rows, not the ${(100 * config.validationSplit).toFixed(0)}% asked: ${data.task === 'single_label_classification' ? `${data.labels.length} classes with few rows each, and each class with two or more keeps at least one for validation` : 'many label combinations with few rows each, and each with two or more keeps at least one for validation'}. Give a validation file (--validation-data), or merge rare classes.`,
    );
  }
  return { data, train: split.train, validation: split.validation, validationFile: config.data, warnings, findings: data.findings };
}
