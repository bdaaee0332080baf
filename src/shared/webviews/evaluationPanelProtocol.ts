/**
 * Messages between an evaluation panel (webview-ui/src/evaluation) and its host-side provider
 * (src/extension/webviews/evaluationPanel.ts): a model's evaluation on a labelled file. The host
 * keeps it and sends it whole whenever the webview (re)loads.
 */
import * as z from 'zod/mini';
import { fileEvaluationSchema } from '../inferenceProtocol';

export const evaluatedSchema = z.object({
  /** The model's name as the status bar shows it, and what it is (a folder or a Hub id). */
  modelName: z.string(),
  modelRef: z.string(),
  file: z.string(),
  textCol: z.string(),
  pairCol: z.optional(z.string()),
  labelCol: z.string(),
  /** ISO time of the evaluation. */
  at: z.string(),
  evaluation: fileEvaluationSchema,
});
export type Evaluated = z.infer<typeof evaluatedSchema>;

export const toEvaluationWebviewSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('show'), evaluated: evaluatedSchema })]);
export type ToEvaluationWebview = z.infer<typeof toEvaluationWebviewSchema>;

export const fromEvaluationWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** Open the evaluated file at this 1-based line. */
  z.object({ type: z.literal('openRow'), line: z.int().check(z.positive()) }),
  /** Evaluate the same model on the same file again (the model or the file changed). */
  z.object({ type: z.literal('again') }),
]);
export type FromEvaluationWebview = z.infer<typeof fromEvaluationWebviewSchema>;
