/**
 * Reads a CSV/TSV/JSONL file once, as a stream, and describes it: encoding, dialect, header,
 * row count, per-column statistics and what is wrong with it. Memory stays bounded whatever the
 * file's size; problems are reported in the result, never thrown.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { datasetKind, type DatasetInfo, type DatasetProblem, type Encoding } from '../../shared/dataset';
import { assignRoles, ColumnAccumulator } from './columnStats';
import { columnNames, sniffLayout } from './sniff';
import { CHUNK_BYTES, NotAFileError, decodedChunks, decoderLabel, detectEncoding, isDecodeError, lines, preferredDelimiter, readHead } from './textFile';

/** How many JSONL lines may name new keys; later keys are still counted, not listed. */
const JSONL_KEY_LINES = 1000;

export interface InspectOptions {
  signal?: AbortSignal;
}

/** Thrown only when the file cannot be read at all (gone, unreadable, aborted). */
export class DatasetReadError extends Error {
  constructor(message: string, readonly cancelled = false) {
    super(message);
  }
}

function emptyInfo(format: DatasetInfo['format'], size: number, encoding: Encoding, problem: DatasetProblem): DatasetInfo {
  return { format, hasHeader: false, encoding, rows: 0, columns: [], problems: [problem], sizeBytes: size };
}

