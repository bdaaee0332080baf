/**
 * Reads a CSV/TSV/JSONL file once, as a stream, and describes it: encoding, dialect, header,
 * row count, per-column statistics and what is wrong with it. Memory stays bounded whatever the
 * file's size; problems are reported in the result, never thrown.
 */
import {
  datasetKind,
  likelyLabelColumn,
  likelyTextColumn,
  type ColumnInfo,
  type DatasetInfo,
  type DatasetProblem,
  type DatasetTask,
  type Encoding,
} from '../../shared/dataset';
import { binaryColumns, proposeTask } from '../../shared/taskProposal';
import { TargetStats } from './targetStats';
import { TextCensus, WORD_LENGTH_EDGES, censusProblems } from './doctor';
import { DataError, loadLabelledData } from './loadLabelledData';
import { FINDING_LINES_NAMED, lineList } from '../../shared/dataFindings';
import { count } from '../../shared/words';
import { assignRoles, ColumnAccumulator } from './columnStats';
import { CsvSyntaxError, isRagged, jsonCell, LATIN1_NOTE, readDelimitedRecords, readJsonLines, sniffFile, withLatin1Fallback } from './records';
import { columnNames, headerAssumption, headerTooLong } from './sniff';
import { NotAFileError, binaryReason, detectEncoding, isDecodeError, readHead } from './textFile';
import { labelVariantGroups, looksMissing, quotedList } from '../../shared/labelValues';

/** The first rows the Dataset Summary shows, each cell cut to SAMPLE_CELL characters. */
const SAMPLE_ROWS = 5;
const SAMPLE_CELL = 200;
const clipCell = (cell: string) => (cell.length > SAMPLE_CELL ? `${cell.slice(0, SAMPLE_CELL)}…` : cell);

/** How many JSONL lines may name new keys; later keys are still counted, not listed. */
const JSONL_KEY_LINES = 1000;

export interface InspectOptions {
  signal?: AbortSignal;
}

/** Thrown only when the file cannot be read at all (gone, unreadable, aborted). */
export class DatasetReadError extends Error {
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
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
        message: `This looks like a binary file, not text: ${binaryReason(head)}. Export it as UTF-8 CSV, TSV or JSONL.`,
      });
    }
    const read = format === 'jsonl' ? inspectJsonl : inspectDelimited;
    const { result: info, latin1 } = await withLatin1Fallback(encoding, e => read(file, head, size, e, options.signal));
    if (latin1) info.problems.unshift({ severity: 'warning', message: `The file is ${LATIN1_NOTE}` });
    info.task = proposedTask(info);
    await addTextChecks(file, info, options.signal);
    return info;
  } catch (e) {
    if (options.signal?.aborted) throw new DatasetReadError('Inspection cancelled.', true);
    if (e instanceof DatasetReadError) throw e;
    if (isDecodeError(e)) {
      return emptyInfo(format, 0, 'utf-8', { severity: 'error', message: 'The text cannot be decoded: its bytes are not valid for its byte-order mark.' });
    }
    throw new DatasetReadError(readErrorMessage(e));
  }
}

