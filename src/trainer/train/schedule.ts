/**
 * Learning-rate schedules with warmup, as transformers' get_*_schedule_with_warmup define them:
 * the factor applied to the base rate after `step` optimizer steps.
 */
export type ScheduleKind = 'linear' | 'cosine' | 'constant';

export interface Schedule {
  kind: ScheduleKind;
  warmupSteps: number;
  totalSteps: number;
}

export function lrFactor(s: Schedule, step: number): number {
  if (step < s.warmupSteps) return step / Math.max(1, s.warmupSteps);
  if (s.kind === 'constant') return 1;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  if (s.kind === 'linear') return Math.max(0, (s.totalSteps - step) / Math.max(1, s.totalSteps - s.warmupSteps));
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
}

/** Warmup given as steps wins; else a ratio of the total, rounded up as transformers does. */
export function warmupSteps(totalSteps: number, options: { warmupSteps?: number; warmupRatio?: number }): number {
  if (options.warmupSteps !== undefined) return options.warmupSteps;
  return Math.ceil(totalSteps * (options.warmupRatio ?? 0));
}

/** How long a run is, in optimizer steps: what the trainer runs and an exported script is told. */
export function runSteps(trainRows: number, c: { batchSize: number; gradientAccumulation: number; epochs: number; maxSteps?: number }): { stepsPerEpoch: number; totalSteps: number } {
  const batchesPerEpoch = Math.ceil(trainRows / c.batchSize);
  const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / c.gradientAccumulation));
  return { stepsPerEpoch, totalSteps: c.maxSteps ?? Math.ceil(c.epochs * stepsPerEpoch) };
}
