/** `bert-tune eval` and `bert-tune predict`: a trained model on labelled or unlabelled rows. */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend';
import { loadCheckpoint, type LoadedModel } from '../checkpoint/hfCheckpoint';
import { DataError, loadLabelledData } from '../data/loadLabelledData';
import { resolveModel } from '../hub/resolveModel';
import { batchesOf } from '../train/batches';
import { evaluate } from '../train/evaluate';
import { batchTensors, disposeInputs } from '../train/step';
import { intOption, parseOptions, readTextLines, requireOption } from './args';

export const EVAL_USAGE = `usage: bert-tune eval --model ID_OR_DIR --data FILE --text-col C [--text-pair-col C] --label-col C
                     [--max-length N] [--batch-size N]

Prints one JSON object: loss, accuracy, macro-F1, per-class precision/recall/F1/support, the
confusion matrix (rows: true label) and the misclassified rows, most confident first. The
file's labels must be among the model's (config.json id2label).`;

export const PREDICT_USAGE = `usage: bert-tune predict --model ID_OR_DIR [--max-length N] < lines.jsonl
       bert-tune predict --model ID_OR_DIR --data FILE --text-col C [--text-pair-col C]

Prints {"label", "confidence", "probabilities": {label: p, ...}} per input: per line of
{"text", "text_pair"?} JSON on stdin, or per row of FILE (with its "line").`;

async function load(ref: string): Promise<LoadedModel> {
  await selectBackend();
  const resolved = await resolveModel(ref);
  resolved.notices.forEach(n => process.stderr.write(`note: ${n}\n`));
  return loadCheckpoint(resolved.dir);
}

export async function evalCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    { model: { type: 'string' }, data: { type: 'string' }, 'text-col': { type: 'string' }, 'text-pair-col': { type: 'string' }, 'label-col': { type: 'string' }, 'max-length': { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean' } },
    EVAL_USAGE,
  );
  if (o.help) {
    process.stdout.write(EVAL_USAGE + '\n');
    return 0;
  }
  const data = requireOption(o.data, 'data', EVAL_USAGE);
  const rows = await loadLabelledData(data, { textCol: requireOption(o['text-col'], 'text-col', EVAL_USAGE), pairCol: o['text-pair-col'], labelCol: requireOption(o['label-col'], 'label-col', EVAL_USAGE) });
  rows.warnings.forEach(w => process.stderr.write(`warning: ${w}\n`));
  const { model, tokenizer } = await load(requireOption(o.model, 'model', EVAL_USAGE));
  try {
    const labels = model.config.id2label;
    const ids = new Map(labels.map((l, i) => [l, i]));
    const maxLength = intOption(o['max-length'], 'max-length', Math.min(128, tokenizer.modelMaxLength));
    const examples = rows.rows.map(r => {
      const label = ids.get(r.label);
      if (label === undefined) throw new DataError(`${data}, line ${r.line}: label "${r.label}" is not one of the model's labels (${labels.join(', ')})`);
      const e = tokenizer.encode(r.text, r.pair, maxLength);
      return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label, line: r.line };
    });
    const result = await evaluate(model, examples, labels, intOption(o['batch-size'], 'batch-size', 64), tokenizer.padId);
    const byLine = new Map(rows.rows.map(r => [r.line, r]));
    process.stdout.write(
      JSON.stringify({
        rows: examples.length,
        loss: result.loss,
        accuracy: result.accuracy,
        macroF1: result.macroF1,
        perClass: result.perClass,
        confusion: result.confusion,
        misclassified: result.misclassified.map(w => ({ line: w.line, text: byLine.get(w.line)!.text, truth: labels[w.truth], predicted: labels[w.predicted], confidence: w.confidence })),
      }) + '\n',
    );
  } finally {
    model.dispose();
  }
  return 0;
}

export async function predictCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    { model: { type: 'string' }, data: { type: 'string' }, 'text-col': { type: 'string' }, 'text-pair-col': { type: 'string' }, 'max-length': { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean' } },
    PREDICT_USAGE,
  );
  if (o.help) {
    process.stdout.write(PREDICT_USAGE + '\n');
    return 0;
  }
  const { model, tokenizer } = await load(requireOption(o.model, 'model', PREDICT_USAGE));
  const labels = model.config.id2label;
  const maxLength = intOption(o['max-length'], 'max-length', Math.min(128, tokenizer.modelMaxLength));
  const batchSize = intOption(o['batch-size'], 'batch-size', 32);
  const pending: { text: string; pair?: string; line?: number }[] = [];
  const flush = async () => {
    const examples = pending.map(p => {
      const e = tokenizer.encode(p.text, p.pair, maxLength);
      return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label: 0, line: p.line ?? 0 };
    });
    for (const batch of batchesOf(examples, examples.map((_, i) => i), batchSize, tokenizer.padId)) {
      const inputs = batchTensors(batch);
      const probs = tf.tidy(() => tf.softmax(model.forward(inputs, { training: false }).logits));
      disposeInputs(inputs);
      const rows = (await probs.array()) as number[][];
      probs.dispose();
      rows.forEach((p, i) => {
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        const out: Record<string, unknown> = { label: labels[best], confidence: p[best], probabilities: Object.fromEntries(labels.map((l, c) => [l, p[c]])) };
        if (o.data) out.line = batch.rows![i];
        process.stdout.write(JSON.stringify(out) + '\n');
      });
    }
    pending.length = 0;
  };
  try {
    if (o.data) {
      const data = await loadLabelledData(o.data, { textCol: requireOption(o['text-col'], 'text-col', PREDICT_USAGE), pairCol: o['text-pair-col'] });
      for (const r of data.rows) pending.push({ text: r.text, pair: r.pair, line: r.line });
      await flush();
    } else {
      for await (const line of readTextLines()) {
        pending.push({ text: line.text, pair: line.text_pair });
        if (pending.length >= batchSize) await flush();
      }
      await flush();
    }
  } finally {
    model.dispose();
  }
  return 0;
}
