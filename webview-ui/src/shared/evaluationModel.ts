/**
 * The pure parts of an evaluation's details (evaluationDetails.ts draws them): the matrix's
 * heat by each true label's share, the rows behind a cell, and where the arrow keys move in
 * the matrix. No DOM here, so they are unit-tested (test/unit/evaluationModel.test.ts).
 */

/** Each cell's share of its true label's rows (0 for an empty row): what the matrix is coloured by. */
export function rowShares(confusion: readonly (readonly number[])[]): number[][] {
  return confusion.map(row => {
    // A loop, not a spread: a large matrix overflows the stack.
    let total = 0;
    for (const n of row) total += n;
    return row.map(n => (total ? n / total : 0));
  });
}

/** The reported rows of one cell of the matrix, in the order reported (most confident first). */
export function rowsOfCell<R extends { truth: string; predicted: string }>(misclassified: readonly R[], truth: string, predicted: string): R[] {
  return misclassified.filter(m => m.truth === truth && m.predicted === predicted);
}

export type GridKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

/** The cell a key moves to from [row, column] in a grid whose rows have these lengths; undefined at an edge or for another key. */
export function gridMove(rowLengths: readonly number[], r: number, c: number, key: string): [number, number] | undefined {
  const moves: Record<GridKey, [number, number]> = {
    ArrowLeft: [r, c - 1],
    ArrowRight: [r, c + 1],
    ArrowUp: [r - 1, c],
    ArrowDown: [r + 1, c],
    Home: [r, 0],
    End: [r, rowLengths[r] - 1],
  };
  const to = (moves as Record<string, [number, number]>)[key];
  if (!to) return undefined;
  const [nr, nc] = to;
  return nr >= 0 && nr < rowLengths.length && nc >= 0 && nc < rowLengths[nr] ? to : undefined;
}

/** A multi-label row's labels, as an evaluation message joins them. */
const labelSet = (joined: string) => new Set(joined ? joined.split(', ') : []);

/**
 * The reported rows that get one label wrong: "missed" (the row has it, the model did not give
 * it) or "extra" (the model gave it, the row has it not), most confident first.
 */
export function rowsOfLabelError<R extends { truth: string; predicted: string }>(misclassified: readonly R[], label: string, kind: 'missed' | 'extra'): R[] {
  return misclassified.filter(m => {
    const [has, given] = [labelSet(m.truth).has(label), labelSet(m.predicted).has(label)];
    return kind === 'missed' ? has && !given : given && !has;
  });
}

export interface Point {
  line: number;
  truth: number;
  predicted: number;
}

/**
 * The scatter plot of predicted against true values in a square of `size` pixels: both axes
 * over one range (the diagonal is a perfect prediction), y growing upward, `pad` pixels of margin.
 */
export function scatterModel(points: readonly Point[], size: number, pad = 8) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p.truth, p.predicted);
    hi = Math.max(hi, p.truth, p.predicted);
  }
  if (!(hi > lo)) [lo, hi] = [(lo || 0) - 1, (hi || 0) + 1];
  const scale = (v: number) => pad + ((v - lo) / (hi - lo)) * (size - 2 * pad);
  return {
    lo,
    hi,
    circles: points.map(p => ({ line: p.line, cx: scale(p.truth), cy: size - scale(p.predicted), truth: p.truth, predicted: p.predicted })),
  };
}

/** The residuals (predicted − true) in `bins` equal bins over their range: edges (bins + 1) and counts. */
export function residualBins(points: readonly Point[], bins = 20): { edges: number[]; counts: number[] } {
  const r = points.map(p => p.predicted - p.truth);
  let lo = Math.min(...r);
  let hi = Math.max(...r);
  if (!r.length) [lo, hi] = [0, 1];
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const x of r) counts[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}
