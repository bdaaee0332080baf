/**
 * Reads the rows to train on from a CSV/TSV/JSONL file: the text column, an optional second
 * text column (sentence pairs) and the label column. Rows without text or label are skipped and
 * counted; anything that makes training impossible is an error naming the file, the row or
 * the column, and what to do.
 */
import * as fs from 'node:fs';
import { datasetKind, type Delimiter, type Encoding } from '../../shared/dataset';
import { CsvSyntaxError, isRagged, jsonCell, LATIN1_NOTE, readDelimitedRecords, readJsonLines, sniffFile, withLatin1Fallback } from './records';
import { columnNames, headerAssumption, headerTooLong, isNumeric } from './sniff';
import { NotAFileError, binaryReason, detectEncoding, isValidUtf8File, readHead } from './textFile';
import { count } from '../../shared/words';
import { FINDING_LINES_KEPT, lineList, type DataFinding } from '../../shared/dataFindings';
import { LABEL_RATIO_CHECKED_FROM, MIN_ROWS_PER_LABEL, labelKey, labelVariantGroups, looksMissing, mergedLabels, quotedList } from '../../shared/labelValues';
import { TRAIN_LIMITS } from '../../shared/trainerProtocol';

export class DataError extends Error {}

export interface ColumnChoice {
  textCol: string;
  pairCol?: string;
  /** Absent when reading rows to predict: then every row's label is "". */
  labelCol?: string;
  /** Override the sniffed delimiter. */
  delimiter?: Delimiter;
  /** Override header detection. */
  header?: boolean;
  /** Read labels that differ only in case, width or number spelling as one (their most frequent spelling). */
  mergeLabelVariants?: boolean;
  /** With mergeLabelVariants: labels a variant is read as first (the training file's, for a validation file). */
  mergeInto?: readonly string[];
}

export interface LabelledRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  text: string;
  pair?: string;
  label: string;
}

export interface LabelledData {
  file: string;
  rows: LabelledRow[];
  /** Sorted: numerically when every label is a number, else by code point. */
  labels: string[];
  skipped: { count: number; lines: number[] };
  columns: string[];
  encoding: Encoding;
  /** Every sentence the user should read about the file: the findings' messages, and the others (its encoding). */
  warnings: string[];
  /** What is skipped or read oddly, with the lines (for the Problems panel). */
  findings: DataFinding[];
}

