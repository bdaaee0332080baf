/**
 * A whole training run: data, model, optimisation, evaluation, checkpoints, stop and resume.
 * Everything it reports goes through `emit` as protocol messages (src/shared/trainerProtocol),
 * and into the run folder: train-config.json, log.txt, metrics.jsonl, checkpoints/best and
 * checkpoints/last (the latter with optimizer and data-order state, for resuming).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANCELLED_BEFORE_TRAINING, type FileFingerprint, type FromTrainer, type TrainConfig } from '../../shared/trainerProtocol';
import { fileFingerprint } from '../data/textFile';
import {
  diagnosisContext,
  readRunMessages,
  CHECKPOINT_FILES,
  RUN_FILES,
  checkpointDir,
  hasResumableCheckpoint,
  readRunConfig,
  readTrainerState,
  runConfigText,
  type TrainerState,
} from '../../shared/runFolder';
import { describeFsError } from '../util/fsErrors';
import { RunFolderWriter, whyNotRunFolder, writeFileReplacingAtomically } from './runFolderWriter';
import { describeMessage } from './describeMessage';
import { backendFaultMessage, describeBackend, onBackend, selectBackend, type BackendReport } from '../backend';
import { describeAdapter, gpuAdapterLine, gpuFacts } from '../../shared/backendReport';
import { fitBatchToDevice } from './deviceFit';
import { loadCheckpoint, readConfig } from '../checkpoint/hfCheckpoint';
import { parseSafetensors, toFloat32 } from '../checkpoint/safetensors';
import type { LabelledRow } from '../data/loadLabelledData';
import { loadRunRows } from './runRows';
import { resolveModel } from '../hub/resolveModel';
import type { Classifier } from '../model/classifier';
import { frozenParameters, isDecayed, maxTokens } from '../model/parameters';
import type { TextTokenizer } from '../tokenizer/bertTokenizer';
import { Random } from '../util/random';
import { batchesOf, epochOrder, type Example } from './batches';
import { TASKS, type TaskName } from '../../shared/tasks';
import { exampleTarget, lossSpecFor, metricForTask } from '../task/targets';
import { restoreUnfolded, standardised, targetScaleOf, UNFOLDED } from '../task/targetScale';
import { familyNamed } from '../model/families/index';
import type { LossSpec } from '../step/loss';
import { runSteps, warmupSteps, type Schedule } from './schedule';
import { clsFeatures, startHeadOnly } from './headOnly';
import { seedsWorkers, startOptimisation, type Optimisation } from './optimisation';
import { describeImbalance } from '../../shared/labelBalance';
import { describeMemoryShortfall, estimatePeakMemory } from '../../shared/memoryFit';
import { tokenLengthAdvice, tokenLengths } from '../../shared/dataFindings';
import { rowFindings } from '../data/doctor';
import { ADAMW_DEFAULTS } from '../step/adamwMath';
import { trainLoop, type RunProgress, type TrainingRun } from './trainLoop';
import { diagnoseMessages } from '../../shared/runDiagnosis';

export type DoneMessage = Extract<FromTrainer, { type: 'done' }>;

export type Estimate = Extract<FromTrainer, { type: 'estimate' }>;

export interface RunControl {
  emit(message: FromTrainer): void;
  /** When given (and not resuming): called with the estimate before training; false cancels the run. */
  confirm?(estimate: Estimate): Promise<boolean>;
  /** Polled after every step: true finishes the step, saves, and ends the run as "stopped". */
  shouldStop(): boolean;
  /** Why it stops, for the done message (default: "stopped on request"). */
  stopReason?(): string | undefined;
}

const RUN_CONFIG = RUN_FILES.config;
const STOPPED_ON_REQUEST = 'stopped on request';

/** The rows tokenised with their targets, and which of them the max length cut. */
function toExamples(
  task: TaskName,
  rows: LabelledRow[],
  labelIds: Map<string, number>,
  tokenizer: TextTokenizer,
  maxLength: number,
  file: string,
): { examples: Example[]; truncated: boolean[] } {
  const truncated: boolean[] = [];
  const examples = rows.map(r => {
    const target = exampleTarget(task, r, labelIds, file);
    const e = tokenizer.encode(r.text, r.pair, maxLength);
    truncated.push(e.truncated);
    return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, ...target, line: r.line };
  });
  return { examples, truncated };
}

