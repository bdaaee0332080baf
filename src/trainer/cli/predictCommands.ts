/** `bert-tune eval` and `bert-tune predict`: a trained model on labelled or unlabelled rows. */
import { TRAIN_LIMITS } from '../../shared/trainerProtocol';
import { selectBackend } from '../backend';
import { loadCheckpoint, readConfig, taskOf } from '../checkpoint/hfCheckpoint';
import { checkColumns, loadLabelledData } from '../data/loadLabelledData';
import { resolveModel } from '../hub/resolveModel';
import { evaluateFile, EVAL_BATCH_SIZE, readEvaluationRows } from '../predict/evaluateFile';
import { Predictor } from '../predict/predictor';
import { intOption, parseOptions, readTextLines, requireOption } from './args';

export const EVAL_USAGE = `usage: bert-tune eval --model ID_OR_DIR --data FILE --text-col C [--text-pair-col C] --label-col C
                     [--label-sep S] [--max-length N] [--batch-size N]

Prints one JSON object with the metrics of the model's task (config.json problem_type):
single-label: loss, accuracy, macro-F1, per-class precision/recall/F1/support, the confusion
matrix (rows: true label) and the misclassified rows, most confident first; multi-label: loss,
micro-/macro-/weighted F1, subset accuracy, Hamming loss, per label with ROC-AUC and the
threshold of its best F1 (--label-col names several 0/1 columns as "a,b,c", or one column of
tags split on --label-sep); regression: loss, MSE, RMSE, MAE, R², Pearson, Spearman and the
points. The file's labels must be among the model's (config.json id2label). --model may be a
run folder: its best checkpoint is used.`;

export const PREDICT_USAGE = `usage: bert-tune predict --model ID_OR_DIR [--max-length N] < lines.jsonl
       bert-tune predict --model ID_OR_DIR --data FILE --text-col C [--text-pair-col C]

Prints per input, as the model's task answers: {"label", "confidence", "probabilities":
{label: p, ...}} (single-label), {"labels": [...], "probabilities": {label: p, ...}}
(multi-label: the labels at or over their thresholds) or {"value"} (regression): per line of
{"text", "text_pair"?} JSON on stdin, or per row of FILE (with its "line"; a row that
cannot be predicted, with an empty text or cells that do not line up with the header, gives
{"line", "label": null, "skipped": why}).`;

/** The model's folder, with the notices of getting it (the Hub cache). */
async function modelFolder(ref: string): Promise<string> {
  await selectBackend();
  const resolved = await resolveModel(ref);
  resolved.notices.forEach(n => process.stderr.write(`note: ${n}\n`));
  return resolved.dir;
}

export async function evalCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    {
      model: { type: 'string' },
      data: { type: 'string' },
      'text-col': { type: 'string' },
      'text-pair-col': { type: 'string' },
      'label-col': { type: 'string' },
      'label-sep': { type: 'string' },
      'max-length': { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean' },
    },
    EVAL_USAGE,
  );
  if (o.help) {
    process.stdout.write(EVAL_USAGE + '\n');
    return 0;
  }
  // Options first: a wrong one is refused before a large file or a model is read.
  const batchSize = intOption(o['batch-size'], 'batch-size', EVAL_BATCH_SIZE, { min: 1, max: TRAIN_LIMITS.batchSize });
  const askedMaxLength =
    o['max-length'] === undefined ? undefined : intOption(o['max-length'], 'max-length', undefined, { min: 8, max: TRAIN_LIMITS.maxLength });
  const data = requireOption(o.data, 'data', EVAL_USAGE);
  const textCol = requireOption(o['text-col'], 'text-col', EVAL_USAGE);
  const labelCol = requireOption(o['label-col'], 'label-col', EVAL_USAGE);
  const model = requireOption(o.model, 'model', EVAL_USAGE);
  // The data's columns before the model: a wrong column or a broken file is refused before a model is looked for.
  await checkColumns(data, { textCol, pairCol: o['text-pair-col'], labelCol, labelSep: o['label-sep'] });
  const dir = await modelFolder(model);
  const rows = await readEvaluationRows({ file: data, textCol, pairCol: o['text-pair-col'], labelCol, labelSep: o['label-sep'] }, taskOf(readConfig(dir)));
  const loaded = loadCheckpoint(dir);
  loaded.notices.forEach(n => process.stderr.write(`note: ${n}\n`));
  try {
    const { warnings, ...result } = await evaluateFile(loaded, {
      file: data,
      textCol,
      pairCol: o['text-pair-col'],
      labelCol,
      labelSep: o['label-sep'],
      maxLength: askedMaxLength,
      batchSize,
      data: rows,
    });
    warnings.forEach(w => process.stderr.write(`warning: ${w}\n`));
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    loaded.model.dispose();
  }
  return 0;
}

export async function predictCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    {
      model: { type: 'string' },
      data: { type: 'string' },
      'text-col': { type: 'string' },
      'text-pair-col': { type: 'string' },
      'max-length': { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean' },
    },
    PREDICT_USAGE,
  );
  if (o.help) {
    process.stdout.write(PREDICT_USAGE + '\n');
    return 0;
  }
  const maxLength = o['max-length'] === undefined ? undefined : intOption(o['max-length'], 'max-length', undefined, { min: 8, max: TRAIN_LIMITS.maxLength });
  const batchSize = intOption(o['batch-size'], 'batch-size', 32, { min: 1, max: TRAIN_LIMITS.batchSize });
  const ref = requireOption(o.model, 'model', PREDICT_USAGE);
  await selectBackend();
  const predictor = new Predictor();
  const pending: { text: string; pair?: string; line?: number }[] = [];
  const flush = async () => {
    if (!pending.length) return;
    const { labels, task, results } = await predictor.predict(ref, pending, maxLength);
    predictor.notices.splice(0).forEach(n => process.stderr.write(`note: ${n}\n`));
    results.forEach((r, i) => {
      const probabilities = Object.fromEntries(labels.map((l, c) => [l, r.probabilities[c]]));
      const out: Record<string, unknown> =
        task === 'regression'
          ? { value: r.value }
          : task === 'multi_label_classification'
            ? { labels: r.labels, confidence: r.confidence, probabilities }
            : { label: r.label, confidence: r.confidence, probabilities };
      if (pending[i].line !== undefined) out.line = pending[i].line;
      process.stdout.write(JSON.stringify(out) + '\n');
    });
    pending.length = 0;
  };
  try {
    if (o.data) {
      // One output line per data row, in order: a row that cannot be predicted says why.
      const data = await loadLabelledData(
        o.data,
        { textCol: requireOption(o['text-col'], 'text-col', PREDICT_USAGE), pairCol: o['text-pair-col'] },
        async row => {
          pending.push({ text: row.text, pair: row.pair, line: row.line });
          if (pending.length >= batchSize) await flush();
        },
        async (line, reason) => {
          await flush();
          process.stdout.write(
            JSON.stringify({ line, label: null, skipped: reason === 'empty' ? 'empty text' : 'cells do not line up with the header' }) + '\n',
          );
        },
      );
      data.warnings.forEach(w => process.stderr.write(`warning: ${w}\n`));
    } else {
      for await (const line of readTextLines()) {
        pending.push({ text: line.text, pair: line.text_pair });
        if (pending.length >= batchSize) await flush();
      }
    }
    await flush();
  } finally {
    predictor.dispose();
  }
  return 0;
}
