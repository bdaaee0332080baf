/**
 * Checks of the rows a run will train and validate on that a file's shape cannot show: the same
 * text under two labels (the model is taught both answers) and validation rows that repeat a
 * training row (validation then measures memory and reads high). Texts are compared with their
 * whitespace trimmed and collapsed, as the tokenizer sees them.
 */
import { FINDING_LINES_KEPT, lineList, type DataFinding } from '../../shared/dataFindings';
import { count } from '../../shared/words';
import type { LabelledRow } from './loadLabelledData';

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
  const add = (row: LabelledRow, file: string) => {
    const key = textKey(row);
    const seen = byText.get(key);
    if (seen) seen.push({ row, file });
    else byText.set(key, [{ row, file }]);
  };
  train.forEach(r => add(r, trainFile));
  validation.forEach(r => add(r, validationFile));

  // Same text, other label: per file, the texts and the lines of all their rows.
  const conflicts = new Map<string, { texts: number; rows: number; lines: number[]; example?: Seen[] }>();
  for (const seen of byText.values()) {
    if (seen.length < 2 || seen.every(s => s.row.label === seen[0].row.label)) continue;
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
    const [a, b] = [c.example![0], c.example!.find(s => s.row.label !== c.example![0].row.label)!];
    const where = (s: Seen) => `"${s.row.label}" on line ${s.row.line}${s.file === file ? '' : ` of ${s.file}`}`;
    findings.push({
      kind: 'conflictingLabels',
      file,
      count: c.rows,
      lines: c.lines,
      message: `${file}: ${count(c.texts, 'text')} ${c.texts === 1 ? 'has' : 'have'} more than one label, on ${count(c.rows, 'row')} (${lineList(c.lines, c.rows)}); for example ${quote(a.row.text)} is ${where(a)} and ${where(b)}. The model is taught both answers: keep one label per text, or remove those rows.`,
    });
  }

  // Validation rows that a training row repeats.
  const trainKeys = new Set(train.map(textKey));
  const overlap: number[] = [];
  let overlapCount = 0;
  for (const r of validation) {
    if (!trainKeys.has(textKey(r))) continue;
    overlapCount++;
    if (overlap.length < FINDING_LINES_KEPT) overlap.push(r.line);
  }
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
