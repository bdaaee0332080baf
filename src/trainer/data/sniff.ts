/**
 * Guesses a delimited file's dialect (delimiter, whether `"` quotes fields) and whether its first
 * row is a header, from a sample of its first records. Pure functions over text: no I/O.
 */
import { parse } from 'csv-parse/sync';
import { DELIMITERS, type Delimiter } from '../../shared/dataset';

export interface Dialect {
  delimiter: Delimiter;
  quoting: boolean;
}

const SAMPLE_RECORDS = 200;

/**
 * Every line ending ends a record, whichever came first: csv-parse's own discovery keeps the
 * first one it meets, so a file that mixes `\n`, `\r\n` and `\r` (pasted from several
 * sources) ran many rows into one cell. CRLF first, so it is one ending, not two. The sample and
 * the whole file (records.ts) are read alike.
 */
export const RECORD_DELIMITERS = ['\r\n', '\n', '\r'];

/** Parses a sample leniently: bad records are skipped rather than thrown, a cut-off tail is dropped. */
export function parseSample(text: string, dialect: Dialect, maxRecords = SAMPLE_RECORDS): string[][] {
  try {
    return parse(text, {
      delimiter: dialect.delimiter,
      quote: dialect.quoting ? '"' : false,
      record_delimiter: RECORD_DELIMITERS,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      to: maxRecords,
    }) as string[][];
  } catch {
    // An error csv-parse cannot skip (a quote left open by the sample's cut): this dialect
    // still parsed what came before, but we cannot see it, so the dialect scores nothing.
    return [];
  }
}

interface Scored {
  dialect: Dialect;
  columns: number;
  consistency: number;
}

function score(text: string, dialect: Dialect): Scored {
  const records = parseSample(text, dialect);
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let columns = 0;
  let hits = 0;
  for (const [n, c] of counts) {
    if (c > hits || (c === hits && n > columns)) {
      columns = n;
      hits = c;
    }
  }
  return { dialect, columns, consistency: records.length ? hits / records.length : 0 };
}

/**
 * Picks the dialect under which the sample splits into the most consistent number of columns
 * (at least two). Ties go to the extension's usual delimiter, then to quoting for commas and no
 * quoting for tabs (GLUE-style TSVs hold bare `"` inside texts).
 */
export function sniffDialect(sample: string, preferred: Delimiter): Dialect {
  const candidates: Scored[] = [];
  for (const { char: delimiter } of DELIMITERS) {
    for (const quoting of [true, false]) {
      candidates.push(score(sample, { delimiter, quoting }));
    }
  }
  const rank = (s: Scored): number[] => [
    s.columns >= 2 ? 1 : 0,
    // Consistency counts in steps of 2%: a stray odd row should not beat the expected delimiter.
    Math.floor(s.consistency * 50),
    s.dialect.delimiter === preferred ? 1 : 0,
    s.dialect.quoting === (s.dialect.delimiter !== '\t') ? 1 : 0,
    s.columns,
  ];
  const better = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
    return false;
  };
  let best = candidates[0];
  for (const c of candidates) if (better(rank(c), rank(best))) best = c;
  if (best.columns < 2) return { delimiter: preferred, quoting: preferred !== '\t' };
  return best.dialect;
}

const NUMBER = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
export const isNumeric = (s: string): boolean => NUMBER.test(s);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

/**
 * Votes, column by column, on whether the first record names the columns rather than holding
 * data: a non-number above numbers, a name that never recurs among a few categories, a short
 * word above long texts. Files without a header (ChnSentiCorp's `label,review`) lose on their
 * numeric label column; the usual CSV has one.
 */
export function detectHeader(records: string[][]): boolean {
  return headerVerdict(records).hasHeader;
}

/**
 * The vote, and whether it was clear: every column that voted agreed. A headerless file whose
 * first row holds a rare label is the unclear case (its label column votes "header": the value
 * never recurs; its text column votes "data"): the reader then says which it assumed.
 */
