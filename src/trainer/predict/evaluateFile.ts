/**
 * A trained model on a labelled file: loss, accuracy, macro-F1, the per-class table, the
 * confusion matrix and the most confident mistakes, bounded as a run's evaluation is. The CLI's
 * `eval` prints it; the inference process answers the extension's *Evaluate on a Labelled File*.
 */
import { maxTokens } from '../model/parameters';
import { DEFAULT_MAX_LENGTH, type FileEvaluation } from '../../shared/inferenceProtocol';
import { taskOf, type LoadedModel } from '../checkpoint/hfCheckpoint';
import type { TaskName } from '../../shared/tasks';
import { exampleTarget } from '../task/targets';
import { DataError, loadLabelledData, type LabelledData } from '../data/loadLabelledData';
import { evaluate, reportedEvaluation, type EvaluationProgress } from '../train/evaluate';

export interface EvaluateFileOptions extends EvaluationProgress {
  file: string;
  textCol: string;
  pairCol?: string;
  labelCol: string;
  /** Multi-label tags in one cell: their separator. */
  labelSep?: string;
  /** Default: 128, or less where the model reads less. */
  maxLength?: number;
  batchSize?: number;
  /** Once the rows are read: how many will be evaluated. */
  onRows?: (rows: number) => void;
  /** The file's rows, where the caller read them already (the CLI reads them before the model, to refuse a bad file at once). */
  data?: LabelledData;
}

export const EVAL_BATCH_SIZE = 64;

/** The rows an evaluation reads: text, optional pair and label columns of the file, read as the model's task reads them. */
export function readEvaluationRows(
  options: Pick<EvaluateFileOptions, 'file' | 'textCol' | 'pairCol' | 'labelCol' | 'labelSep'>,
  task: TaskName,
): Promise<LabelledData> {
  return loadLabelledData(options.file, { textCol: options.textCol, pairCol: options.pairCol, labelCol: options.labelCol, labelSep: options.labelSep, task });
}

export async function evaluateFile({ model, tokenizer, thresholds }: LoadedModel, options: EvaluateFileOptions): Promise<FileEvaluation> {
  const { file } = options;
  const task = taskOf(model.config);
  const data = options.data ?? (await readEvaluationRows(options, task));
  const labels = model.config.id2label;
  const ids = new Map(labels.map((l, i) => [l, i]));
  const maxLength = Math.min(options.maxLength ?? DEFAULT_MAX_LENGTH, tokenizer.modelMaxLength, maxTokens(model.config));
  const examples = data.rows.map(r => {
    const unknown = task === 'single_label_classification' ? [r.label].filter(l => !ids.has(l)) : (r.tags ?? []).filter(l => !ids.has(l));
    if (unknown.length) {
      throw new DataError(
        `${file}, line ${r.line}: label "${unknown[0]}" is not one of the model's labels (${labels.join(', ')}). Is "${options.labelCol}" the label column, and is this the model trained for these labels?`,
      );
    }
    const e = tokenizer.encode(r.text, r.pair, maxLength);
    return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, ...exampleTarget(task, r, ids, file), line: r.line };
  });
  options.onRows?.(examples.length);
  const result = await evaluate(model, examples, { task, labels, thresholds }, options.batchSize ?? EVAL_BATCH_SIZE, tokenizer.padId, undefined, options);
  return {
    rows: examples.length,
    skipped: data.skipped.count,
    labels,
    ...reportedEvaluation(result, new Map(data.rows.map(r => [r.line, r]))),
    maxLength,
    warnings: data.warnings,
  };
}
