/**
 * A run's rows: the training rows, and the validation rows from their own file or a seeded
 * stratified split. One function, so that a run and the script exported from it see the same rows.
 */
import type { TrainConfig } from '../../shared/trainerProtocol';
import { loadLabelledData, type LabelledData, type LabelledRow } from '../data/loadLabelledData';
import { stratifiedSplit } from '../data/split';
import type { DataFinding } from '../../shared/dataFindings';

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

export async function loadRunRows(config: TrainConfig): Promise<RunRows> {
  const data = await loadLabelledData(config.data, config);
  const warnings = [...data.warnings];
  if (config.validationData) {
    const v = await loadLabelledData(config.validationData, { ...config, mergeInto: data.labels });
    warnings.push(...v.warnings);
    return { data, train: data.rows, validation: v.rows, validationFile: config.validationData, warnings, findings: [...data.findings, ...v.findings] };
  }
  const split = stratifiedSplit(data.rows, r => r.label, config.validationSplit, config.seed);
  const share = split.validation.length / Math.max(1, data.rows.length);
  if (share > config.validationSplit * 1.5 + 0.02) {
    warnings.push(
      `Validation takes ${(100 * share).toFixed(0)}% of the rows, not the ${(100 * config.validationSplit).toFixed(0)}% asked: ${data.labels.length} classes with few rows each, and each class with two or more keeps at least one for validation. Give a validation file (--validation-data), or merge rare classes.`,
    );
  }
  return { data, train: split.train, validation: split.validation, validationFile: config.data, warnings, findings: data.findings };
}