async function inspectDelimited(file: string, head: Buffer, size: number, encoding: Encoding, signal: AbortSignal | undefined): Promise<DatasetInfo> {
  const { dialect, hasHeader, headerClear, firstLineWhole, records: sampleRecords, width: sampleWidth } = sniffFile(file, head, size, encoding);
  if (hasHeader && !firstLineWhole) {
    const message = headerTooLong(head.length);
    return emptyInfo('csv', size, encoding, { severity: 'error', message: message[0].toUpperCase() + message.slice(1), line: 1 });
  }

  const problems: DatasetProblem[] = [];
  let header: string[] | undefined;
  let width = 0;
  let rows = 0;
  let mismatched = 0;
  const mismatchLines: number[] = [];
  let multiLine = 0;
  let firstMultiLine = '';
  let firstMultiLineStart = 0;
  const accumulators: ColumnAccumulator[] = [];
  const sample: NonNullable<DatasetInfo['sample']> = [];

  try {
    await readDelimitedRecords(
      file,
      encoding,
      dialect,
      ({ record, line, endLine }) => {
        if (hasHeader && !header) {
          header = record;
          width = record.length;
          return;
        }
        if (!width) width = sampleWidth || record.length;
        rows++;
        if (sample.length < SAMPLE_ROWS) sample.push({ line, cells: record.map(clipCell) });
        if (endLine > line && !multiLine++) {
          firstMultiLine = `lines ${line}–${endLine}`;
          firstMultiLineStart = line;
        }
        // The loader's rule: a row it would skip is a row to warn of.
        const ragged = isRagged(record, width);
        if (ragged) {
          if (mismatched++ < FINDING_LINES_NAMED) mismatchLines.push(line);
        }
        for (let i = 0; i < record.length; i++) {
          // A ragged row is skipped for its shape, warned of above: its empty cells are not told twice.
          if (ragged && record[i].trim() === '') continue;
          (accumulators[i] ??= new ColumnAccumulator()).add(record[i], line);
        }
      },
      signal,
    );
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    problems.push({
      severity: 'error',
      message: `Cannot parse the row that starts on line ${e.line}: ${e.reason}. Rows after it are not counted; fix the quoting there.`,
      line: e.line,
    });
  }

  // The header's columns (or most rows'): cells past them belong to no column, and the rows that
  // have them are the mismatched ones warned of below, not phantom columns to offer.
  const count = width || accumulators.length;
  const names = columnNames(header, count);
  const kept = names.map((_, i) => accumulators[i] ?? new ColumnAccumulator());
  const columns = assignRoles(names.map((n, i) => kept[i].finish(n)));
  if (!headerClear && sampleRecords.length)
    problems.push({ severity: 'warning', message: `L${headerAssumption(sampleRecords[0], hasHeader).slice(1)}`, line: 1 });
  problems.push(...emptyCellProblems(columns, kept));
  if (mismatched) {
    problems.push({
      severity: 'warning',
      message: `${mismatched} row${mismatched === 1 ? ' has' : 's have'} a different number of columns than ${hasHeader ? 'the header' : 'most rows'} (${width}): ${lineList(mismatchLines, mismatched)}. Training skips ${mismatched === 1 ? 'it' : 'them'}: quote texts that hold the delimiter ("…"), or fix those rows.`,
      line: mismatchLines[0],
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
  return { format: 'csv', delimiter: dialect.delimiter, quoting: dialect.quoting, hasHeader, encoding, rows, columns, problems, sizeBytes: size, sample };
}

async function inspectJsonl(file: string, _head: Buffer, size: number, encoding: Encoding, signal: AbortSignal | undefined): Promise<DatasetInfo> {
  const keys: string[] = [];
  const accumulators = new Map<string, ColumnAccumulator>();
  const problems: DatasetProblem[] = [];
  let rows = 0;
  let bad = 0;
  let firstBadLine = 0;
  let firstBadReason = '';
  const objects: { line: number; object: Record<string, unknown> }[] = [];

  await readJsonLines(
    file,
    encoding,
    l => {
      if ('problem' in l) {
        if (!bad++) [firstBadLine, firstBadReason] = [l.line, l.problem];
        return;
      }
      rows++;
      if (objects.length < SAMPLE_ROWS) objects.push({ line: l.line, object: l.object });
      for (const [k, v] of Object.entries(l.object)) {
        let acc = accumulators.get(k);
        if (!acc) {
          if (rows > JSONL_KEY_LINES) continue;
          acc = new ColumnAccumulator();
          // The lines before this key first appeared lack it.
          for (let i = 1; i < rows; i++) acc.add(undefined);
          accumulators.set(k, acc);
          keys.push(k);
        }
        acc.add(jsonCell(v), l.line);
      }
      for (const k of keys) if (!(k in l.object)) accumulators.get(k)!.add(undefined, l.line);
    },
    signal,
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
  problems.push(
    ...emptyCellProblems(
      columns,
      keys.map(k => accumulators.get(k)!),
    ),
  );
  const sample = objects.map(o => ({ line: o.line, cells: keys.map(k => clipCell(jsonCell(o.object[k]))) }));
  return { format: 'jsonl', hasHeader: false, encoding, rows, columns, problems, sizeBytes: size, sample };
}

/**
 * The rows the loader would skip for an empty text or label, in the likely text and label
 * columns: the summary lists them (a missing label does not show in the label balance).
 */
function emptyCellProblems(columns: ColumnInfo[], accumulators: ColumnAccumulator[]): DatasetProblem[] {
  const problems: DatasetProblem[] = labelValueProblems(columns);
  // A multi-label column of tags may be empty: a row with no label, not a row skipped.
  const tags = proposedTask({ columns });
  const emptyIsNone = tags?.task === 'multi_label_classification' ? new Set(tags.labelColumns) : new Set<string>();
  columns.forEach((c, i) => {
    const acc = accumulators[i];
    if ((c.role !== 'label' && c.role !== 'text') || !acc.empty || emptyIsNone.has(c.name)) return;
    problems.push({
      severity: 'warning',
      message: `${count(acc.empty, 'row')} ${acc.empty === 1 ? 'has' : 'have'} no ${c.role} in "${c.name}" (${lineList(acc.emptyLines, acc.empty)}): training on that column skips ${acc.empty === 1 ? 'it' : 'them'}. Fill ${acc.empty === 1 ? 'it' : 'them'} in, or remove ${acc.empty === 1 ? 'it' : 'them'}.`,
      line: acc.emptyLines[0],
    });
  });
  return problems;
}

/** Files up to this size get the text checks (a second read, by the loader); larger ones only their shape. */
export const TEXT_CHECKS_MAX_BYTES = 16 * 2 ** 20;

/**
 * The likely text and label columns read as training reads them (the loader, rows not kept):
 * texts with two labels, rows that repeat another, and the texts' lengths in words.
 */
async function addTextChecks(file: string, info: DatasetInfo, signal: AbortSignal | undefined): Promise<void> {
  const text = likelyTextColumn(info);
  const task = info.task;
  if (!text || !task || info.sizeBytes > TEXT_CHECKS_MAX_BYTES || info.problems.some(p => p.severity === 'error')) return;
  const census = new TextCensus();
  const targets = new TargetStats(task.task);
  const labelCol = task.labelColumns.join(',');
  const choice = {
    textCol: text.name,
    labelCol,
    task: task.task,
    labelSep: task.labelSep,
    delimiter: info.delimiter,
    header: info.format === 'csv' ? info.hasHeader : undefined,
  };
  let data;
  try {
    data = await loadLabelledData(file, choice, async row => {
      if (signal?.aborted) throw new DatasetReadError('Inspection cancelled.', true);
      census.add(row);
      targets.add(row);
    });
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    // What makes the columns unusable for training (one class only, no usable row) the problems above
    // already say; a target the task cannot read (a score that is no number, every score the same) is said here.
    if (task.task === 'regression')
      info.problems.push({ severity: 'warning', message: e.message.replace(`${file}, `, '').replace(`${file}: `, ''), line: lineOf(e.message) });
    return;
  }
  const result = census.finish();
  const read = targets.finish(labelCol);
  task.summary = read.summary || undefined;
  info.problems.push(...read.problems);
  // Multi-label: labels on no row or on every row, and rows with none (the loader's notes and findings).
  if (task.task === 'multi_label_classification')
    info.problems.push(
      ...data.findings
        .filter(f => f.kind === 'noLabels')
        .map(f => ({ severity: 'warning' as const, message: f.message.replace(`${file}: `, ''), line: f.lines[0] })),
      ...data.warnings.filter(w => / on (no|every) row/.test(w)).map(w => ({ severity: 'warning' as const, message: w.replace(`${file}: `, '') })),
    );
  info.problems.push(...censusProblems(result, text.name, labelCol).map(p => ({ severity: 'warning' as const, ...p })));
  info.textLengths = { column: text.name, edges: [...WORD_LENGTH_EDGES], rows: result.wordLengths };
}

/** "line 12" in a loader's message, where it names one. */
function lineOf(message: string): number | undefined {
  const m = /\bline (\d+)\b/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Names a single label column usually has: a 0/1 column so named is one label, not one of several. */
const SINGLE_LABEL_NAMES = new Set(['label', 'labels', 'class', 'target', 'y', 'sentiment', 'category', 'gold_label']);

/**
 * The task the file's labels propose: several 0/1 columns (three or more, or two where neither
 * is named like a single label column) are multi-label; else the likely label column's own
 * (tags: multi-label; many numbers: regression); without one, a column of many numbers is a
 * regression target.
 */
function proposedTask(info: Pick<DatasetInfo, 'columns'>): DatasetTask | undefined {
  const text = likelyTextColumn(info);
  const label = likelyLabelColumn(info);
  const flags = binaryColumns(info).filter(c => c.name !== text?.name);
  const several = flags.length >= 3 || (flags.length === 2 && !flags.some(f => SINGLE_LABEL_NAMES.has(f.name.toLowerCase())));
  let columns: string[];
  if (several && (!label || flags.some(f => f.name === label.name))) columns = flags.map(f => f.name);
  else if (label) columns = [label.name];
  else {
    const scores = info.columns.find(c => c.numeric && c.name !== text?.name && c.role !== 'id' && (c.distinctCapped || c.distinct > 10));
    if (!scores) return undefined;
    columns = [scores.name];
  }
  const p = proposeTask(info, columns);
  return { task: p.task, why: p.why, labelColumns: columns, ...(p.labelSep && { labelSep: p.labelSep }) };
}

/**
 * The likely label column's values as training would read them: spellings of one label that
 * train as separate classes, and "NaN" and its kin, which train as a class of their own.
 */
function labelValueProblems(columns: ColumnInfo[]): DatasetProblem[] {
  const label = columns.find(c => c.role === 'label');
  if (!label?.valueCounts) return [];
  const problems: DatasetProblem[] = [];
  const counts = new Map(label.valueCounts);
  const groups = labelVariantGroups(counts);
  if (groups.length) {
    const variants = groups.reduce((a, g) => a + g.variants.length, 0);
    problems.push({
      severity: 'warning',
      message: `In "${label.name}", ${groups.map(g => quotedList(g.variants)).join('; ')} differ only in case or in how a number is written: training reads ${variants} classes where ${groups.length} ${groups.length === 1 ? 'is' : 'are'} meant. Fine-tune offers to merge them (Merge Label Variants).`,
    });
  }
  const missing = label.valueCounts.filter(([v]) => looksMissing(v));
  if (missing.length) {
    const rows = missing.reduce((a, [, n]) => a + n, 0);
    problems.push({
      severity: 'warning',
      message: `In "${label.name}", ${count(rows, 'row')} ${rows === 1 ? 'has' : 'have'} the label ${quotedList(missing.map(([v]) => v))}, which pandas and spreadsheets write for a missing value: training reads ${missing.length === 1 ? 'it' : 'them'} as ${missing.length === 1 ? 'a class' : 'classes'}. Remove those rows, or fill in their labels.`,
    });
  }
  return problems;
}