export function headerVerdict(records: string[][]): { hasHeader: boolean; clear: boolean } {
  if (records.length === 0) return { hasHeader: false, clear: true };
  const first = records[0];
  const looksLikeNames = first.every(c => c.trim() !== '' && !isNumeric(c) && c.length <= 64);
  if (records.length === 1) return { hasHeader: looksLikeNames, clear: true };
  const rest = records.slice(1);
  let pro = 0;
  let contra = 0;
  const vote = (v: number) => (v > 0 ? (pro += v) : (contra -= v));
  first.forEach((head, i) => {
    const values = rest.map(r => r[i]).filter((v): v is string => v !== undefined && v.trim() !== '');
    if (values.length === 0 || head.trim() === '') return;
    if (values.every(isNumeric)) {
      vote(isNumeric(head) ? -1 : 1);
      return;
    }
    const distinct = new Set(values);
    if (distinct.size <= 20 && distinct.size <= values.length / 2) {
      vote(distinct.has(head) ? -1 : 1);
      return;
    }
    const typical = median(values.map(v => v.length));
    if (typical >= 20) vote(head.length < typical * 0.3 ? 0.5 : -0.5);
  });
  if (new Set(first).size < first.length) vote(-1);
  const votes = pro - contra;
  const hasHeader = votes > 0 || (votes === 0 && looksLikeNames);
  return { hasHeader, clear: hasHeader ? contra === 0 : pro === 0 };
}

/** What a reader says when the header vote was unclear (after the file's name): which it assumed, from line 1's cells, and how to say otherwise. */
export function headerAssumption(firstRecord: readonly string[], hasHeader: boolean): string {
  const cells = firstRecord
    .slice(0, 4)
    .map(c => JSON.stringify(c.length > 40 ? `${c.slice(0, 37)}…` : c))
    .join(', ');
  return hasHeader
    ? `line 1 (${cells}${firstRecord.length > 4 ? ', …' : ''}) was taken as the header naming the columns; the file does not make it clear. If it is a row of data, add a header line naming the columns (or train with --no-header), or that row is not trained on.`
    : `line 1 (${cells}${firstRecord.length > 4 ? ', …' : ''}) was taken as data, so the columns are numbered; the file does not make it clear. If it names the columns, say so with --header.`;
}

/** Header cells as column names: blanks become "column N", repeats get " (2)", " (3)"... */
export function columnNames(header: string[] | undefined, count: number): string[] {
  const names: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    let name = header?.[i]?.trim() || `column ${i + 1}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) name = `${name} (${n})`;
    names.push(name);
  }
  return names;
}

export interface Layout {
  dialect: Dialect;
  hasHeader: boolean;
  /** Whether the header vote was clear (or the header was given): otherwise readers say which was assumed. */
  headerClear: boolean;
  /** Whether line 1 ended within the sample: a header that does not cannot be read from it. */
  firstLineWhole: boolean;
  /** The sample's first records (the header first, when there is one). */
  records: string[][];
  /** The most common record length among the sample's data rows. */
  width: number;
}

/**
 * A delimited file's layout from its first bytes: the sample is cut at its last whole line
 * (a record cut in half would look like a different column count), then dialect and header are
 * sniffed unless given. The Datasets view and the training loader both read files this way.
 */
export function sniffLayout(sample: string, complete: boolean, preferred: Delimiter, overrides: { delimiter?: Delimiter; header?: boolean } = {}): Layout {
  let firstLineWhole = true;
  if (!complete) {
    const cut = Math.max(sample.lastIndexOf('\n'), sample.lastIndexOf('\r'));
    if (cut > 0) sample = sample.slice(0, cut + 1);
    else firstLineWhole = false;
  }
  const sniffed = sniffDialect(sample, preferred);
  const dialect: Dialect = overrides.delimiter ? { delimiter: overrides.delimiter, quoting: overrides.delimiter !== '\t' || sniffed.quoting } : sniffed;
  const records = parseSample(sample, dialect);
  const verdict = overrides.header === undefined ? headerVerdict(records) : { hasHeader: overrides.header, clear: true };
  const hasHeader = verdict.hasHeader;
  const counts = new Map<number, number>();
  for (const r of records.slice(hasHeader ? 1 : 0)) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let width = 0;
  let hits = 0;
  for (const [n, c] of counts) if (c > hits) [width, hits] = [n, c];
  return { dialect, hasHeader, headerClear: verdict.clear, firstLineWhole, records, width };
}

/** Said of a header longer than the sample the layout is read from. */
export function headerTooLong(sampleBytes: number): string {
  return `line 1, the header, is longer than ${Math.round(sampleBytes / 1024)} KB (thousands of columns): that is no table of texts and labels. Keep the columns you train on (a text and a label) in a file of their own.`;
}
