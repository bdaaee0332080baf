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
