/**
 * Reads the rows to train on from a CSV/TSV/JSONL file: the text column, an optional second
 * text column (sentence pairs) and the target as the task reads it (../../shared/tasks.ts): one
 * label, a set of labels (several 0/1 columns, a column of separated tags, a JSON array) or a
 * number. Rows without text or target are skipped and counted; anything that makes training
 * impossible is an error naming the file, the row or the column, and what to do.
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
import { flagOf, looksLikeRegression, splitTags, tagSeparatorOf, TASKS, type TaskName } from '../../shared/tasks';

export class DataError extends Error {}

export interface ColumnChoice {
  textCol: string;
  pairCol?: string;
  /**
   * Absent when reading rows to predict: then every row's label is "". For multi-label, several
   * 0/1 columns may be given separated by commas ("toxic,obscene,insult").
   */
  labelCol?: string;
  /** How the target is read; undefined: from the data (several label columns, tags or JSON arrays: multi-label; a score: regression; else single-label). */
  task?: TaskName;
  /** Where `task` is not given and the data's form does not decide (several columns, tags, arrays): the model's problem_type. */
  taskHint?: TaskName;
  /** Multi-label tags in one cell: their separator (default: the first of | ; , the column holds). */
  labelSep?: string;
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
  /** Single-label: the label. Otherwise the cell as written (tags, a number; "" from 0/1 columns). */
  label: string;
  /** Multi-label: the row's labels (none is a row too). */
  tags?: string[];
  /** Regression: the target. */
  value?: number;
}

