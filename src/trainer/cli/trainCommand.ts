/** `bert-tune train`: a training run from the command line, its messages printed as JSON lines. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKENDS } from '../../shared/backendReport';
import { describeIssues } from '../../shared/settingIssues';
import { DEFAULT_METRIC_OF, metricsOf } from '../../shared/metrics';
import { TAG_SEPARATORS, TASK_NAMES, TASKS } from '../../shared/tasks';
import { SCHEDULE_NAMES } from '../../shared/schedules';
import { DELIMITERS, delimiterFromFlag } from '../../shared/dataset';
import { DEFAULT_MAX_THREADS, TRAIN_DEFAULTS, trainConfigSchema, type FromTrainer, type TrainConfig } from '../../shared/trainerProtocol';
import { runTraining } from '../train/runTraining';
import { describeMessage } from '../train/describeMessage';
import { parseOptions, requireOption, UsageError } from './args';

export const TRAIN_USAGE = `usage: bert-tune train --data FILE --text-col C [--text-pair-col C] --label-col C
                      --model ID_OR_DIR --out DIR [options]
       bert-tune train --resume DIR

Fine-tunes a classifier of any family it runs (BERT, DistilBERT, RoBERTa, XLM-R, ELECTRA, DeBERTa-v3, ModernBERT) and prints the trainer's messages as JSON lines (started,
progress, evaluation, checkpoint, log, warning, error, done); --log-steps prints a readable
line per step on stderr (loss, grad norm, lr). The run folder DIR gets train-config.json,
log.txt, metrics.jsonl, checkpoints/best (Hugging Face layout) and checkpoints/last (for
--resume). SIGTERM or Ctrl-C finishes the current step, saves, and ends as "stopped".

data:
  --data FILE               CSV, TSV, ;- or |-separated, or JSONL
  --text-col C              column name or 1-based number
  --text-pair-col C         second text column (sentence pairs)
  --label-col C             the labels: a column of classes (or integers), of tags, or of
                            numbers; for multi-label, several 0/1 columns as "toxic,obscene,insult"
  --problem-type T          ${TASK_NAMES.join(' | ')}
                            (default: the model's config.json problem_type, else from the data:
                            several label columns, tags split on --label-sep or JSON arrays are
                            multi-label; a column of many numbers is regression)
  --standardize-target      regression: learn (y − mean) / std of the training rows; checkpoints
                            still predict in the target's units (the mean and std are folded in)
  --label-sep S             multi-label tags in one cell, split on S (default: the first of
                            ${TAG_SEPARATORS.join(' ')} the column holds, with --problem-type multi_label_classification)
  --merge-label-variants    read labels that differ only in case or number spelling
                            ("Pos"/"pos", "1"/"1.0") as one, their most frequent spelling
  --delimiter D             override the sniffed delimiter: ${DELIMITERS.map(d => d.flag).join(' ')}
  --header / --no-header    override header detection
  --validation-data FILE    validation rows from their own file (same columns)
  --validation-split F      else this share of rows, stratified (default ${TRAIN_DEFAULTS.validationSplit})
  --max-length N            tokens, [CLS] and [SEP] included (default ${TRAIN_DEFAULTS.maxLength})
model:
  --model ID_OR_DIR         a Hugging Face Hub id or a local folder
  --dropout F               one dropout rate for all layers (0: off; default: the model's)
  --freeze-layers N         keep the embeddings and the lowest N layers fixed (faster; 0: train all)
  --head-only               train only the pooler and classifier, on [CLS] features computed once
  --backend B               ${BACKENDS.join(', ')} (default: the fastest available; webgpu
                            only on a hardware GPU unless named)
  --threads N               gradient workers on wasm/cpu, 1 for none (default: one per core, at most ${DEFAULT_MAX_THREADS})
optimisation:
  --epochs N                default ${TRAIN_DEFAULTS.epochs}
  --max-steps N             stop after N optimizer steps (overrides --epochs)
  --batch-size N            default ${TRAIN_DEFAULTS.batchSize}
  --grad-accum N            gradient accumulation steps (default 1)
  --lr F                    peak learning rate (default ${TRAIN_DEFAULTS.learningRate})
  --weight-decay F          AdamW, not on biases and LayerNorm (default ${TRAIN_DEFAULTS.weightDecay})
  --schedule S              ${SCHEDULE_NAMES.join(', ')} (default ${TRAIN_DEFAULTS.schedule})
  --warmup-ratio F          default ${TRAIN_DEFAULTS.warmupRatio}
  --warmup-steps N          overrides --warmup-ratio
  --max-grad-norm F         global-norm clipping, 0 for none (default 1)
  --class-weights W         none, balanced, or one weight per label: 1,2.5,... (multi-label:
                            BCEWithLogitsLoss's pos_weight; balanced: negatives/positives)
  --seed N                  default ${TRAIN_DEFAULTS.seed}
  --no-shuffle              keep file order
  --group-by-length         batch similar lengths together
evaluation:
  --eval-steps N            also evaluate every N steps (always after each epoch)
  --metric M                picks the best checkpoint: ${TASK_NAMES.map(t => `${TASKS[t].title}: ${metricsOf(t).join(', ')}`).join(';\n                            ')}
                            (default ${TASK_NAMES.map(t => DEFAULT_METRIC_OF[t]).join(', ')} respectively)
  --early-stopping N        stop after N evaluations without improvement
output:
  --log-steps               a readable line per step on stderr
`;

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} takes a number, not "${v}"`);
  return n;
};

/** The option that sets each field of the run's config, for errors that name what the user typed. */
const CLI_OPTION: Partial<Record<keyof TrainConfig, string>> = {
  data: '--data',
  textCol: '--text-col',
  pairCol: '--text-pair-col',
  labelCol: '--label-col',
  problemType: '--problem-type',
  labelSep: '--label-sep',
  standardizeTarget: '--standardize-target',
  validationData: '--validation-data',
  validationSplit: '--validation-split',
  maxLength: '--max-length',
  model: '--model',
  out: '--out',
  dropout: '--dropout',
  backend: '--backend',
  threads: '--threads',
  freezeLayers: '--freeze-layers',
  epochs: '--epochs',
  maxSteps: '--max-steps',
  batchSize: '--batch-size',
  gradientAccumulation: '--grad-accum',
  learningRate: '--lr',
  weightDecay: '--weight-decay',
  schedule: '--schedule',
  warmupRatio: '--warmup-ratio',
  warmupSteps: '--warmup-steps',
  maxGradNorm: '--max-grad-norm',
  classWeights: '--class-weights',
  seed: '--seed',
  evalSteps: '--eval-steps',
  metricForBest: '--metric',
  earlyStoppingPatience: '--early-stopping',
  delimiter: '--delimiter',
  mergeLabelVariants: '--merge-label-variants',
};

