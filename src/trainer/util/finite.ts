/**
 * NaN and infinity, caught where they would otherwise pass for numbers: in a model's weights
 * (refused at load) and in its outputs (a prediction of "NaN" or a confidence of null tells the
 * user nothing; an error that names the model and the row does).
 */

/** The index of the first NaN or infinity, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v - v is 0 for a finite v, NaN for NaN and ±Infinity: one comparison a value
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Throws when a row of outputs holds a NaN or an infinity; `which(i)` names row i for the message. */
export function assertFiniteOutputs(rows: readonly (readonly number[])[], model: string, which: (row: number) => string): void {
  rows.forEach((row, i) => {
    const at = firstNonFinite(row);
    if (at >= 0)
      throw new Error(
        `${model} gave ${row[at]} for ${which(i)}: its computation overflows, so its answers mean nothing. The model is damaged (weights too large, a run that diverged): use another checkpoint, e.g. a run's checkpoints/best.`,
      );
  });
}
