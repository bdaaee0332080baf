/**
 * A trained model on a labelled file: loss, accuracy, macro-F1, the per-class table, the
 * confusion matrix and the most confident mistakes, bounded as a run's evaluation is. The CLI's
 * `eval` prints it; the inference process answers the extension's *Evaluate on a Labelled File*.
 */
import { maxTokens } from '../model/parameters';
import { DEFAULT_MAX_LENGTH, type FileEvaluation } from '../../shared/inferenceProtocol';
import { clipText, reportedClasses } from '../../shared/reportedEvaluation';
import type { LoadedModel } from '../checkpoint/hfCheckpoint';
import { DataError, loadLabelledData, type LabelledData } from '../data/loadLabelledData';
import { evaluate, type EvaluationProgress } from '../train/evaluate';

export interface EvaluateFileOptions extends EvaluationProgress {
  file: string;
  textCol: string;
  pairCol?: string;
  labelCol: string;
  /** Default: 128, or less where the model reads less. */
  maxLength?: number;
  batchSize?: number;
  /** Once the rows are read: how many will be evaluated. */
  onRows?: (rows: number) => void;
  /** The file's rows, where the caller read them already (the CLI reads them before the model, to refuse a bad file at once). */
  data?: LabelledData;
}

export const EVAL_BATCH_SIZE = 64;

/** The rows an evaluation reads: text, optional pair and label columns of the file. */
export function readEvaluationRows(options: Pick<EvaluateFileOptions, 'file' | 'textCol' | 'pairCol' | 'labelCol'>): Promise<LabelledData> {
  return loadLabelledData(options.file, { textCol: options.textCol, pairCol: options.pairCol, labelCol: options.labelCol });
}

export async function evaluateFile({ model, tokenizer }: LoadedModel, options: EvaluateFileOptions): Promise<FileEvaluation> {
  const { file } = options;
  const data = options.data ?? (await readEvaluationRows(options));
  const labels = model.config.id2label;
  const ids = new Map(labels.map((l, i) => [l, i]));
  const maxLength = Math.min(options.maxLength ?? DEFAULT_MAX_LENGTH, tokenizer.modelMaxLength, maxTokens(model.config));
  const examples = data.rows.map(r => {
    const label = ids.get(r.label);
    if (label === undefined) {
      throw new DataError(
        `${file}, line ${r.line}: label "${r.label}" is not one of the model's labels (${labels.join(', ')}). Is "${options.labelCol}" the label column, and is this the model trained for these labels?`,
      );
    }
    const e = tokenizer.encode(r.text, r.pair, maxLength);
    return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label, line: r.line };
  });
  options.onRows?.(examples.length);
  const result = await evaluate(model, examples, labels, options.batchSize ?? EVAL_BATCH_SIZE, tokenizer.padId, undefined, options);
  const byLine = new Map(data.rows.map(r => [r.line, r]));
  return {
    rows: examples.length,
    skipped: data.skipped.count,
    loss: result.loss,
    accuracy: result.accuracy,
    macroF1: result.macroF1,
    labels,
    ...reportedClasses(result.perClass, result.confusion),
    misclassified: result.misclassified.map(w => {
      const row = byLine.get(w.line)!;
      return {
        line: w.line,
        text: clipText(row.text),
        ...(row.pair !== undefined ? { pair: clipText(row.pair) } : {}),
        truth: labels[w.truth],
        predicted: labels[w.predicted],
        confidence: w.confidence,
      };
    }),
    maxLength,
    warnings: data.warnings,
  };
}