export function trainConfigFromArgs(args: string[]): { config?: TrainConfig; resume?: string; logSteps: boolean } {
  const o = parseOptions(
    args,
    {
      data: { type: 'string' },
      'text-col': { type: 'string' },
      'text-pair-col': { type: 'string' },
      'label-col': { type: 'string' },
      'problem-type': { type: 'string' },
      'label-sep': { type: 'string' },
      'standardize-target': { type: 'boolean' },
      'validation-data': { type: 'string' },
      'validation-split': { type: 'string' },
      'max-length': { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      dropout: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      'freeze-layers': { type: 'string' },
      'head-only': { type: 'boolean' },
      epochs: { type: 'string' },
      'max-steps': { type: 'string' },
      'batch-size': { type: 'string' },
      'grad-accum': { type: 'string' },
      lr: { type: 'string' },
      'weight-decay': { type: 'string' },
      schedule: { type: 'string' },
      'warmup-ratio': { type: 'string' },
      'warmup-steps': { type: 'string' },
      'max-grad-norm': { type: 'string' },
      'class-weights': { type: 'string' },
      seed: { type: 'string' },
      'no-shuffle': { type: 'boolean' },
      'group-by-length': { type: 'boolean' },
      'merge-label-variants': { type: 'boolean' },
      'eval-steps': { type: 'string' },
      metric: { type: 'string' },
      'early-stopping': { type: 'string' },
      'log-steps': { type: 'boolean' },
      resume: { type: 'string' },
      help: { type: 'boolean' },
      delimiter: { type: 'string' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
    },
    TRAIN_USAGE,
  );
  const logSteps = Boolean(o['log-steps']);
  if (o.resume !== undefined) return { resume: o.resume, logSteps };
  const weights = o['class-weights'];
  const raw = {
    ...TRAIN_DEFAULTS,
    // Files as absolute paths: train-config.json keeps them, and --resume may run from elsewhere.
    data: path.resolve(requireOption(o.data, 'data', TRAIN_USAGE)),
    textCol: requireOption(o['text-col'], 'text-col', TRAIN_USAGE),
    pairCol: o['text-pair-col'],
    labelCol: requireOption(o['label-col'], 'label-col', TRAIN_USAGE),
    problemType: o['problem-type'],
    labelSep: o['label-sep'],
    standardizeTarget: o['standardize-target'] ? true : undefined,
    model: localOrHub(requireOption(o.model, 'model', TRAIN_USAGE)),
    out: path.resolve(requireOption(o.out, 'out', TRAIN_USAGE)),
    validationData: o['validation-data'] === undefined ? undefined : path.resolve(o['validation-data']),
    delimiter: delimiterFromFlag(o.delimiter),
    header: o.header ? true : o['no-header'] ? false : undefined,
    validationSplit: num(o['validation-split'], 'validation-split') ?? TRAIN_DEFAULTS.validationSplit,
    maxLength: num(o['max-length'], 'max-length') ?? TRAIN_DEFAULTS.maxLength,
    dropout: num(o.dropout, 'dropout'),
    backend: o.backend,
    threads: num(o.threads, 'threads'),
    freezeLayers: num(o['freeze-layers'], 'freeze-layers'),
    headOnly: o['head-only'] ? true : undefined,
    epochs: num(o.epochs, 'epochs') ?? TRAIN_DEFAULTS.epochs,
    maxSteps: num(o['max-steps'], 'max-steps'),
    batchSize: num(o['batch-size'], 'batch-size') ?? TRAIN_DEFAULTS.batchSize,
    gradientAccumulation: num(o['grad-accum'], 'grad-accum') ?? 1,
    learningRate: num(o.lr, 'lr') ?? TRAIN_DEFAULTS.learningRate,
    weightDecay: num(o['weight-decay'], 'weight-decay') ?? TRAIN_DEFAULTS.weightDecay,
    schedule: o.schedule ?? TRAIN_DEFAULTS.schedule,
    warmupRatio: num(o['warmup-ratio'], 'warmup-ratio') ?? TRAIN_DEFAULTS.warmupRatio,
    warmupSteps: num(o['warmup-steps'], 'warmup-steps'),
    maxGradNorm: num(o['max-grad-norm'], 'max-grad-norm') ?? TRAIN_DEFAULTS.maxGradNorm,
    classWeights:
      weights === undefined || weights === 'none' || weights === 'balanced' ? (weights ?? 'none') : weights.split(',').map(w => num(w, 'class-weights')),
    seed: num(o.seed, 'seed') ?? TRAIN_DEFAULTS.seed,
    shuffle: !o['no-shuffle'],
    groupByLength: Boolean(o['group-by-length']),
    mergeLabelVariants: o['merge-label-variants'] ? true : undefined,
    evalSteps: num(o['eval-steps'], 'eval-steps'),
    metricForBest: o.metric ?? TRAIN_DEFAULTS.metricForBest,
    earlyStoppingPatience: num(o['early-stopping'], 'early-stopping'),
  };
  const parsed = trainConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`${describeIssues(parsed.error.issues, raw, field => CLI_OPTION[field as keyof TrainConfig] ?? field)}.\n\n${TRAIN_USAGE}`);
  return { config: parsed.data, logSteps };
}

/** A model folder that exists here as an absolute path; anything else (a Hub id) as given. */
function localOrHub(model: string): string {
  return fs.existsSync(model) ? path.resolve(model) : model;
}

/** --log-steps: the steps and evaluations as readable lines on stderr. */
function readable(m: FromTrainer): string | undefined {
  return m.type === 'progress' || m.type === 'evaluation' ? describeMessage(m) : undefined;
}

export async function trainCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(TRAIN_USAGE);
    return 0;
  }
  const { config, resume, logSteps } = trainConfigFromArgs(args);
  let stopRequested = false;
  const stop = () => {
    if (stopRequested) process.exit(130); // a second Ctrl-C: leave now
    stopRequested = true;
    process.stderr.write('bert-tune: stopping after the current step…\n');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const input = config ?? ({ out: resume } as TrainConfig);
  const done = await runTraining(
    input,
    {
      emit: m => {
        process.stdout.write(JSON.stringify(m) + '\n');
        const line = logSteps ? readable(m) : undefined;
        if (line) process.stderr.write(line + '\n');
        if (m.type === 'warning' || m.type === 'error') process.stderr.write(`${m.type}: ${m.message}\n`);
      },
      shouldStop: () => stopRequested,
    },
    { resume: resume !== undefined },
  );
  return done.status === 'failed' ? 1 : 0;
}