const family = (model: Classifier) => familyNamed(model.config.family);

/** How many training rows each label has: a single-label class's rows, or a multi-label label's positives; none for regression. */
function labelCountsOf(task: TaskName, labels: string[], train: Example[]): [string, number][] {
  if (task === 'regression') return [];
  const counts = labels.map((l): [string, number] => [l, 0]);
  for (const e of train) {
    if (task === 'multi_label_classification') e.target!.forEach((y, j) => (counts[j][1] += y));
    else counts[e.label][1]++;
  }
  return counts;
}

/**
 * What the machine has for this trainer: its own memory now and the free memory (Linux:
 * MemAvailable). BERT_TUNE_AVAILABLE_MEMORY_BYTES overrides it (tests; a container whose limit
 * the OS figure does not show).
 */
function availableMemory(): number {
  const override = Number(process.env.BERT_TUNE_AVAILABLE_MEMORY_BYTES);
  return override > 0 ? override : process.memoryUsage().rss + os.freemem();
}

/** Runs (or, with `resume`, continues) training as `config` says; never throws: failures end as status "failed". */
export async function runTraining(input: TrainConfig, control: RunControl, options: { resume?: boolean } = {}): Promise<DoneMessage> {
  const outDir = path.resolve(input.out);
  // Two runs in one folder would mix their logs and checkpoints, and another tool's folder is not
  // ours to replace: refuse, and write nothing there.
  const refused = whyNotRunFolder(outDir, { resume: Boolean(options.resume), baseModel: input.model });
  if (refused) {
    control.emit({ type: 'error', message: refused });
    const done: DoneMessage = { type: 'done', status: 'failed', reason: refused, step: 0 };
    control.emit(done);
    return done;
  }
  // What the run starts on, kept in its train-config.json: a resume says when the files changed since.
  if (!options.resume) {
    const dataFingerprint = await fileFingerprint(input.data);
    const validationFingerprint = input.validationData ? await fileFingerprint(input.validationData) : undefined;
    input = { ...input, ...(dataFingerprint && { dataFingerprint }), ...(validationFingerprint && { validationFingerprint }) };
  }
  // A run the user is still to confirm writes nothing: the folder, its lock and its files come
  // when the user starts it (a cancelled estimate leaves no "run" behind). Its messages are kept
  // and written then, so log.txt and metrics.jsonl still tell the whole story.
  const recorder = new RunRecorder(outDir, input, control, { deferred: Boolean(control.confirm && !options.resume), resume: Boolean(options.resume) });
  try {
    await recorder.ensureOpen();
  } catch (e) {
    // Locked by another trainer, or a link where a run file should be: this folder is not ours to write.
    const message = describeFsError(e, outDir) ?? (e instanceof Error ? e.message : String(e));
    control.emit({ type: 'error', message });
    const done: DoneMessage = { type: 'done', status: 'failed', reason: message, step: 0 };
    control.emit(done);
    return done;
  }
  const emit = (m: FromTrainer) => recorder.emit(m);
  let step = 0;
  try {
    return await train(input, outDir, emit, control, options, s => (step = s), recorder);
  } catch (e) {
    // A lost GPU fails whatever op came next with its own words: say what happened instead.
    const message = backendFaultMessage() ?? describeFsError(e, outDir) ?? (e instanceof Error ? e.message : String(e));
    emit({ type: 'error', message });
    const done: DoneMessage = { type: 'done', status: 'failed', reason: message, step };
    emit(done);
    return done;
  } finally {
    recorder.close();
  }
}

/**
 * Where a run's messages go besides the extension or the CLI: log.txt (sentences) and
 * metrics.jsonl (the messages), in the run folder. Deferred, it holds them until `ensureOpen`;
 * a run that fails or is cancelled before that leaves nothing on disk that would look like a run
 * (the extension and the CLI still get every message).
 */
class RunRecorder {
  private writer: RunFolderWriter | undefined;
  private held: { at: string; message: FromTrainer }[] = [];
  private logFailure: string | undefined;

  constructor(
    private readonly outDir: string,
    private config: TrainConfig,
    private readonly control: RunControl,
    private readonly options: { deferred: boolean; resume: boolean },
  ) {}

  /** The run's settings as the data and the model decided them (its task, its metric): train-config.json says them from here on. */
  settleConfig(config: TrainConfig): void {
    this.config = config;
    if (this.writer) writeFileReplacingAtomically(path.join(this.outDir, RUN_CONFIG), runConfigText(config));
  }

