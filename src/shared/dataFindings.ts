/**
 * What the trainer finds wrong with the rows it is about to train on, after the user chose the
 * columns: rows it skips, texts with two labels, validation rows that repeat a training row, and
 * how the texts' token lengths sit against the max length. Sent in the run's estimate (the
 * wizard's confirmation lists them, the Problems panel holds their lines) and told in the log.
 */
import * as z from 'zod/mini';

/** Each kind of finding, how serious it is, and what the Problems panel calls it. */
export const FINDING_KINDS = {
  ragged: { severity: 'warning', title: 'Skipped: its cells do not line up with the header' },
  empty: { severity: 'warning', title: 'Skipped: an empty text or label' },
  multiLine: { severity: 'info', title: 'One row over several lines' },
  conflictingLabels: { severity: 'warning', title: 'The same text has another label on another row' },
  trainValidationOverlap: { severity: 'warning', title: 'This validation row repeats a training row' },
  missingLabel: { severity: 'warning', title: 'A missing value ("NaN", "None", "N/A") read as a label' },
  labelVariants: { severity: 'warning', title: 'A label spelled another way ("Pos"/"pos", "1"/"1.0"): another class' },
  noLabels: { severity: 'info', title: 'A multi-label row with no label' },
  outlier: { severity: 'info', title: 'A regression target far from the others' },
} as const satisfies Record<string, { severity: 'warning' | 'info'; title: string }>;
export type FindingKind = keyof typeof FINDING_KINDS;

/** Lines a finding keeps for the Problems panel; its message names the first few. */
export const FINDING_LINES_KEPT = 100;
/** Lines a finding's message names before "…". */
export const FINDING_LINES_NAMED = 5;

export const dataFindingSchema = z.object({
  kind: z.enum(Object.keys(FINDING_KINDS) as [FindingKind, ...FindingKind[]]),
  /** The file the lines are in (the training or the validation file). */
  file: z.string(),
  /** Rows (or texts) concerned; `lines` holds the first of their 1-based lines, at most FINDING_LINES_KEPT. */
  count: z.int().check(z.positive()),
  lines: z.array(z.int().check(z.positive())),
  /** One sentence for people: what it is, where, and what to do. */
  message: z.string(),
});
export type DataFinding = z.infer<typeof dataFindingSchema>;

/** "line 4", "lines 4, 9, 12, …": the first lines of a finding, as its message names them. */
export function lineList(lines: readonly number[], total: number): string {
  const named = lines.slice(0, FINDING_LINES_NAMED);
  return `line${named.length === 1 ? '' : 's'} ${named.join(', ')}${total > named.length ? ', …' : ''}`;
}

/** The texts' token lengths (special tokens included), in bins whose last edge is the max length. */
export const tokenLengthsSchema = z.object({
  maxLength: z.int().check(z.positive()),
  /** Upper edges, ascending, the last one maxLength; `rows[i]` texts have at most `edges[i]` tokens and more than `edges[i - 1]`. */
  edges: z.array(z.int().check(z.positive())),
  rows: z.array(z.int().check(z.nonnegative())),
  /** Texts longer than maxLength: cut to it. */
  truncated: z.int().check(z.nonnegative()),
  /** Tokens of the 95th-percentile text (at most maxLength). */
  p95: z.int().check(z.nonnegative()),
});
export type TokenLengths = z.infer<typeof tokenLengthsSchema>;

/** Bins of `lengths` against `maxLength`: quarters of it, the cut ones apart. */
export function tokenLengths(lengths: readonly number[], truncated: readonly boolean[], maxLength: number): TokenLengths {
  const edges = [...new Set([1, 2, 3, 4].map(q => Math.max(1, Math.round((q * maxLength) / 4))))];
  const rows = edges.map(() => 0);
  let cut = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (truncated[i]) {
      cut++;
      continue;
    }
    const bin = edges.findIndex(e => lengths[i] <= e);
    rows[bin < 0 ? edges.length - 1 : bin]++;
  }
  const sorted = lengths.map((n, i) => (truncated[i] ? maxLength : Math.min(n, maxLength))).sort((a, b) => a - b);
  const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] : 0;
  return { maxLength, edges, rows, truncated: cut, p95 };
}

/** "≤ 32 tokens 41% · 33–64 35% · 65–96 14% · 97–128 6% · cut at 128 4%": the histogram in one line. */
export function describeTokenLengths(t: TokenLengths): string {
  const total = t.rows.reduce((s, n) => s + n, 0) + t.truncated;
  const pct = (n: number) => `${total ? Math.round((100 * n) / total) : 0}%`;
  const bins = t.edges.map((e, i) => `${i === 0 ? `≤ ${e} tokens` : `${t.edges[i - 1] + 1}–${e}`} ${pct(t.rows[i])}`);
  return [...bins, `cut at ${t.maxLength} ${pct(t.truncated)}`].join(' · ');
}

/** A sentence on the lengths when many texts (5 % or more) are cut by the max length; else none. */
export function tokenLengthAdvice(t: TokenLengths): string | undefined {
  const total = t.rows.reduce((s, n) => s + n, 0) + t.truncated;
  if (!total) return undefined;
  const share = t.truncated / total;
  if (share >= 0.05) {
    return `${Math.round(100 * share)}% of the texts are longer than the max length (${t.maxLength} tokens) and are cut to it: what they say after that is not seen. Raise the max length if the end matters (it costs time and memory), or keep it to train faster.`;
  }
  return undefined;
}
