/**
 * The one reader of a dataset file's records, used by the inspector (the Datasets view) and
 * the loader (training, evaluation, predictions), so both see the same rows, columns, lines
 * and encoding: dialect → csv-parse options in one function, the layout sniffed one way, one
 * rule for rows that do not line up, one JSON Lines reader, one Latin-1 fallback.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse, type Options } from 'csv-parse';
import type { Delimiter, Encoding } from '../../shared/dataset';
import { RECORD_DELIMITERS, sniffLayout, type Dialect, type Layout } from './sniff';
import { CHUNK_BYTES, decodedChunks, decoderLabel, isDecodeError, lines, preferredDelimiter } from './textFile';

/** How csv-parse reads a dialect: lenient about quotes and column counts (we count those ourselves). */
export function csvParseOptions(dialect: Dialect): Options {
  return {
    delimiter: dialect.delimiter,
    quote: dialect.quoting ? '"' : false,
    record_delimiter: RECORD_DELIMITERS,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
  };
}

/** The file's dialect, header and usual width, from its first bytes (`head`) decoded as `encoding`. */
export function sniffFile(file: string, head: Buffer, size: number, encoding: Encoding, overrides: { delimiter?: Delimiter; header?: boolean } = {}): Layout {
  return sniffLayout(new TextDecoder(decoderLabel(encoding)).decode(head), head.length >= size, preferredDelimiter(file), overrides);
}

/**
 * A record that does not line up with the header: fewer cells, or more that are not empty
 * (a trailing delimiter on every line is harmless; "hello, world,1" under "text,label" is not).
 */
export function isRagged(record: readonly string[], width: number): boolean {
  if (record.length < width) return true;
  for (let i = width; i < record.length; i++) if (record[i].trim() !== '') return true;
  return false;
}

/** A record and where it is: the 1-based line it starts on and the one it ends on (a quoted text may hold line breaks). */
export interface DelimitedRecord {
  record: string[];
  line: number;
  endLine: number;
}

/** A row csv-parse cannot read (a quote left open): the line the broken row starts on, and why. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`cannot parse the row that starts on line ${line}: ${reason}`);
  }
}

/** Streams every non-blank record of a delimited file, the header included, to `visit`. */
export async function readDelimitedRecords(
  file: string,
  encoding: Encoding,
  dialect: Dialect,
  visit: (r: DelimitedRecord) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  let lastLine = 0;
  try {
    await pipeline(
      fs.createReadStream(file, { highWaterMark: CHUNK_BYTES }),
      decodedChunks(encoding),
      parse({ ...csvParseOptions(dialect), info: true }),
      async (records: AsyncIterable<{ record: string[]; info: { lines: number } }>) => {
        for await (const { record, info } of records) {
          const line = lastLine + 1;
          lastLine = info.lines;
          if (record.length === 1 && record[0] === '') continue;
          await visit({ record, line, endLine: info.lines });
        }
      },
      { signal },
    );
  } catch (e) {
    const err = e as { code?: unknown; message?: string };
    // csv-parse reports where it noticed; the user needs where the broken row starts.
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) throw new CsvSyntaxError(lastLine + 1, err.message ?? err.code);
    throw e;
  }
}

/** One line of a JSON Lines file: the object it holds, or why it holds none. */
export type JsonLine = { line: number; object: Record<string, unknown> } | { line: number; problem: string };

/** Streams every non-blank line of a JSON Lines file to `visit`, parsed. */
export async function readJsonLines(file: string, encoding: Encoding, visit: (l: JsonLine) => Promise<void> | void, signal?: AbortSignal): Promise<void> {
  let lineNo = 0;
  await pipeline(
    fs.createReadStream(file, { highWaterMark: CHUNK_BYTES }),
    decodedChunks(encoding),
    async (chunks: AsyncIterable<string>) => {
      for await (const text of lines(chunks)) {
        lineNo++;
        if (!text.trim()) continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          await visit({ line: lineNo, problem: `not valid JSON (${(e as Error).message})` });
          continue;
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) await visit({ line: lineNo, problem: 'not a JSON object' });
        else await visit({ line: lineNo, object: value as Record<string, unknown> });
      }
    },
    { signal },
  );
}

/** A JSON value as a cell's text: strings, numbers and booleans as written; null, arrays and objects hold no text. */
export function jsonCell(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** What is said of a file read as Latin-1 (after "The file is" or the file's name and "is"). */
export const LATIN1_NOTE = 'not valid UTF-8; read as Latin-1 (Windows-1252). Accented characters may be wrong: re-save the file as UTF-8.';

/**
 * Reads with the encoding the file's first bytes suggest and, when UTF-8 turns out invalid
 * further on, again as Latin-1 (most likely a legacy single-byte export): rather than refuse it.
 */
export async function withLatin1Fallback<T>(encoding: Encoding, read: (encoding: Encoding) => Promise<T>): Promise<{ result: T; latin1: boolean }> {
  try {
    return { result: await read(encoding), latin1: false };
  } catch (e) {
    if (!isDecodeError(e) || encoding !== 'utf-8') throw e;
    return { result: await read('latin1'), latin1: true };
  }
}
