/**
 * Streaming per-column statistics, and from them a guess of each column's role: the text to
 * classify, the label, an id. Memory is bounded: distinct values are tracked up to a cap.
 */
import type { ColumnInfo, ColumnRole } from '../../shared/dataset';
import { isNumeric } from './sniff';
import { fnv1a } from '../util/hash';
import { FINDING_LINES_NAMED } from '../../shared/dataFindings';

/** Beyond this many distinct values a column is certainly no label; stop remembering values. */
export const DISTINCT_CAP = 1000;
/** Value counts are reported for columns with at most this many distinct values. */
export const MAX_REPORTED_VALUES = 50;
/** Longer values are remembered by a hash: distinct texts still count, memory stays small. */
const MAX_KEPT_VALUE_LENGTH = 200;

const LABEL_NAME = /^(label|labels|class|category|categories|target|sentiment|intent|topic|tag|y|gold|quality|polarity|emotion|label_name)$/i;
const TEXT_NAME = /(text|sentence|review|comment|message|sms|content|body|question|title|string|utterance|tweet|document)/i;
const ID_NAME = /(^|[\s_#-])id$|^id([\s_#-]|$)|^index$/i;

export class ColumnAccumulator {
  filled = 0;
  private totalLength = 0;
  private numeric = true;
  private counts = new Map<string, number>();
  /** Set once values stop being remembered: `counts.size` is then only a lower bound. */
  private capped = false;
  /** Some keys are hashes of long values, so the counts cannot be shown as values. */
  private hashed = false;

  /** Rows with no value here (an empty cell, a missing cell or key), and the first of their lines. */
  empty = 0;
  readonly emptyLines: number[] = [];

  /** One row's value; `line` (1-based) is kept for the first empty ones. */
  add(value: string | undefined, line?: number): void {
    if (value === undefined || value.trim() === '') {
      this.empty++;
      if (line !== undefined && this.emptyLines.length < FINDING_LINES_NAMED) this.emptyLines.push(line);
      return;
    }
    this.filled++;
    this.totalLength += value.length;
    if (this.numeric && !isNumeric(value)) this.numeric = false;
    if (this.capped) return;
    // trimmed, as training reads a label: " pos" and "pos" are one value
    let key = value.trim();
    if (key.length > MAX_KEPT_VALUE_LENGTH) {
      key = `\u0000${key.length}:${fnv1a(key)}`;
      this.hashed = true;
    }
    const n = this.counts.get(key);
    if (n !== undefined) this.counts.set(key, n + 1);
    else if (this.counts.size < DISTINCT_CAP) this.counts.set(key, 1);
    else this.capped = true;
  }

  finish(name: string): ColumnInfo {
    const capped = this.capped;
    const distinct = this.counts.size;
    const valueCounts =
      !capped && !this.hashed && distinct <= MAX_REPORTED_VALUES ? [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)) : undefined;
    return {
      name,
      filled: this.filled,
      meanLength: this.filled ? this.totalLength / this.filled : 0,
      distinct,
      distinctCapped: capped,
      numeric: this.filled > 0 && this.numeric,
      role: 'other',
      valueCounts,
    };
  }
}

function labelScore(c: ColumnInfo): number {
  if (c.distinctCapped || c.distinct < 2 || c.distinct > MAX_REPORTED_VALUES) return 0;
  // A label repeats: each class has, on average, several rows.
  if (c.filled >= 10 && c.distinct > c.filled / 3) return 0;
  let s = 1 + 1 / c.distinct;
  if (LABEL_NAME.test(c.name)) s += 4;
  if (c.meanLength > 40) s -= 0.5;
  return s;
}

function textScore(c: ColumnInfo): number {
  if (c.numeric || c.filled === 0) return 0;
  let s = c.meanLength;
  if (TEXT_NAME.test(c.name)) s *= 2;
  return s;
}

/** Marks at most one text column and one label column; unique numeric columns become ids. */
export function assignRoles(columns: ColumnInfo[]): ColumnInfo[] {
  const out = columns.map(c => ({ ...c, role: 'other' as ColumnRole }));
  const best = (score: (c: ColumnInfo) => number, exclude: ColumnInfo | undefined): ColumnInfo | undefined => {
    let pick: ColumnInfo | undefined;
    let top = 0;
    for (const c of out) {
      const s = c === exclude ? 0 : score(c);
      if (s > top) {
        top = s;
        pick = c;
      }
    }
    return pick;
  };
  const label = best(labelScore, undefined);
  if (label) label.role = 'label';
  // Of several long-text columns (sentence pairs), the first is the text; the next, its pair.
  // a loop, not Math.max(...): a file may have a million columns, more than a call's arguments
  const top = out.reduce((m, c) => Math.max(m, c === label ? 0 : textScore(c)), 0);
  const text = out.find(c => c !== label && top > 0 && textScore(c) >= 0.85 * top);
  if (text) text.role = 'text';
  for (const c of out) {
    if (c.role !== 'other') continue;
    const unique = c.filled > 1 && (c.distinctCapped || c.distinct === c.filled);
    if (ID_NAME.test(c.name) || (c.numeric && unique)) c.role = 'id';
  }
  return out;
}