  /** The writer, for what only an open run folder does (a resume's truncation). */
  get folder(): RunFolderWriter {
    if (!this.writer) throw new Error('the run folder is not open yet');
    return this.writer;
  }

  /** Opens the folder (unless deferred and not `now`), writes a new run's train-config.json and what was held. */
  async ensureOpen(now = !this.options.deferred): Promise<void> {
    if (this.writer || !now) return;
    this.writer = await RunFolderWriter.open(this.outDir, { resume: this.options.resume, baseModel: this.config.model });
    if (!this.options.resume && fs.existsSync(path.join(this.outDir, RUN_CONFIG))) {
      // Another trainer started a run in this folder while this one waited for its confirmation.
      this.writer.close();
      this.writer = undefined;
      throw new Error(`${this.outDir} already holds a training run (started while this one waited to be confirmed): choose another --out folder`);
    }
    if (!this.options.resume) writeFileReplacingAtomically(path.join(this.outDir, RUN_CONFIG), runConfigText(this.config));
    const held = this.held;
    this.held = [];
    this.writer.notices.forEach(message => this.emit({ type: 'log', message }));
    for (const { at, message } of held) this.write(at, message);
  }

  emit(m: FromTrainer): void {
    const at = new Date().toISOString();
    if (this.writer) this.write(at, m);
    else this.held.push({ at, message: m });
    this.control.emit(m);
  }

  private write(at: string, m: FromTrainer): void {
    try {
      this.writer!.appendLog(`${at} ${describeMessage(m)}`);
      if (m.type !== 'log') this.writer!.appendMetrics(m);
    } catch (e) {
      // A full disk must not also silence the run: the messages still reach the extension or the CLI.
      if (!this.logFailure) {
        this.logFailure = describeFsError(e, this.outDir) ?? String(e);
        this.control.emit({ type: 'warning', message: `The run's log and metrics could not be written: ${this.logFailure}` });
      }
    }
  }

  close(): void {
    this.writer?.close();
  }
}

