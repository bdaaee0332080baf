/**
 * Predicts a text column of a CSV/TSV/JSONL file into a new CSV: the original row's cells, then
 * what the model's task answers (single-label: predicted_label, confidence and optionally a
 * probability column per label; multi-label: predicted_labels joined by "|" and p_<label> per
 * label; regression: predicted_value), and prediction_note. Every data row of the source has its row in the output, in order: a row that
 * cannot be predicted (an empty text, cells that do not line up with the header) keeps empty
 * predictions and says why in prediction_note, so the output joins back to the source row by row.
 * Rows stream through in chunks; the output goes to a temporary file renamed at the end, and no
 * existing file, the source least of all, is ever overwritten. A cell that a spreadsheet would run
 * as a formula (from the data, or a label name from the model) is written with a leading `'`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { loadLabelledData, type LabelledRow, type RawRecord, type SkipReason } from '../data/loadLabelledData';
import { SPREADSHEET_SAFE } from '../util/csvCells';
import { describeFsError } from '../util/fsErrors';
import type { Predictor } from './predictor';
import { taskOf } from '../checkpoint/hfCheckpoint';
import type { Prediction } from '../../shared/inferenceProtocol';
import type { TaskName } from '../../shared/tasks';

/** How a multi-label prediction's labels are joined in one cell: the separator a tags column is read with first. */
export const MULTI_LABEL_JOIN = '|';

export interface PredictFileOptions {
  model: string;
  file: string;
  textCol: string;
  pairCol?: string;
  out: string;
  probabilities: boolean;
  maxLength?: number;
  onProgress?: (rows: number) => void;
  shouldStop?: () => boolean;
}

const CHUNK = 256;

const valueText = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);

class Cancelled extends Error {}

export const NOTE_COLUMN = 'prediction_note';

function skipNote(reason: SkipReason, record: RawRecord, width: number): string {
  if (reason === 'empty') return 'not predicted: the text is empty';
  return `not predicted: ${Array.isArray(record) ? record.length : '?'} cells where the header has ${width}`;
}

