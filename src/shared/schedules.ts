/**
 * The learning-rate schedules a run can use, as transformers' get_*_schedule_with_warmup name
 * them: the one list the protocol, the CLI's usage and the trainer's lrFactor read.
 */
export const SCHEDULES = {
  linear: 'warmup, then down in a straight line to 0 at the last step',
  cosine: 'warmup, then down along half a cosine to 0 at the last step',
  constant: 'warmup, then the base rate to the end',
} as const;

export type ScheduleKind = keyof typeof SCHEDULES;
export const SCHEDULE_NAMES = Object.keys(SCHEDULES) as [ScheduleKind, ...ScheduleKind[]];