async function train(
  input: TrainConfig,
  outDir: string,
  emit: (m: FromTrainer) => void,
  control: RunControl,
  options: { resume?: boolean },
  reportStep: (s: number) => void,
  recorder: RunRecorder,
): Promise<DoneMessage> {
  const lastDir = checkpointDir(outDir, 'last');
  const { config: savedConfig, state } = options.resume ? resumePoint(outDir, emit, recorder) : { config: input, state: undefined };
  let config = savedConfig;

  const backend = await selectBackend({ prefer: config.backend });
  const backendNotes = backend.attempts.filter(a => !a.ok).map(a => `${a.backend}: ${a.reason}`);
  if (backend.gpu) emit({ type: 'log', message: `${gpuAdapterLine(backend.gpu)}; our kernels: ${backend.kernels?.join(', ') || 'none'}` });

  // What the preparation warns of besides the findings, the imbalance, the lengths and the
  // memory (which the estimate carries in their own fields): the confirmation lists these too.
  const notes: string[] = [];
  const note = (m: FromTrainer) => {
    if (m.type === 'warning') notes.push(m.message);
    emit(m);
  };

  // Data: the training rows, and validation rows from their own file or a stratified split.
  if (state) await warnIfDataChanged(outDir, config, emit);
  // Model: fresh from the base model, or the last checkpoint of this run. Its problem_type
  // decides the task where the run does not say and the data's form does not either.
  const modelDir = state ? lastDir : await baseModelDir(config, emit);
  const rows = await loadRunRows(config, readConfig(modelDir).problemType ?? undefined);
  const task = rows.data.task;
  const metric = metricForTask(config, task);
  if (metric.note) emit({ type: 'log', message: metric.note });
  // train-config.json says what the run is, once the data and the model decided it: a resume, the Runs view and the export read it there.
  if (config.problemType !== task || config.metricForBest !== metric.metricForBest) {
    config = { ...config, problemType: task, metricForBest: metric.metricForBest };
    if (!state) recorder.settleConfig(config);
  }
  const findingMessages = new Set(rows.findings.map(f => f.message));
  rows.warnings.forEach(message => (findingMessages.has(message) ? emit : note)({ type: 'warning', message }));
  // A resumed run was told these at its start.
  const findings = state ? [] : [...rows.findings, ...rowFindings(rows.train, rows.validation, config.data, rows.validationFile)];
  findings.slice(rows.findings.length).forEach(f => emit({ type: 'warning', message: f.message }));
  const labels = state?.labels ?? rows.data.labels;

  // From here on the model (and then the optimiser) is this function's: one finally disposes them, whatever ends the run.
  // With gradient workers the main thread's weights only seed their shared memory: made on the
  // pure-JS backend and released once they start (bert-base: 470 MB a WASM heap would keep).
  const load = () => loadCheckpoint(modelDir, { labels, task, seed: config.seed, dropout: config.dropout });
  const loaded = !config.headOnly && seedsWorkers(backend, config.threads) ? await onBackend('cpu', load) : load();
  loaded.notices.forEach(message => emit({ type: 'log', message }));
  const { model, tokenizer } = loaded;
  let optimizer: Optimisation | undefined;
  let end: RunEnd;
  try {
    end = await prepareAndTrain();
  } finally {
    await optimizer?.dispose();
    model.dispose();
  }
  if (end.status === 'completed' || end.status === 'stopped') diagnose(outDir, config, emit);
  const done: DoneMessage = { type: 'done', ...end };
  emit(done);
  return done;

  /** Everything between loading the model and its disposal: preparation, the estimate, the loop. */
  async function prepareAndTrain(): Promise<RunEnd> {
    if (config.freezeLayers) freezeLayers(model, config.freezeLayers, emit);
    const maxLength = usableMaxLength(config, model, tokenizer, modelDir, note);
    config = fitToDevice(config, model, maxLength, backend, note);

    const labelIds = new Map(labels.map((l, i) => [l, i]));
    const encodedTrain = toExamples(task, rows.train, labelIds, tokenizer, maxLength, config.data);
    const encodedValidation = toExamples(task, rows.validation, labelIds, tokenizer, maxLength, rows.validationFile);
    // Regression with --standardize-target learns (y − μ) / σ of the training rows (a resume: of its start).
    const targetScale =
      task === 'regression' && config.standardizeTarget ? (state?.targetScale ?? targetScaleOf(encodedTrain.examples.map(e => e.target![0]))) : undefined;
    const scaled = (examples: Example[]) => (targetScale ? standardised(examples, targetScale) : examples);
    const [train, validation] = [scaled(encodedTrain.examples), scaled(encodedValidation.examples)];
    if (targetScale && state) restoreUnfolded(model, family(model).parts.outputLayer, targetScale, unfoldedKept(lastDir));
    if (targetScale && !state)
      emit({
        type: 'log',
        message: `The model learns the target standardised: (y − ${targetScale.mean.toPrecision(6)}) / ${targetScale.std.toPrecision(6)}; its checkpoints predict in the target's units.`,
      });
    if (config.standardizeTarget && task !== 'regression')
      note({ type: 'warning', message: `--standardize-target is for regression; this run is ${TASKS[task].title}, and ignores it.` });
    const lengths = tokenLengths(
      [...train, ...validation].map(e => e.inputIds.length),
      [...encodedTrain.truncated, ...encodedValidation.truncated],
      maxLength,
    );
    const labelCounts = labelCountsOf(task, labels, train);
    if (!state) {
      const lengthAdvice = tokenLengthAdvice(lengths);
      if (lengthAdvice) emit({ type: 'warning', message: lengthAdvice });
      const imbalance = task === 'single_label_classification' && describeImbalance(labelCounts, config.classWeights, config.metricForBest);
      if (imbalance) emit({ type: 'warning', message: imbalance });
    }

    /** Head-only training's cached [CLS] features: a sample's for the estimate, then every row's. */
    const features: TrainingRun['features'] = { current: undefined };
    const loss = lossSpecFor(config, task, labels, train);
    optimizer = await startOptimiser(config, model, loss, backend, features, note);
    const parameters = model.numParameters;
    if (optimizer.ownsWeights) model.releaseWeights();

    const dropoutRandom = new Random((config.seed ^ 0x5bd1e995) >>> 0);
    const progress: RunProgress = {
      step: 0,
      bestMetric: undefined,
      bestStep: undefined,
      evalsWithoutImprovement: 0,
      elapsedBefore: state?.elapsedSeconds ?? 0,
    };
    if (state) restoreState(state, progress, optimizer, dropoutRandom, lastDir);

    const { stepsPerEpoch, totalSteps } = runSteps(train.length, config);
    const schedule: Schedule = { kind: config.schedule, warmupSteps: warmupSteps(totalSteps, config), totalSteps };
    emit({
      type: 'started',
      runDir: outDir,
      backend: describeBackend(backend) + (optimizer.threads > 1 ? `, ${optimizer.threads} threads` : ''),
      backendNotes,
      gpu: backend.gpu && gpuFacts(backend.gpu),
      labels,
      trainRows: train.length,
      validationRows: validation.length,
      totalSteps,
      resumedFromStep: state ? progress.step : undefined,
      parameters,
      family: model.config.family,
      task,
    });
    if (!validation.length)
      note({ type: 'warning', message: 'No validation rows: metrics and the best checkpoint need some. Give more rows, or a validation file.' });

    if (control.confirm && !state) {
      const estimate: Estimate = {
        type: 'estimate',
        task,
        labelCounts,
        trainRows: train.length,
        validationRows: validation.length,
        skippedRows: rows.data.skipped.count,
        findings,
        tokenLengths: lengths,
        notes,
        ...(await measureRun(config, model, tokenizer, optimizer, train, validation.length, features, parameters, totalSteps, stepsPerEpoch, emit)),
      };
      emit(estimate);
      if (!(await control.confirm(estimate))) return { status: 'stopped', reason: CANCELLED_BEFORE_TRAINING, step: 0 };
    }
    // Started: from here on the run exists on disk (another trainer may have taken the folder meanwhile).
    await recorder.ensureOpen(true);

    const run: TrainingRun = {
      config,
      emit,
      shouldStop: () => control.shouldStop(),
      stopReason: () => control.stopReason?.() ?? STOPPED_ON_REQUEST,
      model,
      tokenizer,
      optimizer,
      labels,
      loss,
      targetScale,
      train,
      validation,
      validationByLine: new Map(rows.validation.map(r => [r.line, r])),
      modelDir,
      lastDir,
      bestDir: checkpointDir(outDir, 'best'),
      schedule,
      stepsPerEpoch,
      dropoutRandom,
      features,
    };
    const loopEnd = await trainLoop(run, progress, reportStep);
    return { ...loopEnd, step: progress.step, bestMetric: progress.bestMetric, bestStep: progress.bestStep };
  }
}

