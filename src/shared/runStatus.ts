/**
 * What state a run is in, as the Runs view, the metrics panel and the trainer's done message
 * name it: declared once here.
 */
import * as z from 'zod/mini';

/** How a run ended: the done message's status. */
export const DONE_STATUSES = ['completed', 'stopped', 'failed'] as const;
export type DoneStatus = (typeof DONE_STATUSES)[number];

/** A run as the extension sees it: training now, ended (done), or cut off without a done message. */
export const RUN_STATUSES = ['running', ...DONE_STATUSES, 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const doneStatusSchema = z.enum(DONE_STATUSES);
export const runStatusSchema = z.enum(RUN_STATUSES);
