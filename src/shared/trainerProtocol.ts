/**
 * Messages between the extension (or the CLI) and the trainer process. Declared once, imported
 * by both sides, validated on receipt. The CLI prints the trainer's messages as JSON lines, and
 * a run's metrics.jsonl holds the same objects, so a finished run can be replayed.
 */
import * as z from 'zod/mini';
import { BACKENDS } from './backendReport';
import { FAMILY_NAMES } from './families';
import { dataFindingSchema, tokenLengthsSchema } from './dataFindings';
import { DEFAULT_METRIC, metricNameSchema } from './metrics';
import { doneStatusSchema } from './runStatus';
import { taskNameSchema } from './tasks';
import { SCHEDULE_NAMES } from './schedules';

const nonNegative = () => z.number().check(z.nonnegative());
const count = () => z.int().check(z.nonnegative());

/**
 * Upper bounds of the run settings: far beyond any real run, low enough that a typo
 * (`--epochs 1e12`, `--batch-size 1e9`) is refused at once instead of allocating or looping.
 */
export const TRAIN_LIMITS = {
  epochs: 10_000,
  maxSteps: 100_000_000,
  batchSize: 8192,
  gradientAccumulation: 4096,
  /** BERT models read 512 tokens; long-context variants a few thousand. */
  maxLength: 8192,
  evalSteps: 100_000_000,
  warmupSteps: 100_000_000,
  earlyStoppingPatience: 10_000,
  freezeLayers: 1000,
  threads: 64,
  /** Classes a classifier may have: a config.json is checked against it before anything is allocated, a label column before training. */
  labels: 10_000,
} as const;

/** Gradient workers when none are asked for: one per core, at most this many (more add memory, not speed, on a laptop). */
export const DEFAULT_MAX_THREADS = 8;

/** The gradient workers a run gets on the WASM and pure-JS backends: the ones asked for, else one per core up to DEFAULT_MAX_THREADS. */
export function defaultThreads(asked: number | undefined, cores: number): number {
  return asked ?? Math.min(DEFAULT_MAX_THREADS, cores);
}

/**
 * The done reason of a run stopped because VS Code (the extension host) went away: the trainer
 * finished its step and saved; the extension says so when it next starts.
 */
export const STOPPED_AT_SHUTDOWN = 'stopped when VS Code closed; its last checkpoint was saved';

/** The done reason of a run the user cancelled at its estimate: nothing of it was written. */
export const CANCELLED_BEFORE_TRAINING = 'cancelled before training';

/**
 * After the extension goes away, how long the trainer may take to finish its step and save
 * before it leaves without saving: a bert-base step and a 1.3 GB save take about 25 s on a laptop.
 */
export const SHUTDOWN_SAVE_MS = 120_000;

export { metricNameSchema, type MetricName } from './metrics';

/** A file's size and SHA-256: enough to tell that a data file is no longer the one a run started on. */
export const fileFingerprintSchema = z.object({ bytes: z.int().check(z.nonnegative()), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)) });
export type FileFingerprint = z.infer<typeof fileFingerprintSchema>;