/** How a run ended: the done message's fields. */
type RunEnd = Omit<DoneMessage, 'type'>;

/** Where a resume starts: the run's saved settings and, where it has a checkpoint, its trainer state; later steps' messages are dropped. */
function resumePoint(outDir: string, emit: (m: FromTrainer) => void, recorder: RunRecorder): { config: TrainConfig; state: TrainerState | undefined } {
  if (!fs.existsSync(path.join(outDir, RUN_CONFIG))) throw new Error(`${outDir}: nothing to resume (no ${RUN_CONFIG}); start a new run there instead`);
  const config = readRunConfig(outDir);
  let state: TrainerState | undefined;
  if (hasResumableCheckpoint(outDir)) state = readTrainerState(checkpointDir(outDir, 'last'));
  // It ended before its first checkpoint: nothing of it is worth keeping but its recipe.
  else emit({ type: 'log', message: `${outDir} has no checkpoint to continue from: training it again from step 0 with its saved settings.` });
  const dropped = recorder.folder.truncateMetricsAfter(state?.step ?? 0);
  if (dropped)
    emit({
      type: 'log',
      message: `Resuming at step ${state?.step ?? 0}: ${dropped} messages of later steps (trained after the last checkpoint) were removed from ${RUN_FILES.metrics}; those steps are trained again.`,
    });
  return { config, state };
}

/** The base model's folder: a local one, the Hub cache's, or a model made from scratch. */
async function baseModelDir(config: TrainConfig, emit: (m: FromTrainer) => void): Promise<string> {
  const resolved = await resolveModel(config.model);
  resolved.notices.forEach(message => emit({ type: 'log', message }));
  return resolved.dir;
}

function freezeLayers(model: Classifier, layers: number, emit: (m: FromTrainer) => void): void {
  const frozen = frozenParameters(model.config, layers);
  model.freeze(frozen);
  const fixed = [...model.params].filter(([name]) => frozen.has(name)).reduce((n, [, v]) => n + v.size, 0);
  emit({
    type: 'log',
    message: `Frozen: the embeddings and encoder layers 0-${layers - 1}; ${model.numParameters - fixed} of ${model.numParameters} parameters train.`,
  });
}