function readErrorMessage(e: unknown): string {
  if (e instanceof NotAFileError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'The file no longer exists (deleted or renamed while it was being read).';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'The file cannot be read: permission denied.';
  if (err?.code === 'EISDIR') return 'This is a folder, not a file.';
  return `The file cannot be read: ${err?.message ?? String(e)}`;
}

export async function inspectDataset(file: string, options: InspectOptions = {}): Promise<DatasetInfo> {
  const format = datasetKind(file).format;
  try {
    const { head, size } = await readHead(file);
    const encoding = detectEncoding(head);
    if (size === 0) return emptyInfo(format, 0, 'utf-8', { severity: 'error', message: 'The file is empty.' });
    if (encoding === 'binary') {
      return emptyInfo(format, size, 'utf-8', {
        severity: 'error',
        message: 'This looks like a binary file, not text: it holds NUL bytes. Export it as UTF-8 text.',
      });
    }
    const read = format === 'jsonl' ? inspectJsonl : inspectDelimited;
    try {
      return await read(file, head, size, encoding, options.signal);
    } catch (e) {
      if (!isDecodeError(e) || encoding !== 'utf-8') throw e;
      // Not UTF-8: most likely a legacy single-byte export. Read it as Latin-1 rather than refuse it.
      const info = await read(file, head, size, 'latin1', options.signal);
      info.problems.unshift({
        severity: 'warning',
        message: 'Not valid UTF-8; read as Latin-1 (Windows-1252). Accented characters may be wrong: re-save the file as UTF-8.',
      });
      return info;
    }
  } catch (e) {
    if (options.signal?.aborted) throw new DatasetReadError('Inspection cancelled.', true);
    if (e instanceof DatasetReadError) throw e;
    if (isDecodeError(e)) {
      return emptyInfo(format, 0, 'utf-8', { severity: 'error', message: 'The text cannot be decoded: its bytes are not valid for its byte-order mark.' });
    }
    throw new DatasetReadError(readErrorMessage(e));
  }
}

async function inspectDelimited(
  file: string,
  head: Buffer,
  size: number,
  encoding: Encoding,
  signal: AbortSignal | undefined,
): Promise<DatasetInfo> {
  const { dialect, hasHeader, width: sampleWidth } = sniffLayout(new TextDecoder(decoderLabel(encoding)).decode(head), head.length >= size, preferredDelimiter(file));

  const problems: DatasetProblem[] = [];
  let header: string[] | undefined;
  let width = 0;
  let rows = 0;
  let mismatched = 0;
  let firstMismatchLine = 0;
  let multiLine = 0;
  let firstMultiLine = '';
  let firstMultiLineStart = 0;
  let lastLine = 0;
  const accumulators: ColumnAccumulator[] = [];

  const consume = async (records: AsyncIterable<{ record: string[]; info: { lines: number } }>) => {
    for await (const { record, info } of records) {
      const line = lastLine + 1;
      lastLine = info.lines;
      if (record.length === 1 && record[0] === '') continue; // blank line
      if (hasHeader && !header) {
        header = record;
        width = record.length;
        continue;
      }
      if (!width) width = sampleWidth || record.length;
      rows++;
      if (info.lines > line && !multiLine++) {
        firstMultiLine = `lines ${line}–${info.lines}`;
        firstMultiLineStart = line;
      }
      if (record.length !== width) {
        mismatched++;
        if (!firstMismatchLine) firstMismatchLine = line;
      }
      for (let i = 0; i < record.length; i++) (accumulators[i] ??= new ColumnAccumulator()).add(record[i]);
    }
  };

  try {
    await pipeline(
      fs.createReadStream(file, { highWaterMark: CHUNK_BYTES }),
      decodedChunks(encoding),
      parse({
        delimiter: dialect.delimiter,
        quote: dialect.quoting ? '"' : false,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: false,
        info: true,
      }),
      consume,
      { signal },
    );
  } catch (e) {
    const csvErr = e as { code?: string; message?: string };
    if (typeof csvErr.code !== 'string' || !csvErr.code.startsWith('CSV_')) throw e;
    // csv-parse reports where it noticed; the user needs where the broken row starts.
    const line = lastLine + 1;
    problems.push({
      severity: 'error',
      message: `Cannot parse the row that starts on line ${line}: ${csvErr.message}. Rows after it are not counted; fix the quoting there.`,
      line,
    });
  }

  const count = Math.max(width, accumulators.length);
  const names = columnNames(header, count);
  const columns = assignRoles(names.map((n, i) => (accumulators[i] ?? new ColumnAccumulator()).finish(n)));
  if (mismatched) {
    problems.push({
      severity: 'warning',
      message: `${mismatched} row${mismatched === 1 ? ' has' : 's have'} a different number of columns than ${hasHeader ? 'the header' : 'most rows'} (${width}); the first is on line ${firstMismatchLine}.`,
      line: firstMismatchLine,
    });
  }
  if (multiLine) {
    problems.push({
      severity: 'warning',
      message: `${multiLine} row${multiLine === 1 ? ' spans' : 's span'} several lines; the first, ${firstMultiLine}. A quoted text may hold line breaks, but a stray " reads every line up to the next " as one text: check those lines.`,
      line: firstMultiLineStart,
    });
  }
  if (rows === 0 && !problems.some(p => p.severity === 'error')) {
    problems.push({ severity: 'error', message: hasHeader ? 'Only a header row: the file has no data rows.' : 'The file has no data rows.' });
  }
  return { format: 'csv', delimiter: dialect.delimiter, quoting: dialect.quoting, hasHeader, encoding, rows, columns, problems, sizeBytes: size };
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

async function inspectJsonl(
  file: string,
  _head: Buffer,
  size: number,
  encoding: Encoding,
  signal: AbortSignal | undefined,
): Promise<DatasetInfo> {
  const keys: string[] = [];
  const accumulators = new Map<string, ColumnAccumulator>();
  const problems: DatasetProblem[] = [];
  let rows = 0;
  let bad = 0;
  let firstBadLine = 0;
  let firstBadReason = '';
  let lineNo = 0;

  await pipeline(
    fs.createReadStream(file, { highWaterMark: CHUNK_BYTES }),
    decodedChunks(encoding),
    async (chunks: AsyncIterable<string>) => {
      for await (const line of lines(chunks)) {
        lineNo++;
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (e) {
          value = e;
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Error) {
          bad++;
          if (!firstBadLine) {
            firstBadLine = lineNo;
            firstBadReason = value instanceof Error ? `not valid JSON (${value.message})` : 'not a JSON object';
          }
          continue;
        }
        rows++;
        for (const [k, v] of Object.entries(value)) {
          let acc = accumulators.get(k);
          if (!acc) {
            if (rows > JSONL_KEY_LINES) continue;
            acc = new ColumnAccumulator();
            accumulators.set(k, acc);
            keys.push(k);
          }
          acc.add(cellText(v));
        }
      }
    },
    { signal },
  );

  if (bad) {
    problems.push({
      severity: 'warning',
      message: `${bad} line${bad === 1 ? ' is' : 's are'} skipped; line ${firstBadLine} is ${firstBadReason}. Each line must be one JSON object.`,
      line: firstBadLine,
    });
  }
  if (rows === 0) problems.push({ severity: 'error', message: 'No line holds a JSON object: nothing to train on.' });
  const columns = assignRoles(keys.map(k => accumulators.get(k)!.finish(k)));
  return { format: 'jsonl', hasHeader: false, encoding, rows, columns, problems, sizeBytes: size };
}
