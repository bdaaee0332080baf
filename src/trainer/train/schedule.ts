/**
 * Learning-rate schedules with warmup, as transformers' get_*_schedule_with_warmup define them:
 * the factor applied to the base rate after `step` optimizer steps.
 */
import type { ScheduleKind } from '../../shared/schedules';

export interface Schedule {
  kind: ScheduleKind;
  warmupSteps: number;
  totalSteps: number;
}

/** The factor after warmup, per schedule: a record, so a new schedule name does not compile without its own. */
const DECAY: Record<ScheduleKind, (s: Schedule, step: number) => number> = {
  constant: () => 1,
  linear: (s, step) => Math.max(0, (s.totalSteps - step) / Math.max(1, s.totalSteps - s.warmupSteps)),
  cosine: (s, step) => Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * ((step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps))))),
};

export function lrFactor(s: Schedule, step: number): number {
  if (step < s.warmupSteps) return step / Math.max(1, s.warmupSteps);
  return DECAY[s.kind](s, step);
}

/** Warmup given as steps wins; else a ratio of the total, rounded up as transformers does. */
export function warmupSteps(totalSteps: number, options: { warmupSteps?: number; warmupRatio?: number }): number {
  if (options.warmupSteps !== undefined) return options.warmupSteps;
  return Math.ceil(totalSteps * (options.warmupRatio ?? 0));
}

/** How long a run is, in optimizer steps: what the trainer runs and an exported script is told. */
export function runSteps(
  trainRows: number,
  c: { batchSize: number; gradientAccumulation: number; epochs: number; maxSteps?: number },
): { stepsPerEpoch: number; totalSteps: number } {
  const batchesPerEpoch = Math.ceil(trainRows / c.batchSize);
  const stepsPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / c.gradientAccumulation));
  return { stepsPerEpoch, totalSteps: c.maxSteps ?? Math.ceil(c.epochs * stepsPerEpoch) };
}