/** The max length asked, or less where the model reads less (its position embeddings, its tokenizer). */
function usableMaxLength(config: TrainConfig, model: Classifier, tokenizer: TextTokenizer, modelDir: string, emit: (m: FromTrainer) => void): number {
  const maxLength = Math.min(config.maxLength, maxTokens(model.config), tokenizer.modelMaxLength);
  if (maxLength < config.maxLength) {
    emit({
      type: 'warning',
      message: `max length ${config.maxLength} is more than ${path.basename(modelDir)} reads (${maxLength} tokens: its position embeddings and tokenizer); training with ${maxLength}.`,
    });
  }
  return maxLength;
}

/** On a GPU whose buffers cannot hold a batch's largest tensor: smaller batches, accumulated to the same effective size. */
function fitToDevice(config: TrainConfig, model: Classifier, maxLength: number, backend: BackendReport, emit: (m: FromTrainer) => void): TrainConfig {
  if (!backend.gpu || !backend.maxTensorBytes) return config;
  // BERT_TUNE_GPU_MAX_BUFFER_BYTES: pretend the GPU's buffers are smaller (tests; a GPU that fails on large ones).
  const limit = Math.min(backend.maxTensorBytes, Number(process.env.BERT_TUNE_GPU_MAX_BUFFER_BYTES) || Infinity);
  const fit = fitBatchToDevice(model.config, config.batchSize, config.gradientAccumulation, maxLength, limit, describeAdapter(backend.gpu));
  if (!fit.notice) return config;
  emit({ type: 'warning', message: fit.notice });
  return { ...config, batchSize: fit.batchSize, gradientAccumulation: fit.gradientAccumulation };
}

/** The run's optimiser: head-only on cached features, or the whole model on the main thread, the gradient workers or the GPU. */
async function startOptimiser(
  config: TrainConfig,
  model: Classifier,
  loss: LossSpec,
  backend: BackendReport,
  features: TrainingRun['features'],
  emit: (m: FromTrainer) => void,
): Promise<Optimisation> {
  const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
  const adam = { ...ADAMW_DEFAULTS, weightDecay: config.weightDecay };
  if (config.headOnly) {
    const optimizer = startHeadOnly(model, decayed, adam, () => features.current, loss);
    emit({
      type: 'log',
      message: 'Head-only training: the encoder stays as it is; its [CLS] features are computed once, then only the pooler and the classifier train.',
    });
    return optimizer;
  }
  return startOptimisation(model, decayed, adam, backend, { threads: config.threads, loss, warn: message => emit({ type: 'warning', message }) });
}

/** The output layer's values as trained that a standardised regression keeps beside its optimizer state. */
function unfoldedKept(lastDir: string): Map<string, Float32Array> {
  const file = path.join(lastDir, CHECKPOINT_FILES.optimizer);
  const saved = parseSafetensors(fs.readFileSync(file), file);
  return new Map([...saved.tensors].filter(([name]) => name.startsWith(UNFOLDED)).map(([name, entry]) => [name.slice(UNFOLDED.length), toFloat32(entry)]));
}

/** A resumed run goes on where its last checkpoint left it: step, AdamW's step and moments, the dropout stream, the best so far. */
function restoreState(state: TrainerState, progress: RunProgress, optimizer: Optimisation, dropoutRandom: Random, lastDir: string): void {
  progress.step = state.step;
  progress.bestMetric = state.bestMetric;
  progress.bestStep = state.bestStep;
  progress.evalsWithoutImprovement = state.evalsWithoutImprovement;
  optimizer.adamStep = state.adamStep;
  dropoutRandom.setState(state.dropoutRandom);
  const file = path.join(lastDir, CHECKPOINT_FILES.optimizer);
  const saved = parseSafetensors(fs.readFileSync(file), file);
  for (const [name, entry] of saved.tensors) {
    const [kind, ...rest] = name.split('.');
    if (`${kind}.` === UNFOLDED) continue; // the output layer as trained: restored with the model (targetScale.ts)
    if (kind !== 'm' && kind !== 'v') throw new Error(`optimizer state names an unknown parameter ${name}`);
    optimizer.loadOptimizerState(kind, rest.join('.'), toFloat32(entry), entry.shape);
  }
}