/** How many skipped lines `skipped.lines` lists. */
const SKIPPED_LINES_NAMED = 5;
export function sortLabels(labels: Iterable<string>): string[] {
  const all = [...new Set(labels)];
  if (all.every(isNumeric)) return all.sort((a, b) => Number(a) - Number(b));
  return all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A column given by name (exact, then case-insensitive), by 1-based number, or as "column N". */
export function resolveColumn(file: string, columns: string[], ref: string, option: string): number {
  let i = columns.indexOf(ref);
  if (i < 0) {
    const folded = columns.map(c => c.toLowerCase());
    if (folded.filter(c => c === ref.toLowerCase()).length === 1) i = folded.indexOf(ref.toLowerCase());
  }
  if (i < 0 && /^\d+$/.test(ref) && Number(ref) >= 1 && Number(ref) <= columns.length) i = Number(ref) - 1;
  if (i < 0) {
    throw new DataError(
      `${file}: there is no column "${ref}" (${option}). Its columns are: ${columns.map(c => `"${c}"`).join(', ')}. Give one of these names, or a 1-based column number.`,
    );
  }
  return i;
}

export async function loadLabelledData(file: string, choice: ColumnChoice, visit?: RowVisitor, visitSkipped?: SkipVisitor): Promise<LabelledData> {
  if (!fs.existsSync(file)) throw new DataError(`${file}: no such file`);
  let head: Buffer;
  let size: number;
  try {
    ({ head, size } = await readHead(file));
  } catch (e) {
    if (e instanceof NotAFileError) throw new DataError(e.message);
    throw e;
  }
  if (size === 0) throw new DataError(`${file}: the file is empty`);
  let detected = detectEncoding(head);
  if (detected === 'binary')
    throw new DataError(`${file}: this looks like a binary file, not text (${binaryReason(head)}). Export it as UTF-8 CSV, TSV or JSONL.`);
  const read = datasetKind(file).format === 'jsonl' ? readJsonl : readDelimited;
  // Rows handed to a visitor cannot be taken back (a second read would hand them over twice):
  // then the encoding is settled by reading the whole file before the first row.
  if (visit && detected === 'utf-8' && !(await isValidUtf8File(file))) detected = 'latin1';
  const { result: data, latin1 } = await withLatin1Fallback(detected, async encoding => {
    if (visit && encoding !== detected) throw new Error(`${file} changed while it was read: its bytes are no longer valid UTF-8`);
    return read(file, head, size, encoding, choice, visit, visitSkipped);
  });
  if (latin1 || detected === 'latin1') data.warnings.unshift(`${file} is ${LATIN1_NOTE}`);
  return data;
}

/** The row as the file holds it: a CSV record's cells, or a JSON line's object. */
export type RawRecord = string[] | Record<string, unknown>;
/** Gets each usable row as it is read, with the row's raw cells and the file's column names. */
export type RowVisitor = (row: LabelledRow, record: RawRecord, columns: string[]) => Promise<void>;

export type SkipReason = 'empty' | 'ragged';

/** Gets each row that is skipped, where a caller must keep every row (predictions stay row-aligned). */
export type SkipVisitor = (line: number, reason: SkipReason, record: RawRecord, columns: string[]) => Promise<void>;

/** Rows skipped for one reason: how many, and the first lines, to name in a warning and to mark in the Problems panel. */
class Skips {
  count = 0;
  readonly lines: number[] = [];
  add(line: number): void {
    this.count++;
    if (this.lines.length < FINDING_LINES_KEPT) this.lines.push(line);
  }
  lineList(): string {
    return lineList(this.lines, this.count);
  }
}

const rowsWord = (n: number) => count(n, 'row');

class RowCollector {
  readonly rows: LabelledRow[] = [];
  private readonly skips: Record<SkipReason, Skips> = { empty: new Skips(), ragged: new Skips() };
  /** Records that span several lines: a quoted text with line breaks, or a stray quote swallowing rows. */
  private readonly multiLine = new Skips();
  private multiLineFirst = '';

  /** Rows seen: with a visitor, rows are handed over instead of kept. */
  count = 0;
  /** The labels seen, with their rows and first lines (with a visitor the rows are not kept to read them from). */
  private readonly labels = new Map<string, { rows: number; lines: number[] }>();

  constructor(
    private readonly wantLabel: boolean,
    private readonly visit?: RowVisitor,
    private readonly visitSkipped?: SkipVisitor,
  ) {}

  get skipped(): number {
    return this.skips.empty.count + this.skips.ragged.count;
  }

  /** A row whose cells do not line up with the header's columns: its text and label cannot be trusted. */
  async skip(line: number, reason: SkipReason, record: RawRecord, columns: string[]): Promise<void> {
    this.skips[reason].add(line);
    await this.visitSkipped?.(line, reason, record, columns);
  }

  noteMultiLine(line: number, endLine: number): void {
    if (!this.multiLine.count) this.multiLineFirst = `lines ${line}–${endLine}`;
    this.multiLine.add(line);
  }

  async add(
    line: number,
    text: string | undefined,
    pair: string | undefined,
    label: string | undefined,
    wantPair: boolean,
    record: RawRecord,
    columns: string[],
  ): Promise<void> {
    const blank = (v: string | undefined) => v === undefined || v.trim() === '';
    if (blank(text) || (this.wantLabel && blank(label)) || (wantPair && blank(pair))) return this.skip(line, 'empty', record, columns);
    const row = { line, text: text!, pair: wantPair ? pair : undefined, label: this.wantLabel ? label!.trim() : '' };
    this.count++;
    if (this.wantLabel) {
      const seen = this.labels.get(row.label);
      if (!seen) this.labels.set(row.label, { rows: 1, lines: [line] });
      else {
        seen.rows++;
        if (seen.lines.length < FINDING_LINES_KEPT) seen.lines.push(line);
      }
    }
    if (this.visit) await this.visit(row, record, columns);
    else this.rows.push(row);
  }

  finish(file: string, columns: string[], encoding: Encoding, choice: ColumnChoice): LabelledData {
    const { empty, ragged } = this.skips;
    if (!this.count) {
      const why = ragged.count ? ` ${rowsWord(ragged.count)} do not have the header's ${columns.length} columns (${ragged.lineList()}).` : '';
      throw new DataError(
        this.wantLabel
          ? `${file}: no rows left to train on: all ${this.skipped} rows miss a text or a label in the chosen columns (text "${choice.textCol}", label "${choice.labelCol}").${why}`
          : `${file}: no row has a text in column "${choice.textCol}".${why}`,
      );
    }
    const findings: DataFinding[] = [];
    const notes: string[] = [];
    if (this.wantLabel) this.checkLabels(file, choice, findings, notes);
    const labels = this.wantLabel ? sortLabels(this.labels.keys()) : [];
    if (this.wantLabel && labels.length < 2) {
      throw new DataError(
        `${file}: the label column "${choice.labelCol}" holds one class only ("${labels[0]}"); a classifier needs at least two. Is it the right column?`,
      );
    }
    const found = (kind: DataFinding['kind'], skips: Skips, message: string) => {
      if (skips.count) findings.push({ kind, file, count: skips.count, lines: skips.lines, message });
    };
    found(
      'ragged',
      ragged,
      `${file}: skipped ${rowsWord(ragged.count)} whose cells do not line up with the header's ${columns.length} columns (${ragged.lineList()}): a text with an unquoted delimiter splits into extra columns, a missing cell leaves too few. Quote such texts ("…") or fix those rows.`,
    );
    found(
      'empty',
      empty,
      `${file}: skipped ${rowsWord(empty.count)} with an empty ${this.wantLabel ? 'text or label' : 'text'} (${empty.lineList()}). Fill ${empty.count === 1 ? 'it in, or remove it' : 'them in, or remove them'}.`,
    );
    found(
      'multiLine',
      this.multiLine,
      `${file}: ${rowsWord(this.multiLine.count)} ${this.multiLine.count === 1 ? 'spans' : 'span'} several lines (the first: ${this.multiLineFirst}; ${this.multiLine.lineList()}). A quoted text may hold line breaks, but a stray " reads every line up to the next " as one text: check those lines.`,
    );
    const skippedLines = [...empty.lines, ...ragged.lines].sort((a, b) => a - b).slice(0, SKIPPED_LINES_NAMED);
    return {
      file,
      rows: this.rows,
      labels,
      skipped: { count: this.skipped, lines: skippedLines },
      columns,
      encoding,
      warnings: [...findings.map(f => f.message), ...notes],
      findings,
    };
  }

  /**
   * The label column as a classifier will read it: refused when it holds more labels than rows
   * can teach (an id or the text taken for the labels); "NaN" and its kin named; variants that
   * differ only in case or number spelling named, or merged when asked.
   */
  private checkLabels(file: string, choice: ColumnChoice, findings: DataFinding[], notes: string[]): void {
    const n = this.labels.size;
    const perLabel = this.count / n;
    const limit = TRAIN_LIMITS.labels;
    if (n > limit || (n >= LABEL_RATIO_CHECKED_FROM && perLabel < MIN_ROWS_PER_LABEL)) {
      throw new DataError(
        `${file}: the label column "${choice.labelCol}" holds ${n.toLocaleString('en-US')} distinct labels over ${rowsWord(this.count)} (${perLabel.toFixed(1)} rows a label): a classifier needs several examples of each label${n > limit ? `, and BERT Tune takes at most ${limit.toLocaleString('en-US')} labels` : ''}. Is "${choice.labelCol}" the label column?`,
      );
    }
    const missing = [...this.labels].filter(([label]) => looksMissing(label));
    if (missing.length) {
      const rows = missing.reduce((a, [, s]) => a + s.rows, 0);
      const lines = missing
        .flatMap(([, s]) => s.lines)
        .sort((a, b) => a - b)
        .slice(0, FINDING_LINES_KEPT);
      findings.push({
        kind: 'missingLabel',
        file,
        count: rows,
        lines,
        message: `${file}: ${rowsWord(rows)} ${rows === 1 ? 'has' : 'have'} the label ${quotedList(missing.map(([l]) => l))} (${lineList(lines, rows)}), which pandas and spreadsheets write for a missing value: ${missing.length === 1 ? 'it trains as a class' : 'they train as classes'} of ${missing.length === 1 ? 'its' : 'their'} own. Remove those rows, or fill in their labels.`,
      });
    }
    const groups = labelVariantGroups(new Map([...this.labels].map(([l, s]) => [l, s.rows])));
    if (!choice.mergeLabelVariants) {
      if (!groups.length) return;
      const others = groups.flatMap(g => g.variants.slice(1));
      const rows = others.reduce((a, l) => a + this.labels.get(l)!.rows, 0);
      const lines = others
        .flatMap(l => this.labels.get(l)!.lines)
        .sort((a, b) => a - b)
        .slice(0, FINDING_LINES_KEPT);
      const variants = groups.reduce((a, g) => a + g.variants.length, 0);
      findings.push({
        kind: 'labelVariants',
        file,
        count: rows,
        lines,
        message: `${file}: ${groups.map(g => quotedList(g.variants)).join('; ')} differ only in case or in how a number is written, and train as ${variants} classes instead of ${groups.length} (the less frequent spellings: ${lineList(lines, rows)}). Merge them (Merge Label Variants, or --merge-label-variants) to read each group as its most frequent spelling, or fix the file.`,
      });
      return;
    }
    if (this.visit) throw new Error('merging label variants needs the rows kept (no row visitor)');
    const to = mergedLabels(groups);
    // A validation file's variants become the training file's labels, whatever their counts here.
    const into = new Map((choice.mergeInto ?? []).map(l => [labelKey(l), l]));
    for (const label of this.labels.keys()) {
      const known = into.get(labelKey(label));
      if (known !== undefined && known !== label) to.set(label, known);
      else if (known === label) to.delete(label);
    }
    if (!to.size) return;
    for (const row of this.rows) row.label = to.get(row.label) ?? row.label;
    const merged = new Map<string, { rows: number; lines: number[] }>();
    for (const [label, s] of this.labels) {
      const target = to.get(label) ?? label;
      const m = merged.get(target);
      if (m) m.rows += s.rows;
      else merged.set(target, { rows: s.rows, lines: s.lines });
    }
    this.labels.clear();
    for (const [l, s] of merged) this.labels.set(l, s);
    const byTarget = new Map<string, string[]>();
    for (const [from, target] of to) byTarget.set(target, [...(byTarget.get(target) ?? []), from]);
    notes.push(`${file}: merged label variants: ${[...byTarget].map(([target, from]) => `${quotedList(from)} read as ${JSON.stringify(target)}`).join('; ')}.`);
  }
}

async function readDelimited(
  file: string,
  head: Buffer,
  size: number,
  encoding: Encoding,
  choice: ColumnChoice,
  visit?: RowVisitor,
  visitSkipped?: SkipVisitor,
): Promise<LabelledData> {
  const { dialect, hasHeader, headerClear, firstLineWhole, records: sampleRecords, width } = sniffFile(file, head, size, encoding, choice);
  if (hasHeader && !firstLineWhole) throw new DataError(`${file}: ${headerTooLong(head.length)}`);
  const columns = columnNames(hasHeader ? sampleRecords[0] : undefined, hasHeader ? sampleRecords[0].length : Math.max(width, 1));
  const textIdx = resolveColumn(file, columns, choice.textCol, '--text-col');
  const pairIdx = choice.pairCol === undefined ? undefined : resolveColumn(file, columns, choice.pairCol, '--text-pair-col');
  const labelIdx = choice.labelCol === undefined ? undefined : resolveColumn(file, columns, choice.labelCol, '--label-col');
  if (labelIdx === textIdx) throw new DataError(`${file}: the text and label columns are the same ("${columns[textIdx]}")`);

  const collector = new RowCollector(labelIdx !== undefined, visit, visitSkipped);
  let headerSeen = !hasHeader;
  try {
    await readDelimitedRecords(file, encoding, dialect, async ({ record, line, endLine }) => {
      if (!headerSeen) {
        headerSeen = true;
        return;
      }
      if (endLine > line) collector.noteMultiLine(line, endLine);
      if (isRagged(record, columns.length)) return collector.skip(line, 'ragged', record, columns);
      await collector.add(
        line,
        record[textIdx],
        pairIdx === undefined ? undefined : record[pairIdx],
        labelIdx === undefined ? undefined : record[labelIdx],
        pairIdx !== undefined,
        record,
        columns,
      );
    });
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new DataError(`${file}: ${e.message}. Fix the quoting on that line (a field that opens a " must close it).`);
    throw e;
  }
  const data = collector.finish(file, columns, encoding, choice);
  if (!headerClear && sampleRecords.length) data.warnings.unshift(`${file}: ${headerAssumption(sampleRecords[0], hasHeader)}`);
  return data;
}

async function readJsonl(
  file: string,
  _head: Buffer,
  _size: number,
  encoding: Encoding,
  choice: ColumnChoice,
  visit?: RowVisitor,
  visitSkipped?: SkipVisitor,
): Promise<LabelledData> {
  const collector = new RowCollector(choice.labelCol !== undefined, visit, visitSkipped);
  const keys = new Set<string>();
  const value = (o: Record<string, unknown>, k: string | undefined) => (k === undefined ? undefined : jsonCell(o[k]));
  await readJsonLines(file, encoding, async l => {
    if ('problem' in l)
      throw new DataError(`${file}: line ${l.line} is ${l.problem}. Each line must be one JSON object such as {"text": "...", "label": "..."}.`);
    const obj = l.object;
    Object.keys(obj).forEach(k => keys.add(k));
    const column = (ref: string | undefined, option: string) => {
      if (ref === undefined) return undefined;
      if (ref in obj) return ref;
      if (keys.has(ref)) return ref;
      const list = [...keys];
      return list[resolveColumn(file, list, ref, option)];
    };
    await collector.add(
      l.line,
      value(obj, column(choice.textCol, '--text-col')),
      value(obj, column(choice.pairCol, '--text-pair-col')),
      value(obj, column(choice.labelCol, '--label-col')),
      choice.pairCol !== undefined,
      obj,
      [...keys],
    );
  });
  return collector.finish(file, [...keys], encoding, choice);
}