export async function predictFile(
  predictor: Predictor,
  o: PredictFileOptions,
): Promise<{ rows: number; skipped: number; cancelled: boolean; warnings: string[] }> {
  if (path.resolve(o.out) === path.resolve(o.file)) throw new Error('refusing to write the predictions over the source file');
  // The output's name is reserved first, as an empty file made exclusively: a second job on the
  // same name, or an existing file, is refused at once, and a folder that cannot be written
  // (missing, read-only) fails this job here with its reason, not later in a stream.
  reserveOutput(o.out);
  const tmp = path.join(path.dirname(o.out), `.${path.basename(o.out)}.tmp-${process.pid}`);
  /** A job that ends without its result leaves neither its temporary file nor its reserved name. */
  const discard = () => {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(o.out, { force: true });
  };
  let labels: string[];
  let task: TaskName;
  try {
    const { config } = await predictor.model(o.model);
    labels = config.id2label;
    task = taskOf(config);
  } catch (e) {
    discard();
    throw e;
  }
  let csv: ReturnType<typeof stringify>;
  let written: Promise<void>;
  let writeError: Error | undefined;
  try {
    fs.rmSync(tmp, { force: true });
    // "wx": a link planted under the temporary name is not followed.
    const fd = fs.openSync(tmp, 'wx');
    csv = stringify(SPREADSHEET_SAFE);
    written = pipeline(csv, fs.createWriteStream(tmp, { fd }));
    // Seen at the next chunk and thrown from there; never an unhandled rejection.
    written.catch((e: Error) => (writeError ??= e));
  } catch (e) {
    discard();
    throw new Error(outputError(e, o.out));
  }
  // The columns the task adds: single-label, the label and its probability (every label's if asked);
  // multi-label, the labels over their thresholds joined by "|" and every label's probability; regression, the value.
  const added =
    task === 'regression'
      ? ['predicted_value']
      : task === 'multi_label_classification'
        ? ['predicted_labels', ...labels.map(l => `p_${l}`)]
        : ['predicted_label', 'confidence', ...(o.probabilities ? labels.map(l => `p_${l}`) : [])];
  const addedCells = (r: Prediction): string[] =>
    task === 'regression'
      ? [String(r.value)]
      : task === 'multi_label_classification'
        ? [r.labels!.join(MULTI_LABEL_JOIN), ...r.probabilities.map(x => x.toFixed(6))]
        : [r.label, r.confidence!.toFixed(6), ...(o.probabilities ? r.probabilities.map(x => x.toFixed(6)) : [])];
  let keys: string[] | undefined;
  /** In file order: rows to predict, and skipped rows that only keep their place. */
  let pending: { row?: LabelledRow; record: RawRecord; note?: string }[] = [];
  let rows = 0;
  let skipped = 0;

  const start = (columns: string[]) => {
    if (keys) return;
    keys = columns;
    csv.write([...columns, ...added, NOTE_COLUMN]);
  };
  const cellsOf = (record: RawRecord) => {
    // A ragged row is cut or padded to the header's columns, so the added ones stay in place.
    const cells = Array.isArray(record) ? record : keys!.map(k => valueText(record[k]));
    return keys!.map((_, i) => cells[i] ?? '');
  };

  const flush = async () => {
    if (!pending.length) return;
    const toPredict = pending.filter(p => p.row);
    const { results } = toPredict.length
      ? await predictor.predict(
          o.model,
          toPredict.map(p => ({ text: p.row!.text, pair: p.row!.pair })),
          o.maxLength,
        )
      : { results: [] };
    let next = 0;
    for (const p of pending) {
      if (!p.row) {
        csv.write([...cellsOf(p.record), ...added.map(() => ''), p.note]);
        continue;
      }
      const r = results[next++];
      csv.write([...cellsOf(p.record), ...addedCells(r), r.truncated ? `text cut to its first ${r.tokens} tokens` : '']);
    }
    rows += pending.length;
    pending = [];
    o.onProgress?.(rows);
    if (writeError) throw writeError;
    if (csv.writableNeedDrain) await new Promise<void>(resolve => csv.once('drain', () => resolve()));
  };

  let cancelled = false;
  let warnings: string[] = [];
  try {
    const data = await loadLabelledData(
      o.file,
      { textCol: o.textCol, pairCol: o.pairCol },
      async (row, record, columns) => {
        start(columns);
        pending.push({ row, record });
        if (pending.length >= CHUNK) await flush();
        if (o.shouldStop?.()) throw new Cancelled();
      },
      async (_line, reason, record, columns) => {
        start(columns);
        skipped++;
        pending.push({ record, note: skipNote(reason, record, columns.length) });
        if (pending.length >= CHUNK) await flush();
      },
    );
    warnings = data.warnings;
    await flush();
  } catch (e) {
    if (!(e instanceof Cancelled)) {
      csv.destroy();
      await written.catch(() => {});
      discard();
      throw writeError && e === writeError ? new Error(outputError(e, o.out)) : e;
    }
    cancelled = true;
  }
  csv.end();
  try {
    await written;
    if (cancelled) discard();
    else fs.renameSync(tmp, o.out);
  } catch (e) {
    discard();
    throw new Error(outputError(e, o.out));
  }
  return { rows, skipped, cancelled, warnings };
}

/** Makes `out` as an empty file, exclusively: the job's claim on the name until its rename replaces it. */
function reserveOutput(out: string): void {
  try {
    fs.closeSync(fs.openSync(out, 'wx'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${out} exists already (or another job is writing it); choose another name`);
    throw new Error(outputError(e, out));
  }
}

function outputError(e: unknown, out: string): string {
  const err = e as NodeJS.ErrnoException;
  const folder = path.dirname(out);
  if (err?.code === 'ENOENT') return `Cannot write the predictions to ${out}: the folder ${folder} does not exist. Choose a folder that does.`;
  if (err?.code === 'EACCES' || err?.code === 'EPERM' || err?.code === 'EROFS')
    return `Cannot write the predictions to ${out}: ${folder} cannot be written to (${err.code}). Choose another folder for the output.`;
  const known = describeFsError(e, folder);
  return `Cannot write the predictions to ${out}: ${known ?? (err?.message || String(e))}`;
}