export interface LabelledData {
  file: string;
  /** How the targets were read: asked for, or inferred from the data. */
  task: TaskName;
  /** Why the task was inferred (absent when it was asked for). */
  inferredTask?: string;
  rows: LabelledRow[];
  /**
   * Single-label: sorted numerically when every label is a number, else by code point.
   * Multi-label: the 0/1 columns in the order given, else the tags sorted so. Regression: the column's name.
   */
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

/** A row's target as text, to compare and to quote: the label, the labels (sorted, joined by ", "), or the value. */
export function targetText(row: LabelledRow): string {
  if (row.tags) return [...row.tags].sort().join(', ');
  if (row.value !== undefined) return String(row.value);
  return row.label;
}

/** A cell as an error quotes it. */
const clip = (cell: string) => (cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
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

/**
 * The label column, or for multi-label several 0/1 columns separated by commas
 * ("toxic,obscene,insult"), as column indexes. A name that is a column as a whole stays one.
 */
export function resolveLabelColumns(file: string, columns: string[], ref: string): number[] {
  try {
    return [resolveColumn(file, columns, ref, '--label-col')];
  } catch (e) {
    const parts = ref
      .split(',')
      .map(p => p.trim())
      .filter(p => p !== '');
    if (!(e instanceof DataError) || parts.length < 2) throw e;
    const idxs = parts.map(p => resolveColumn(file, columns, p, '--label-col'));
    const twice = idxs.find((x, i) => idxs.indexOf(x) !== i);
    if (twice !== undefined) throw new DataError(`${file}: --label-col names the column "${columns[twice]}" twice.`);
    return idxs;
  }
}

/**
 * The file's columns checked against the choice, reading no further than its first row: a wrong
 * column or an unreadable file is told before anything slow (a model download) is started.
 */
export async function checkColumns(file: string, choice: ColumnChoice): Promise<void> {
  class FirstRow extends Error {}
  try {
    await loadLabelledData(file, { ...choice, task: undefined, taskHint: undefined }, async () => {
      throw new FirstRow();
    });
  } catch (e) {
    if (!(e instanceof FirstRow)) throw e;
  }
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

/** A row's target as the file holds it: one cell, a JSON array of labels, or the cells of several 0/1 columns. */
export type LabelCell = undefined | string | { tags: unknown[] } | { flags: (string | undefined)[] };

/** Counts of one label: its rows and first lines. */
interface LabelSeen {
  rows: number;
  lines: number[];
}

class RowCollector {
  readonly rows: LabelledRow[] = [];
  private readonly skips: Record<SkipReason, Skips> = { empty: new Skips(), ragged: new Skips() };
  /** Records that span several lines: a quoted text with line breaks, or a stray quote swallowing rows. */
  private readonly multiLine = new Skips();
  private multiLineFirst = '';
  /** Multi-label rows with no label. */
  private readonly unlabelled = new Skips();

  /** Rows seen: with a visitor, rows are handed over instead of kept. */
  count = 0;
  /** The labels (single-label) or tags (multi-label) seen, with their rows and first lines (with a visitor the rows are not kept to read them from). */
  private labels = new Map<string, LabelSeen>();
  /** The task the targets are read as; undefined until the data decides (rows kept, read again at the end). */
  private task: TaskName | undefined;
  /** Multi-label tags in one cell: the separator asked for, else the first one a cell held. */
  private separator: string | undefined;
  private sawArrays = false;
  /** Regression: the smallest and largest target. */
  private range = { min: Infinity, max: -Infinity };

  constructor(
    private readonly file: string,
    private readonly choice: ColumnChoice,
    /** The 0/1 columns' names, when the labels are several columns. */
    private readonly flagColumns: string[] | undefined,
    private readonly visit?: RowVisitor,
    private readonly visitSkipped?: SkipVisitor,
  ) {
    const wantLabel = choice.labelCol !== undefined;
    if (flagColumns && choice.task && choice.task !== 'multi_label_classification') {
      throw new DataError(
        `${file}: --label-col names ${flagColumns.length} columns (${flagColumns.join(', ')}), which only multi-label classification reads; this run is ${TASKS[choice.task].title}. Name one label column, or use --problem-type multi_label_classification.`,
      );
    }
    // With a visitor rows cannot be read again: the task is settled before the first one.
    this.task =
      flagColumns || (!choice.task && choice.labelSep)
        ? 'multi_label_classification'
        : (choice.task ?? (visit || !wantLabel ? (choice.taskHint ?? 'single_label_classification') : undefined));
    this.separator = choice.labelSep;
  }

  private get wantLabel(): boolean {
    return this.choice.labelCol !== undefined;
  }

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
    label: LabelCell,
    wantPair: boolean,
    record: RawRecord,
    columns: string[],
  ): Promise<void> {
    const blank = (v: string | undefined) => v === undefined || v.trim() === '';
    if (blank(text) || (wantPair && blank(pair))) return this.skip(line, 'empty', record, columns);
    const row: LabelledRow = { line, text: text!, pair: wantPair ? pair : undefined, label: '' };
    if (this.wantLabel) {
      if (typeof label === 'object' && 'flags' in label) {
        if (label.flags.some(blank)) return this.skip(line, 'empty', record, columns);
        row.tags = this.flagColumns!.filter((_, i) => this.flag(line, this.flagColumns![i], label.flags[i]!));
      } else if (typeof label === 'object') {
        this.sawArrays = true;
        row.tags = [...new Set(label.tags.map(jsonCell).map(t => t.trim()))].filter(t => t !== '');
      } else {
        // An empty cell of tags is a row with no label; any other task has nothing to learn from it.
        if (blank(label) && this.task !== 'multi_label_classification') return this.skip(line, 'empty', record, columns);
        row.label = (label ?? '').trim();
        if (this.task === 'regression' && looksMissing(row.label)) return this.skip(line, 'empty', record, columns);
      }
      this.settle(row);
    }
    this.count++;
    this.tally(row);
    if (this.visit) await this.visit(row, record, columns);
    else this.rows.push(row);
  }

  /** A 0/1 cell of the multi-label column form. */
  private flag(line: number, column: string, cell: string): boolean {
    const v = flagOf(cell);
    if (v === undefined) {
      throw new DataError(
        `${this.file}, line ${line}, column "${column}": ${JSON.stringify(clip(cell))} is not 0 or 1. Each label column of a multi-label file says whether the row has that label (1, true, yes) or not (0, false, no).`,
      );
    }
    return v;
  }

  /** The row's target as the task reads it, once the task is known. */
  private settle(row: LabelledRow): void {
    if (this.task === 'multi_label_classification' && !row.tags) {
      this.separator ??= tagSeparatorOf([row.label]);
      row.tags = this.separator === undefined ? (row.label ? [row.label] : []) : splitTags(row.label, this.separator);
    } else if (this.task === 'regression' && row.value === undefined) {
      const v = Number(row.label);
      if (row.label === '' || !Number.isFinite(v)) {
        throw new DataError(
          `${this.file}, line ${row.line}, column "${this.choice.labelCol}": ${JSON.stringify(clip(row.label))} is not a number, and regression learns a number a row. Fix the cell, or leave it empty to skip the row.`,
        );
      }
      row.value = v;
    }
  }

  /** Counts the row's labels, tags or target. */
  private tally(row: LabelledRow): void {
    if (!this.wantLabel) return;
    const seen = (label: string) => {
      const s = this.labels.get(label);
      if (!s) this.labels.set(label, { rows: 1, lines: [row.line] });
      else {
        s.rows++;
        if (s.lines.length < FINDING_LINES_KEPT) s.lines.push(row.line);
      }
    };
    if (row.tags) {
      row.tags.forEach(seen);
      if (!row.tags.length) this.unlabelled.add(row.line);
    } else if (row.value !== undefined) {
      this.range.min = Math.min(this.range.min, row.value);
      this.range.max = Math.max(this.range.max, row.value);
    } else seen(row.label);
  }

  /** The task of rows read before it was known: arrays of labels make it multi-label, a score regression, else single-label. */
  private decideTask(): string | undefined {
    if (this.task) return undefined;
    const present = [...this.labels.keys()].filter(l => !looksMissing(l));
    let why: string;
    if (this.sawArrays) {
      this.task = 'multi_label_classification';
      why = `its "${this.choice.labelCol}" cells hold lists of labels`;
    } else if (this.choice.taskHint) {
      this.task = this.choice.taskHint;
      if (this.task === 'single_label_classification') return undefined;
      why = "the model's config.json says so (problem_type)";
    } else if (looksLikeRegression(present)) {
      this.task = 'regression';
      why = `"${this.choice.labelCol}" holds ${present.length} distinct numbers`;
      // "NA" and its kin are missing targets: skipped, as they are when the task is asked for.
      const kept = this.rows.filter(r => !looksMissing(r.label));
      for (const r of this.rows) if (looksMissing(r.label)) this.skips.empty.add(r.line);
      this.count = kept.length;
      this.rows.splice(0, this.rows.length, ...kept);
    } else {
      this.task = 'single_label_classification';
      return undefined;
    }
    this.labels = new Map();
    for (const row of this.rows) {
      this.settle(row);
      this.tally(row);
    }
    return `${this.file}: read as ${TASKS[this.task].title}, since ${why}. Say --problem-type to read it otherwise.`;
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
    const inferred = this.wantLabel ? this.decideTask() : undefined;
    const task = this.task ?? 'single_label_classification';
    const findings: DataFinding[] = [];
    const notes: string[] = [];
    let labels: string[] = [];
    if (this.wantLabel) {
      if (task === 'single_label_classification') {
        this.checkLabels(file, choice, findings, notes);
        labels = sortLabels(this.labels.keys());
        if (labels.length < 2) {
          throw new DataError(
            `${file}: the label column "${choice.labelCol}" holds one class only ("${labels[0]}"); a classifier needs at least two. Is it the right column?`,
          );
        }
      } else if (task === 'multi_label_classification') labels = this.checkTags(file, notes);
      else labels = this.checkTargets(file, choice);
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
    found(
      'noLabels',
      this.unlabelled,
      `${file}: ${rowsWord(this.unlabelled.count)} of ${this.count} ${this.unlabelled.count === 1 ? 'has' : 'have'} no label (${this.unlabelled.lineList()}): ${this.unlabelled.count === 1 ? 'it teaches' : 'they teach'} the model that every label is absent. That is right for texts that fit none; if the labels are missing instead, fill them in or remove the rows.`,
    );
    const skippedLines = [...empty.lines, ...ragged.lines].sort((a, b) => a - b).slice(0, SKIPPED_LINES_NAMED);
    return {
      file,
      task,
      inferredTask: inferred,
      rows: this.rows,
      labels,
      skipped: { count: this.skipped, lines: skippedLines },
      columns,
      encoding,
      warnings: [...(inferred ? [inferred] : []), ...findings.map(f => f.message), ...notes],
      findings,
    };
  }

  /** Multi-label: the labels in the order of their columns, else sorted; refused when none occurs, or when more than the limit. */
  private checkTags(file: string, notes: string[]): string[] {
    const labels = this.flagColumns ?? sortLabels(this.labels.keys());
    if (!this.labels.size) {
      throw new DataError(
        `${file}: no row has a label in ${this.flagColumns ? `the columns ${this.flagColumns.join(', ')}` : `"${this.choice.labelCol}"`}: a multi-label classifier needs rows with each label. Is it the right column${this.flagColumns ? 's' : ''}?`,
      );
    }
    if (labels.length > TRAIN_LIMITS.labels) {
      throw new DataError(
        `${file}: ${labels.length.toLocaleString('en-US')} distinct labels; BERT Tune takes at most ${TRAIN_LIMITS.labels.toLocaleString('en-US')}.`,
      );
    }
    const never = labels.filter(l => !this.labels.has(l));
    const always = labels.filter(l => this.labels.get(l)?.rows === this.count);
    if (never.length || always.length) {
      notes.push(
        `${file}: ${[never.length ? `${quotedList(never)} ${never.length === 1 ? 'is' : 'are'} on no row` : '', always.length ? `${quotedList(always)} ${always.length === 1 ? 'is' : 'are'} on every row` : ''].filter(Boolean).join(', and ')}: the model cannot learn when such a label applies. Leave ${never.length + always.length === 1 ? 'that column' : 'those columns'} out, or add rows that tell them apart.`,
      );
    }
    return labels;
  }

  /** Regression: refused when every target is the same (nothing to learn); the column's name is its one output. */
  private checkTargets(file: string, choice: ColumnChoice): string[] {
    if (this.range.min === this.range.max) {
      throw new DataError(`${file}: every row's "${choice.labelCol}" is ${this.range.min}: a regression needs targets that differ. Is it the right column?`);
    }
    return [choice.labelCol!];
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
      const numbers = [...this.labels.keys()].every(isNumeric);
      throw new DataError(
        `${file}: the label column "${choice.labelCol}" holds ${n.toLocaleString('en-US')} distinct labels over ${rowsWord(this.count)} (${perLabel.toFixed(1)} rows a label): a classifier needs several examples of each label${n > limit ? `, and BERT Tune takes at most ${limit.toLocaleString('en-US')} labels` : ''}. Is "${choice.labelCol}" the label column?${numbers ? ' Its values are numbers: to learn them as a score, use --problem-type regression.' : ''}`,
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
  const labelIdxs = choice.labelCol === undefined ? undefined : resolveLabelColumns(file, columns, choice.labelCol);
  if (labelIdxs?.includes(textIdx)) throw new DataError(`${file}: the text and label columns are the same ("${columns[textIdx]}")`);
  const flagColumns = labelIdxs && labelIdxs.length > 1 ? labelIdxs.map(i => columns[i]) : undefined;

  const collector = new RowCollector(file, choice, flagColumns, visit, visitSkipped);
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
        labelIdxs === undefined ? undefined : flagColumns ? { flags: labelIdxs.map(i => record[i]) } : record[labelIdxs[0]],
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
  // Several 0/1 keys ("toxic,obscene") are known from the first object: the collector is made there.
  let collector: RowCollector | undefined;
  let flagKeys: string[] | undefined;
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
    if (!collector) {
      const label = choice.labelCol;
      if (label !== undefined && !(label in obj) && label.includes(',')) {
        const list = [...keys];
        flagKeys = resolveLabelColumns(file, list, label).map(i => list[i]);
      }
      collector = new RowCollector(file, choice, flagKeys && flagKeys.length > 1 ? flagKeys : undefined, visit, visitSkipped);
    }
    let target: LabelCell;
    if (flagKeys && flagKeys.length > 1) target = { flags: flagKeys.map(k => value(obj, k)) };
    else {
      const key = column(flagKeys?.[0] ?? choice.labelCol, '--label-col');
      target = key !== undefined && Array.isArray(obj[key]) ? { tags: obj[key] as unknown[] } : value(obj, key);
    }
    await collector.add(
      l.line,
      value(obj, column(choice.textCol, '--text-col')),
      value(obj, column(choice.pairCol, '--text-pair-col')),
      target,
      choice.pairCol !== undefined,
      obj,
      [...keys],
    );
  });
  collector ??= new RowCollector(file, choice, undefined, visit, visitSkipped);
  return collector.finish(file, [...keys], encoding, choice);
}
