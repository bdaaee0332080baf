/**
 * Messages between the extension and the long-lived inference process (`trainer.js
 * serve-predict`), which keeps a model loaded so that a prediction takes milliseconds.
 * Declared once, imported by both sides, validated on receipt.
 */
import * as z from 'zod/mini';

const count = () => z.int().check(z.nonnegative());

export const predictItemSchema = z.object({ text: z.string(), pair: z.optional(z.string()) });

export const toInferenceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('predict'),
    id: count(),
    /** A model folder or a Hub id. */
    model: z.string().check(z.minLength(1)),
    items: z.array(predictItemSchema),
    maxLength: z.optional(z.int().check(z.gte(8))),
  }),
  /** Predicts a column of a file into a new CSV beside it, streaming rows through. */
  z.object({
    type: z.literal('predictFile'),
    id: count(),
    model: z.string().check(z.minLength(1)),
    file: z.string().check(z.minLength(1)),
    textCol: z.string().check(z.minLength(1)),
    pairCol: z.optional(z.string()),
    out: z.string().check(z.minLength(1)),
    probabilities: z.boolean(),
    maxLength: z.optional(z.int().check(z.gte(8))),
  }),
  z.object({ type: z.literal('cancel'), id: count() }),
]);
export type ToInference = z.infer<typeof toInferenceSchema>;

export const predictionSchema = z.object({
  label: z.string(),
  confidence: z.number().check(z.gte(0), z.lte(1)),
  /** In the model's label order. */
  probabilities: z.array(z.number()),
  /** The text was longer than the max length and was cut. */
  truncated: z.boolean(),
  tokens: count(),
});
export type Prediction = z.infer<typeof predictionSchema>;

export const fromInferenceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('predictions'), id: count(), labels: z.array(z.string()), results: z.array(predictionSchema), maxLength: count() }),
  z.object({ type: z.literal('fileProgress'), id: count(), rows: count() }),
  /** rows: every data row of the source, each in the output; skipped: those not predicted (prediction_note says why). */
  z.object({
    type: z.literal('fileDone'),
    id: count(),
    rows: count(),
    skipped: count(),
    warnings: z.array(z.string()),
    out: z.string(),
    cancelled: z.boolean(),
  }),
  z.object({ type: z.literal('failed'), id: count(), message: z.string() }),
  z.object({ type: z.literal('log'), message: z.string() }),
]);
export type FromInference = z.infer<typeof fromInferenceSchema>;
