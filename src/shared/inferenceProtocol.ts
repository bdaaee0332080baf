/**
 * Messages between the extension and the long-lived inference process (`trainer.js
 * serve-predict`), which keeps a model loaded so that a prediction takes milliseconds.
 * Declared once, imported by both sides, validated on receipt.
 */
import * as z from 'zod/mini';
import { classMetricsSchema, misclassifiedSchema, regressionPointSchema, taskMetricFields } from './trainerProtocol';
import { taskNameSchema } from './tasks';

const count = () => z.int().check(z.nonnegative());

/** The tokens a prediction or an evaluation reads of each text when not told (the bertTune.predict.maxLength default too). */
export const DEFAULT_MAX_LENGTH = 128;

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
  /** Evaluates the model on a labelled file: what the CLI's `eval` prints, for the evaluation panel. */
  z.object({
    type: z.literal('evaluateFile'),
    id: count(),
    model: z.string().check(z.minLength(1)),
    file: z.string().check(z.minLength(1)),
    textCol: z.string().check(z.minLength(1)),
    pairCol: z.optional(z.string()),
    labelCol: z.string().check(z.minLength(1)),
    maxLength: z.optional(z.int().check(z.gte(8))),
  }),
  z.object({ type: z.literal('cancel'), id: count() }),
]);
export type ToInference = z.infer<typeof toInferenceSchema>;

/**
 * One text's prediction, as its model's task reads the outputs. Single-label: the label, its
 * probability, the softmax. Multi-label: the labels at or over their thresholds (`labels`;
 * `label` joins them with ", " and is "" for none), `confidence` the most confident of them
 * (or of the absence of any), a sigmoid per label. Regression: `value` (`label` writes it), no
 * confidence or probabilities.
 */
export const predictionSchema = z.object({
  label: z.string(),
  labels: z.optional(z.array(z.string())),
  value: z.optional(z.number()),
  confidence: z.optional(z.number().check(z.gte(0), z.lte(1))),
  /** In the model's label order. */
  probabilities: z.array(z.number()),
  /** The text was longer than the max length and was cut. */
  truncated: z.boolean(),
  tokens: count(),
});
export type Prediction = z.infer<typeof predictionSchema>;

/** A model's evaluation on a labelled file, bounded as a training run's evaluation message is. */
export const fileEvaluationSchema = z.object({
  /** Rows evaluated; `skipped` rows had no text or label, or cells that did not line up. */
  rows: count(),
  skipped: count(),
  loss: z.number(),
  ...taskMetricFields,
  /** The model's labels (config.json id2label). */
  labels: z.array(z.string()),
  perClass: z.array(classMetricsSchema),
  confusion: z.array(z.array(count())),
  omittedClasses: z.optional(count()),
  /** The most confident mistakes; `line` is the file's. */
  misclassified: z.array(misclassifiedSchema),
  /** Regression: the rows' targets and predictions (at most 2,000, an even sample). */
  points: z.optional(z.array(regressionPointSchema)),
  maxLength: count(),
  warnings: z.array(z.string()),
});
export type FileEvaluation = z.infer<typeof fileEvaluationSchema>;

export const fromInferenceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('predictions'),
    id: count(),
    labels: z.array(z.string()),
    /** The model's task (absent from older trainers: single-label). */
    task: z.optional(taskNameSchema),
    /** Multi-label: the decision threshold per label, in `labels`' order. */
    thresholds: z.optional(z.array(z.number())),
    results: z.array(predictionSchema),
    maxLength: count(),
  }),
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
  z.object({ type: z.literal('evaluation'), id: count(), evaluation: fileEvaluationSchema }),
  /** rows of total evaluated so far. */
  z.object({ type: z.literal('evaluationProgress'), id: count(), rows: count(), total: count() }),
  z.object({ type: z.literal('evaluationCancelled'), id: count() }),
  z.object({ type: z.literal('failed'), id: count(), message: z.string() }),
  z.object({ type: z.literal('log'), message: z.string() }),
]);
export type FromInference = z.infer<typeof fromInferenceSchema>;
