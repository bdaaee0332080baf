/**
 * Messages between the dataset summary panel (webview-ui/src/datasetSummary) and its host-side
 * provider (src/extension/webviews/datasetSummaryPanel.ts). The host owns the state and sends it
 * whole; the webview asks for it when it (re)loads, so a hidden or reloaded panel misses nothing.
 */
// zod/mini: the same schemas as zod's classic API, tree-shakable (the webview bundle stays small).
import * as z from 'zod/mini';
import { datasetInfoSchema } from '../dataset';

export const summaryStateSchema = z.object({
  /** Workspace-relative path, for the title. */
  relativePath: z.string(),
  status: z.enum(['pending', 'ready', 'failed']),
  info: z.optional(datasetInfoSchema),
  /** Why the file could not be read, when status is failed. */
  message: z.optional(z.string()),
});
export type SummaryState = z.infer<typeof summaryStateSchema>;

export const toSummaryWebviewSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('state'), state: summaryStateSchema })]);
export type ToSummaryWebview = z.infer<typeof toSummaryWebviewSchema>;

export const fromSummaryWebviewSchema = z.discriminatedUnion('type', [
  /** The app has loaded and wants the current state. */
  z.object({ type: z.literal('ready') }),
  /** Open the dataset file in an editor, at a 1-based line when given. */
  z.object({ type: z.literal('openFile'), line: z.optional(z.int().check(z.positive())) }),
]);
export type FromSummaryWebview = z.infer<typeof fromSummaryWebviewSchema>;
