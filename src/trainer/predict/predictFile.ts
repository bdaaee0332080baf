/**
 * Predicts a text column of a CSV/TSV/JSONL file into a new CSV: the original row's cells, then
 * predicted_label, confidence and (optionally) one probability column per label. Rows stream
 * through in chunks; the output goes to a temporary file renamed at the end, and no existing
 * file, the source least of all, is ever overwritten.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { loadLabelledData, type LabelledRow, type RawRecord } from '../data/loadLabelledData';
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

const valueText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

class Cancelled extends Error {}

export async function predictFile(predictor: Predictor, o: PredictFileOptions): Promise<{ rows: number; cancelled: boolean }> {
  if (path.resolve(o.out) === path.resolve(o.file)) throw new Error('refusing to write the predictions over the source file');
  if (fs.existsSync(o.out)) throw new Error(`${o.out} exists already; choose another name`);
  const { model } = await predictor.model(o.model);
  const labels = model.config.id2label;
  const tmp = path.join(path.dirname(o.out), `.${path.basename(o.out)}.tmp-${process.pid}`);
  const csv = stringify();
  const written = pipeline(csv, fs.createWriteStream(tmp));
  let keys: string[] | undefined;
  let pending: { row: LabelledRow; record: RawRecord }[] = [];
  let rows = 0;

  const flush = async () => {
    if (!pending.length) return;
    const { results } = await predictor.predict(o.model, pending.map(p => ({ text: p.row.text, pair: p.row.pair })), o.maxLength);
    pending.forEach(({ record }, i) => {
      const r = results[i];
      const original = Array.isArray(record) ? record : keys!.map(k => valueText(record[k]));
      csv.write([...original, r.label, r.confidence.toFixed(6), ...(o.probabilities ? r.probabilities.map(p => p.toFixed(6)) : [])]);
    });
    rows += pending.length;
    pending = [];
    o.onProgress?.(rows);
    if (csv.writableNeedDrain) await new Promise<void>(resolve => csv.once('drain', () => resolve()));
  };

  let cancelled = false;
  try {
    await loadLabelledData(o.file, { textCol: o.textCol, pairCol: o.pairCol }, async (row, record, columns) => {
      if (!keys) {
        keys = columns;
        csv.write([...columns, 'predicted_label', 'confidence', ...(o.probabilities ? labels.map(l => `p_${l}`) : [])]);
      }
      pending.push({ row, record });
      if (pending.length >= CHUNK) await flush();
      if (o.shouldStop?.()) throw new Cancelled();
    });
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
  return { rows, cancelled };
}