/** Everything a training run is: what the CLI flags or the extension's form produce. */
export const trainConfigSchema = z.object({
  data: z.string().check(z.minLength(1)),
  textCol: z.string().check(z.minLength(1)),
  pairCol: z.optional(z.string().check(z.minLength(1))),
  /** The label column; for multi-label, several 0/1 columns separated by commas. */
  labelCol: z.string().check(z.minLength(1)),
  /** What the head learns; absent: the base model's config.json says, else the data (src/shared/tasks.ts). */
  problemType: z.optional(taskNameSchema),
  /** Multi-label tags in one cell: their separator (default: the first of | ; , the column holds). */
  labelSep: z.optional(z.string().check(z.minLength(1), z.maxLength(8))),
  /** Regression: learn the target standardised ((y − mean) / std of the training rows); checkpoints predict in its units. */
  standardizeTarget: z.optional(z.boolean()),
  /** Override the sniffed delimiter of the data files. */
  delimiter: z.optional(z.enum([',', '\t', ';', '|'])),
  /** Override header detection: true, the first row names the columns; false, it is data. */
  header: z.optional(z.boolean()),
  /** Read labels that differ only in case, width or number spelling ("Pos"/"pos", "1"/"1.0") as one, their most frequent spelling. */
  mergeLabelVariants: z.optional(z.boolean()),
  /** A separate validation file (same columns), else a stratified split of `data`. */
  validationData: z.optional(z.string().check(z.minLength(1))),
  validationSplit: z.number().check(z.gt(0), z.lt(1)),
  /** A local folder or a Hub id. */
  model: z.string().check(z.minLength(1)),
  out: z.string().check(z.minLength(1)),
  epochs: z.number().check(z.positive(), z.lte(TRAIN_LIMITS.epochs)),
  maxSteps: z.optional(z.int().check(z.positive(), z.lte(TRAIN_LIMITS.maxSteps))),
  batchSize: z.int().check(z.positive(), z.lte(TRAIN_LIMITS.batchSize)),
  gradientAccumulation: z.int().check(z.positive(), z.lte(TRAIN_LIMITS.gradientAccumulation)),
  learningRate: z.number().check(z.positive()),
  weightDecay: nonNegative(),
  schedule: z.enum(SCHEDULE_NAMES),
  warmupRatio: z.number().check(z.gte(0), z.lt(1)),
  warmupSteps: z.optional(count().check(z.lte(TRAIN_LIMITS.warmupSteps))),
  maxGradNorm: nonNegative(),
  maxLength: z.int().check(z.gte(8), z.lte(TRAIN_LIMITS.maxLength)),
  seed: z.int(),
  shuffle: z.boolean(),
  groupByLength: z.boolean(),
  /** Overrides the model's dropout rates (0 for exact, repeatable-across-backends runs). */
  dropout: z.optional(z.number().check(z.gte(0), z.lt(1))),
  classWeights: z.union([z.literal('none'), z.literal('balanced'), z.array(z.number().check(z.positive()))]),
  /** Evaluate every N optimizer steps as well as after each epoch. */
  evalSteps: z.optional(z.int().check(z.positive(), z.lte(TRAIN_LIMITS.evalSteps))),
  metricForBest: metricNameSchema,
  /** Stop after this many evaluations without improvement of metricForBest. */
  earlyStoppingPatience: z.optional(z.int().check(z.positive(), z.lte(TRAIN_LIMITS.earlyStoppingPatience))),
  backend: z.optional(z.enum(BACKENDS)),
  /**
   * Keep the embeddings and the lowest N encoder layers as the base model has them: no
   * gradients, no updates (much faster on a CPU; less the model can adapt). 0: train everything.
   */
  freezeLayers: z.optional(z.int().check(z.gte(0), z.lte(TRAIN_LIMITS.freezeLayers))),
  /**
   * Train only the pooler and the classifier, on the encoder's [CLS] states computed once for
   * every row: an inference pass, then seconds per epoch; the encoder stays as it is.
   */
  headOnly: z.optional(z.boolean()),
  /** Gradient workers on the WASM and pure-JS backends (1: train on the trainer's own thread); default: one per core, at most 8. */
  threads: z.optional(z.int().check(z.gte(1), z.lte(TRAIN_LIMITS.threads))),
  /** The data and validation files as the run started on them (written by the trainer): a resume says when they changed since. */
  dataFingerprint: z.optional(fileFingerprintSchema),
  validationFingerprint: z.optional(fileFingerprintSchema),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

export const TRAIN_DEFAULTS: Omit<TrainConfig, 'data' | 'textCol' | 'labelCol' | 'model' | 'out'> = {
  validationSplit: 0.2,
  epochs: 3,
  batchSize: 32,
  gradientAccumulation: 1,
  learningRate: 5e-5,
  weightDecay: 0.01,
  schedule: 'linear',
  warmupRatio: 0.1,
  maxGradNorm: 1,
  maxLength: 128,
  seed: 42,
  shuffle: true,
  groupByLength: false,
  classWeights: 'none',
  metricForBest: DEFAULT_METRIC,
};

/**
 * A model trained from random weights learns everything at once and wants a higher rate than
 * fine-tuning's 5e-5: on SST-2, 5e-4 beats 1e-4 by 5 points for both us and transformers
 * (README, accuracy against Hugging Face).
 */
export const FROM_SCRATCH_LEARNING_RATE = 5e-4;

export const classMetricsSchema = z.object({
  label: z.string(),
  precision: nonNegative(),
  recall: nonNegative(),
  f1: nonNegative(),
  support: count(),
  /** Multi-label: the label's ROC-AUC (absent where the rows hold one class only) and the threshold of its best F1 on these rows. */
  rocAuc: z.optional(nonNegative()),
  threshold: z.optional(nonNegative()),
  /** Multi-label: the rows the model gave the label (its wrong ones: predicted − precision · predicted). */
  predicted: z.optional(count()),
});

/** A regression's validation row: where it is, its target and the prediction (the panel's scatter plot and residuals). */
export const regressionPointSchema = z.object({ line: z.int().check(z.positive()), truth: z.number(), predicted: z.number() });
export type RegressionPoint = z.infer<typeof regressionPointSchema>;

export const misclassifiedSchema = z.object({
  /** 1-based line in the validation file */
  line: z.int().check(z.positive()),
  text: z.string(),
  pair: z.optional(z.string()),
  truth: z.string(),
  predicted: z.string(),
  confidence: nonNegative(),
});

/**
 * An evaluation's task and its metrics (shared/metrics.ts: a field per metric), shared by a run's
 * evaluation message and a file's evaluation (inferenceProtocol.ts). A task absent: single-label
 * (runs of earlier versions).
 */
export const taskMetricFields = {
  task: z.optional(taskNameSchema),
  accuracy: z.optional(nonNegative()),
  macroF1: z.optional(nonNegative()),
  microF1: z.optional(nonNegative()),
  weightedF1: z.optional(nonNegative()),
  subsetAccuracy: z.optional(nonNegative()),
  hammingLoss: z.optional(nonNegative()),
  mse: z.optional(nonNegative()),
  rmse: z.optional(nonNegative()),
  mae: z.optional(nonNegative()),
  r2: z.optional(z.number()),
  pearson: z.optional(z.number()),
  spearman: z.optional(z.number()),
};

export const fromTrainerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('started'),
    runDir: z.string(),
    backend: z.string(),
    backendNotes: z.array(z.string()),
    /** On a GPU: its driver, features and buffer limits, in a line (the panel's header shows it). */
    gpu: z.optional(z.string()),
    labels: z.array(z.string()),
    trainRows: count(),
    validationRows: count(),
    totalSteps: count(),
    resumedFromStep: z.optional(count()),
    parameters: count(),
    /** The model's family (absent from runs of earlier versions, which were all BERT). */
    family: z.optional(z.enum(FAMILY_NAMES)),
    /** What the head learns (absent from runs of earlier versions, which were all single-label). */
    task: z.optional(taskNameSchema),
  }),
  z.object({
    type: z.literal('progress'),
    step: count(),
    totalSteps: count(),
    epoch: nonNegative(),
    loss: z.number(),
    gradNorm: z.number(),
    learningRate: nonNegative(),
    samplesPerSecond: nonNegative(),
    etaSeconds: nonNegative(),
    /** Training time of the whole run so far, resumes included (absent in runs of older versions). */
    elapsedSeconds: z.optional(nonNegative()),
  }),
  z.object({
    type: z.literal('evaluation'),
    step: count(),
    epoch: nonNegative(),
    loss: z.number(),
    ...taskMetricFields,
    /** At most 50 classes or labels (those with the most validation rows); the metrics above count every one. Empty for regression. */
    perClass: z.array(classMetricsSchema),
    /** Single-label, over perClass's classes, in its order: rows the true label, columns the predicted one. Empty for the other tasks. */
    confusion: z.array(z.array(count())),
    /** How many classes perClass and confusion leave out. */
    omittedClasses: z.optional(count()),
    /** The first misclassified rows, most confident first, their texts cut to 1,000 characters (multi-label: the label sets, joined by ", "). */
    misclassified: z.array(misclassifiedSchema),
    /** Regression: the validation rows' targets and predictions, at most 2,000 (an even sample of larger sets). */
    points: z.optional(z.array(regressionPointSchema)),
    isBest: z.boolean(),
  }),
  /** Sent before training when the run asked to confirm: what it will train, and how long it should take. */
  z.object({
    type: z.literal('estimate'),
    /** What the run will learn, as the data and the model decided it (absent from older trainers: single-label). */
    task: z.optional(taskNameSchema),
    /** Per label, its training rows (single-label) or the training rows that have it (multi-label); empty for regression. */
    labelCounts: z.array(z.tuple([z.string(), count()])),
    trainRows: count(),
    validationRows: count(),
    skippedRows: count(),
    /** What will be skipped or looks wrong, with lines (absent from older trainers' estimates). */
    findings: z.optional(z.array(dataFindingSchema)),
    /** The texts' token lengths against the max length. */
    tokenLengths: z.optional(tokenLengthsSchema),
    /** The preparation's other warnings, as sentences: how a file was read (Latin-1), a max length the model cannot read, a larger validation share than asked… */
    notes: z.optional(z.array(z.string())),
    totalSteps: count(),
    secondsPerStep: nonNegative(),
    estimatedSeconds: nonNegative(),
    /** The trainer's memory at the run's peak, from the step it timed (src/shared/memoryFit.ts), and what this machine has for it. */
    peakMemoryBytes: z.optional(nonNegative()),
    availableMemoryBytes: z.optional(nonNegative()),
  }),
  z.object({ type: z.literal('checkpoint'), kind: z.enum(['best', 'last']), path: z.string(), step: count() }),
  z.object({ type: z.literal('log'), message: z.string() }),
  z.object({ type: z.literal('warning'), message: z.string() }),
  z.object({ type: z.literal('error'), message: z.string() }),
  z.object({
    type: z.literal('done'),
    status: doneStatusSchema,
    reason: z.optional(z.string()),
    step: count(),
    bestMetric: z.optional(z.number()),
    bestStep: z.optional(count()),
  }),
]);
export type FromTrainer = z.infer<typeof fromTrainerSchema>;

export const toTrainerSchema = z.discriminatedUnion('type', [
  /** With `confirm`, the trainer prepares, measures, sends an "estimate" and waits for "begin" or "cancel". */
  z.object({ type: z.literal('train'), config: trainConfigSchema, resume: z.optional(z.boolean()), confirm: z.optional(z.boolean()) }),
  z.object({ type: z.literal('begin') }),
  z.object({ type: z.literal('cancel') }),
  /** Finish the current step, save the last checkpoint, exit with status "stopped". */
  z.object({ type: z.literal('stop') }),
]);
export type ToTrainer = z.infer<typeof toTrainerSchema>;