/** The estimate's measured part: a timed step (the second: the first compiles kernels), the time the whole run should take, its memory at the peak. */
async function measureRun(
  config: TrainConfig,
  model: Classifier,
  tokenizer: TextTokenizer,
  optimizer: Optimisation,
  train: Example[],
  validationRows: number,
  features: TrainingRun['features'],
  parameters: number,
  totalSteps: number,
  stepsPerEpoch: number,
  emit: (m: FromTrainer) => void,
): Promise<Pick<Estimate, 'totalSteps' | 'secondsPerStep' | 'estimatedSeconds' | 'peakMemoryBytes' | 'availableMemoryBytes'>> {
  const order = epochOrder(train.length, { seed: config.seed, epoch: 0, shuffle: config.shuffle });
  const sample = batchesOf(train, order, config.batchSize, tokenizer.padId)[0];
  // Head-only: time the encoder's pass on the sample's rows, which also gives the steps features.
  let forwardSeconds: number | undefined;
  if (config.headOnly) {
    const examples = order.slice(0, config.batchSize).map(i => train[i]);
    await clsFeatures(model, examples, config.batchSize, tokenizer.padId);
    const t0 = performance.now();
    features.current = { values: (await clsFeatures(model, examples, config.batchSize, tokenizer.padId))!, examples };
    forwardSeconds = (performance.now() - t0) / 1000;
  }
  await optimizer.timeGradients(sample);
  const secondsPerStep = (await optimizer.timeGradients(sample)) * config.gradientAccumulation * 1.15; // + the optimizer update
  const peakMemoryBytes = estimatePeakMemory(process.memoryUsage().rss, parameters);
  const availableMemoryBytes = availableMemory();
  const shortfall = describeMemoryShortfall(peakMemoryBytes, availableMemoryBytes);
  if (shortfall) emit({ type: 'warning', message: shortfall });
  features.current = undefined;
  const evaluations = Math.ceil(totalSteps / stepsPerEpoch) + (config.evalSteps ? Math.floor(totalSteps / config.evalSteps) : 0);
  const evalSeconds = evaluations * (validationRows / Math.max(1, config.batchSize)) * (forwardSeconds ?? secondsPerStep * 0.35);
  const featureSeconds = forwardSeconds === undefined ? 0 : forwardSeconds * Math.ceil(train.length / config.batchSize);
  return { totalSteps, secondsPerStep, estimatedSeconds: totalSteps * secondsPerStep + evalSeconds + featureSeconds, peakMemoryBytes, availableMemoryBytes };
}

/**
 * Whether the run learned anything (shared/runDiagnosis.ts), from all its messages, resumes
 * included: a warning in the log and to the extension, before "done".
 */
function diagnose(outDir: string, config: TrainConfig, emit: (m: FromTrainer) => void): void {
  for (const d of diagnoseMessages(readRunMessages(outDir).messages, diagnosisContext(config, outDir))) emit({ type: 'warning', message: d.message });
}

/**
 * A resume trains on the files as they are now: when they are not those the run started on, it
 * says so, with the sizes and the rows then, rather than go on silently with other rows (and
 * another shuffle order) than the steps before it.
 */
async function warnIfDataChanged(outDir: string, config: TrainConfig, emit: (m: FromTrainer) => void): Promise<void> {
  const started = readRunMessages(outDir).messages.find(m => m.type === 'started');
  const rowsThen = started?.type === 'started' ? ` (${(started.trainRows + started.validationRows).toLocaleString('en-US')} rows then)` : '';
  const files: [string | undefined, FileFingerprint | undefined][] = [
    [config.data, config.dataFingerprint],
    [config.validationData, config.validationFingerprint],
  ];
  for (const [file, then] of files) {
    if (!file || !then) continue;
    const now = await fileFingerprint(file);
    if (now && now.sha256 === then.sha256) continue;
    emit({
      type: 'warning',
      message: `${file} changed since this run started: ${then.bytes.toLocaleString('en-US')} bytes${file === config.data ? rowsThen : ''}, now ${now ? `${now.bytes.toLocaleString('en-US')} bytes` : 'unreadable'}. The resumed steps train on other rows than the steps before them, in another order. To train on the new data, start a new run.`,
    });
  }
}
