/**
 * Checks of the rows a run will train and validate on that a file's shape cannot show: the same
 * text under two labels (the model is taught both answers) and validation rows that repeat a
 * training row (validation then measures memory and reads high). Texts are compared with their
 * whitespace trimmed and collapsed, as the tokenizer sees them. `rowFindings` checks a run's
 * rows in memory; `TextCensus` checks a whole file as it streams by, for the Datasets view.
 */
import { FINDING_LINES_KEPT, lineList, type DataFinding } from '../../shared/dataFindings';
import { count } from '../../shared/words';
import { fnv1a } from '../util/hash';
import { targetText, type LabelledRow } from './loadLabelledData';

const textKey = (r: LabelledRow): string => {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ');
  return r.pair === undefined ? norm(r.text) : `${norm(r.text)}\u0000${norm(r.pair)}`;
};

/** A text cut for a sentence: its first 60 characters, quoted. */
const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}…` : s);

interface Seen {
  row: LabelledRow;
  file: string;
}

/**
 * The findings of a run's rows: conflicting labels across training and validation rows (each
 * file's lines apart), and validation rows whose text is also a training row's.
 */
export function rowFindings(train: LabelledRow[], validation: LabelledRow[], trainFile: string, validationFile: string): DataFinding[] {
  const findings: DataFinding[] = [];
  const byText = new Map<string, Seen[]>();
  const add = (row: LabelledRow, file: string): string => {
    const key = textKey(row);
    const seen = byText.get(key);
    if (seen) seen.push({ row, file });
    else byText.set(key, [{ row, file }]);
    return key;
  };
  const trainKeys = new Set(train.map(r => add(r, trainFile)));
  const validationKeys = validation.map(r => add(r, validationFile));

  // Same text, other label: per file, the texts and the lines of all their rows.
  const conflicts = new Map<string, { texts: number; rows: number; lines: number[]; example?: Seen[] }>();
  for (const seen of byText.values()) {
    if (seen.length < 2 || seen.every(s => targetText(s.row) === targetText(seen[0].row))) continue;
    for (const file of new Set(seen.map(s => s.file))) {
      const mine = seen.filter(s => s.file === file);
      const c = conflicts.get(file) ?? { texts: 0, rows: 0, lines: [] };
      c.texts++;
      c.rows += mine.length;
      for (const s of mine) if (c.lines.length < FINDING_LINES_KEPT) c.lines.push(s.row.line);
      c.example ??= seen;
      conflicts.set(file, c);
    }
  }
  for (const [file, c] of conflicts) {
    c.lines.sort((a, b) => a - b);
    const [a, b] = [c.example![0], c.example!.find(s => targetText(s.row) !== targetText(c.example![0].row))!];
    const where = (s: Seen) => `"${targetText(s.row)}" on line ${s.row.line}${s.file === file ? '' : ` of ${s.file}`}`;
    findings.push({
      kind: 'conflictingLabels',
      file,
      count: c.rows,
      lines: c.lines,
      message: `${file}: ${count(c.texts, 'text')} ${c.texts === 1 ? 'has' : 'have'} more than one label, on ${count(c.rows, 'row')} (${lineList(c.lines, c.rows)}); for example ${quote(a.row.text)} is ${where(a)} and ${where(b)}. The model is taught both answers: keep one label per text, or remove those rows.`,
    });
  }

  // Validation rows that a training row repeats.
  const overlap: number[] = [];
  let overlapCount = 0;
  validation.forEach((r, i) => {
    if (!trainKeys.has(validationKeys[i])) return;
    overlapCount++;
    if (overlap.length < FINDING_LINES_KEPT) overlap.push(r.line);
  });
  if (overlapCount) {
    const sameFile = validationFile === trainFile;
    findings.push({
      kind: 'trainValidationOverlap',
      file: validationFile,
      count: overlapCount,
      lines: overlap,
      message: `${validationFile}: ${count(overlapCount, 'validation row')} ${overlapCount === 1 ? 'has' : 'have'} the same text as a training row (${lineList(overlap, overlapCount)})${sameFile ? ': the file holds those texts more than once, and the split put copies on both sides' : ''}. On them validation measures memory, not what the model learnt, and reads high: remove the duplicates.`,
    });
  }
  return findings;
}

/** Distinct texts the census remembers; later new texts are still counted, not compared. */
export const CENSUS_MAX_TEXTS = 200_000;
/** Longer texts are remembered by two hashes, not by their characters. */
const KEPT_TEXT_LENGTH = 200;

/** Words of a text's length histogram: upper edges; a last bin holds the longer ones. */
export const WORD_LENGTH_EDGES = [16, 32, 64, 128] as const;

export interface CensusResult {
  /** Texts seen with more than one label, the rows that hold them, their first lines, one example. */
  conflicts: { texts: number; rows: number; lines: number[]; example?: { text: string; a: [string, number]; b: [string, number] } };
  /** Rows whose text and label an earlier row already had, and their first lines. */
  /** `first`: the first repeat's line and the earlier line it repeats. */
  duplicates: { rows: number; lines: number[]; first?: [number, number] };
  /** Texts by words, in WORD_LENGTH_EDGES' bins and one more for the longer. */
  wordLengths: number[];
  /** Whether more distinct texts came than the census remembers (then the counts are a lower bound). */
  capped: boolean;
}

/**
 * Texts and labels of a file, one row at a time, in bounded memory: which texts have two labels,
 * which rows repeat an earlier one, and how long the texts are in words.
 */
export class TextCensus {
  private readonly seen = new Map<string, { label: string; line: number; conflicted: boolean }>();
  private readonly conflictLines: number[] = [];
  private conflictTexts = 0;
  private conflictRows = 0;
  private example: CensusResult['conflicts']['example'];
  private duplicateRows = 0;
  private readonly duplicateLines: number[] = [];
  private firstDuplicate: [number, number] | undefined;
  private readonly wordLengths = new Array<number>(WORD_LENGTH_EDGES.length + 1).fill(0);
  private capped = false;

  add(row: LabelledRow): void {
    const norm = textKey(row);
    // Words of the collapsed text: one more than its spaces (a pair's two texts count as one).
    let words = norm ? 1 : 0;
    for (let i = 0; i < norm.length; i++) if (norm.charCodeAt(i) === 32) words++;
    const bin = WORD_LENGTH_EDGES.findIndex(e => words <= e);
    this.wordLengths[bin < 0 ? WORD_LENGTH_EDGES.length : bin]++;
    const key = norm.length > KEPT_TEXT_LENGTH ? `\u0001${norm.length}:${fnv1a(norm)}:${fnv1a(norm, 0x01000193)}` : norm;
    const first = this.seen.get(key);
    if (!first) {
      if (this.seen.size < CENSUS_MAX_TEXTS) this.seen.set(key, { label: targetText(row), line: row.line, conflicted: false });
      else this.capped = true;
      return;
    }
    if (first.label === targetText(row) && !first.conflicted) {
      this.duplicateRows++;
      this.firstDuplicate ??= [row.line, first.line];
      if (this.duplicateLines.length < FINDING_LINES_KEPT) this.duplicateLines.push(row.line);
      return;
    }
    // Another label (or a text already known to have two): both rows count, the first once.
    if (!first.conflicted) {
      first.conflicted = true;
      this.conflictTexts++;
      this.conflictRows++;
      this.pushConflictLine(first.line);
      this.example ??= { text: row.text, a: [first.label, first.line], b: [targetText(row), row.line] };
    }
    this.conflictRows++;
    this.pushConflictLine(row.line);
  }

  private pushConflictLine(line: number): void {
    if (this.conflictLines.length < FINDING_LINES_KEPT) this.conflictLines.push(line);
  }

  finish(): CensusResult {
    return {
      conflicts: { texts: this.conflictTexts, rows: this.conflictRows, lines: [...this.conflictLines].sort((a, b) => a - b), example: this.example },
      duplicates: { rows: this.duplicateRows, lines: this.duplicateLines, first: this.firstDuplicate },
      wordLengths: this.wordLengths,
      capped: this.capped,
    };
  }
}

/** The census as sentences for the Datasets view's problems, naming the columns checked. */
export function censusProblems(c: CensusResult, textCol: string, labelCol: string): { message: string; line: number }[] {
  const out: { message: string; line: number }[] = [];
  const bound = c.capped ? ` (the first ${CENSUS_MAX_TEXTS.toLocaleString('en-US')} distinct texts were compared)` : '';
  if (c.conflicts.texts && c.conflicts.example) {
    const e = c.conflicts.example;
    out.push({
      message: `${count(c.conflicts.texts, 'text')} in "${textCol}" ${c.conflicts.texts === 1 ? 'has' : 'have'} more than one label in "${labelCol}", on ${count(c.conflicts.rows, 'row')} (${lineList(c.conflicts.lines, c.conflicts.rows)}); for example ${quote(e.text)} is "${e.a[0]}" on line ${e.a[1]} and "${e.b[0]}" on line ${e.b[1]}${bound}. A model trained on them is taught both answers: keep one label per text.`,
      line: c.conflicts.lines[0],
    });
  }
  if (c.duplicates.rows) {
    out.push({
      message: `${count(c.duplicates.rows, 'row')} ${c.duplicates.rows === 1 ? 'repeats' : 'repeat'} an earlier row's text and label (${lineList(c.duplicates.lines, c.duplicates.rows)}${c.duplicates.first ? `; line ${c.duplicates.first[0]} repeats line ${c.duplicates.first[1]}` : ''})${bound}. A random validation split puts copies on both sides, and validation then reads high: remove the duplicates.`,
      line: c.duplicates.lines[0],
    });
  }
  return out;
}
