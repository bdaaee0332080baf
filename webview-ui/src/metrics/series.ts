/** The curves' arithmetic, free of the DOM (unit-tested in Node): smoothing, step ticks, legend values. */
/** Exponential moving average as TensorBoard smooths: debiased, so the start is not dragged to 0. */
export class Ema {
  private last = 0;
  private n = 0;

  constructor(readonly weight: number) {}

  /** The smoothed value after `v`; null (and no step) for a missing or non-finite value. */
  next(v: number | null): number | null {
    if (v === null || !Number.isFinite(v)) return null;
    this.last = this.last * this.weight + (1 - this.weight) * v;
    this.n++;
    return this.weight > 0 ? this.last / (1 - this.weight ** this.n) : v;
  }
}

/** A whole series smoothed, as Ema would smooth it point by point. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  const ema = new Ema(weight);
  return values.map(v => ema.next(v));
}

/** Steps are whole numbers: the x axis never ticks at 2.5. */
export const STEP_INCREMENTS = [1, 2, 5].flatMap(m => [1, 10, 100, 1000, 10_000, 100_000, 1_000_000].map(p => m * p)).sort((a, b) => a - b);

/** The last value a series has (what its legend shows while the cursor is elsewhere). */
export function lastValue(series: (number | null)[]): number | null {
  for (let i = series.length - 1; i >= 0; i--) if (series[i] !== null && series[i] !== undefined) return series[i];
  return null;
}

/** A legend's value: 4 significant digits, or exponential (the learning rate); a dash where there is none. */
export function format(v: number | null | undefined, exponential?: boolean): string {
  if (v === null || v === undefined) return '–';
  return exponential ? v.toExponential(2) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4);
}
