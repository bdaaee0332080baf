/**
 * Predicts a text column of a CSV/TSV/JSONL file into a new CSV: the original row's cells, then
 * predicted_label, confidence, (optionally) one probability column per label, and
 * prediction_note. Every data row of the source has its row in the output, in order: a row that
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
import type { Predictor } from './predictor';

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
  if (fs.existsSync(o.out)) throw new Error(`${o.out} exists already; choose another name`);
  const { model } = await predictor.model(o.model);
  const labels = model.config.id2label;
  const tmp = path.join(path.dirname(o.out), `.${path.basename(o.out)}.tmp-${process.pid}`);
  fs.rmSync(tmp, { force: true });
  const csv = stringify(SPREADSHEET_SAFE);
  // "wx": a link planted under the temporary name is not followed.
  const written = pipeline(csv, fs.createWriteStream(tmp, { flags: 'wx' }));
  let keys: string[] | undefined;
  /** In file order: rows to predict, and skipped rows that only keep their place. */
  let pending: { row?: LabelledRow; record: RawRecord; note?: string }[] = [];
  let rows = 0;
  let skipped = 0;

  const start = (columns: string[]) => {
    if (keys) return;
    keys = columns;
    csv.write([...columns, 'predicted_label', 'confidence', ...(o.probabilities ? labels.map(l => `p_${l}`) : []), NOTE_COLUMN]);
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
        csv.write([...cellsOf(p.record), '', '', ...(o.probabilities ? labels.map(() => '') : []), p.note]);
        continue;
      }
      const r = results[next++];
      csv.write([
        ...cellsOf(p.record),
        r.label,
        r.confidence.toFixed(6),
        ...(o.probabilities ? r.probabilities.map(x => x.toFixed(6)) : []),
        r.truncated ? `text cut to its first ${r.tokens} tokens` : '',
      ]);
    }
    rows += pending.length;
    pending = [];
    o.onProgress?.(rows);
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
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    cancelled = true;
  }
  csv.end();
  await written;
  if (cancelled) fs.rmSync(tmp, { force: true });
  else fs.renameSync(tmp, o.out);
  return { rows, skipped, cancelled, warnings };
}
