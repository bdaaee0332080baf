/**
 * What a label cell means, declared once for the loader (training, evaluation), the Datasets
 * view and the confirmation: a label is its trimmed text; spellings that differ only in case,
 * width or the way a number is written ("Pos"/"POS"/"pos", "1"/"1.0"/"01") are variants of one
 * label; values that spreadsheets and pandas write for "missing" ("NaN", "None", "N/A") are not
 * labels at all. Each variant is a class of its own unless the user merges them.
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether a trimmed cell is a number as a label column writes one ("1", "-0.5", "1e3"). */
export const isNumberText = (t: string): boolean => NUMBER.test(t);

/** The key variants share: numbers by value, other text case- and width-folded (NFKC). */
export function labelKey(label: string): string {
  const t = label.trim();
  if (NUMBER.test(t)) return `#${Number(t)}`;
  return t.normalize('NFKC').toLowerCase();
}

/** Spellings of "no value" that pandas, spreadsheets and databases write. */
export const MISSING_LABEL_SPELLINGS: ReadonlySet<string> = new Set(['nan', 'none', 'null', 'n/a', 'na', '#n/a', 'nil', 'undefined', 'missing', '?']);

export const looksMissing = (label: string): boolean => MISSING_LABEL_SPELLINGS.has(label.trim().toLowerCase());

/** Labels that are variants of one another, the group's most frequent spelling first. */
export interface LabelVariantGroup {
  /** What the group merges into: its most frequent spelling (the first in code-point order on a tie). */
  label: string;
  variants: string[];
}

/** The groups of two or more labels that share a key. */
export function labelVariantGroups(counts: ReadonlyMap<string, number>): LabelVariantGroup[] {
  const byKey = new Map<string, [string, number][]>();
  for (const [label, n] of counts) {
    const key = labelKey(label);
    const group = byKey.get(key);
    if (group) group.push([label, n]);
    else byKey.set(key, [[label, n]]);
  }
  const groups: LabelVariantGroup[] = [];
  for (const members of byKey.values()) {
    if (members.length < 2) continue;
    members.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    groups.push({ label: members[0][0], variants: members.map(m => m[0]) });
  }
  return groups;
}

/** The labels merging renames, each to its group's label (a group's own label and labels of no group stay as they are). */
export function mergedLabels(groups: readonly LabelVariantGroup[]): Map<string, string> {
  const to = new Map<string, string>();
  for (const g of groups) for (const v of g.variants) if (v !== g.label) to.set(v, g.label);
  return to;
}

/** "\"Pos\", \"POS\" and \"pos\"". */
export function quotedList(values: readonly string[]): string {
  const q = values.map(v => JSON.stringify(v));
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q.at(-1)}`;
}

/**
 * Fewest rows a label should have on average: below it, a column of mostly distinct values (an
 * id, the text itself) was taken for the labels. Checked from 50 labels on (a small file with a
 * few classes may have one row each).
 */
export const MIN_ROWS_PER_LABEL = 2;
export const LABEL_RATIO_CHECKED_FROM = 50;
