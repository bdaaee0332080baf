/**
 * Messages between the extension host and the dataset inspector worker thread
 * (src/trainer/datasetInspectorWorker.ts). Declared once, imported by both sides, validated
 * on receipt by both sides.
 */
// zod/mini: the same schemas as zod's classic API, tree-shakable (the webview bundle stays small).
import * as z from 'zod/mini';
import { datasetInfoSchema } from './dataset';

export const inspectRequestSchema = z.object({
  kind: z.literal('inspect'),
  id: z.int(),
  /** Absolute path of a local file. */
  path: z.string().check(z.minLength(1)),
});

export const cancelRequestSchema = z.object({
  kind: z.literal('cancel'),
  id: z.int(),
});

export const toInspectorSchema = z.discriminatedUnion('kind', [inspectRequestSchema, cancelRequestSchema]);
export type ToInspector = z.infer<typeof toInspectorSchema>;

export const inspectedSchema = z.object({
  kind: z.literal('inspected'),
  id: z.int(),
  info: datasetInfoSchema,
});

export const inspectFailedSchema = z.object({
  kind: z.literal('failed'),
  id: z.int(),
  /** Why the file could not be read at all (it vanished, permissions, ...). */
  message: z.string(),
  cancelled: z.boolean(),
});

export const fromInspectorSchema = z.discriminatedUnion('kind', [inspectedSchema, inspectFailedSchema]);
export type FromInspector = z.infer<typeof fromInspectorSchema>;
