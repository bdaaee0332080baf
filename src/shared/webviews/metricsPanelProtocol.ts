/**
 * Messages between a run's metrics panel (webview-ui/src/metrics) and its host-side provider
 * (src/extension/webviews/metricsPanel.ts). The host holds every message of the run (read from
 * metrics.jsonl, then appended live) and sends them whole when the webview (re)loads, so a
 * hidden or reloaded panel misses nothing.
 */
import * as z from 'zod/mini';
import { fromTrainerSchema } from '../trainerProtocol';
import { metricNameSchema } from '../metrics';
import { runStatusSchema } from '../runStatus';

export const runInfoSchema = z.object({
  name: z.string(),
  dir: z.string(),
  status: runStatusSchema,
  dataFile: z.optional(z.string()),
  metricForBest: z.optional(metricNameSchema),
  /** Whether the run has a checkpoint to resume from (the panel offers Resume when it is not running). */
  resumable: z.optional(z.boolean()),
  /** What a diagnosis names as causes (shared/runDiagnosis.ts): the run's learning rate, and whether it started from random weights. */
  learningRate: z.optional(z.number()),
  fromScratch: z.optional(z.boolean()),
});
export type RunInfo = z.infer<typeof runInfoSchema>;

export const compareSeriesSchema = z.object({
  name: z.string(),
  /** [step, accuracy] of each evaluation */
  accuracy: z.array(z.tuple([z.number(), z.number()])),
});

export const toMetricsWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), run: runInfoSchema, messages: z.array(fromTrainerSchema), comparable: z.array(z.string()) }),
  z.object({ type: z.literal('append'), messages: z.array(fromTrainerSchema) }),
  z.object({ type: z.literal('status'), status: runInfoSchema.shape.status, resumable: z.optional(z.boolean()) }),
  z.object({ type: z.literal('compare'), series: z.array(compareSeriesSchema) }),
]);
export type ToMetricsWebview = z.infer<typeof toMetricsWebviewSchema>;

export const fromMetricsWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('stop') }),
  /** Resume this run from its last checkpoint. */
  z.object({ type: z.literal('resume') }),
  /** Open the run's data file at a 1-based line. */
  z.object({ type: z.literal('openRow'), line: z.int().check(z.positive()) }),
  /** Overlay these other runs (by folder name) on the curves. */
  z.object({ type: z.literal('compare'), runs: z.array(z.string()) }),
]);
export type FromMetricsWebview = z.infer<typeof fromMetricsWebviewSchema>;
