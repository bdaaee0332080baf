/**
 * A whole training run: data, model, optimisation, evaluation, checkpoints, stop and resume.
 * Everything it reports goes through `emit` as protocol messages (src/shared/trainerProtocol),
 * and into the run folder: train-config.json, log.txt, metrics.jsonl, checkpoints/best and
 * checkpoints/last (the latter with optimizer and data-order state, for resuming).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANCELLED_BEFORE_TRAINING, type FromTrainer, type TrainConfig } from '../../shared/trainerProtocol';
import { improves, metricValue } from '../../shared/metrics';
import {
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
import { RunFolderWriter, writeFileReplacingAtomically } from './runFolderWriter';
import { describeMessage } from './describeMessage';
import { assertBackendHealthy, backendFaultMessage, describeBackend, onBackend, selectBackend } from '../backend';
import { describeAdapter, gpuAdapterLine, gpuFacts } from '../../shared/backendReport';
import { fitBatchToDevice } from './deviceFit';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/hfCheckpoint';
import { parseSafetensors, toFloat32, writeSafetensors } from '../checkpoint/safetensors';
import { DataError, type LabelledRow } from '../data/loadLabelledData';
import { loadRunRows } from './runRows';
import { resolveModel } from '../hub/resolveModel';
import { frozenParameters, isDecayed } from '../model/parameters';
import type { TextTokenizer } from '../tokenizer/bertTokenizer';
import { Random } from '../util/random';
import { batchesOf, epochOrder, type Example } from './batches';
import { evaluate } from './evaluate';
import { balancedClassWeights } from './metrics';
import { lrFactor, runSteps, warmupSteps, type Schedule } from './schedule';
import { clsFeatures, startHeadOnly, type FeatureCache } from './headOnly';
import { seedsWorkers, startOptimisation, type Optimisation } from './optimisation';
import { clipText, reportedClasses } from '../../shared/reportedEvaluation';
import { describeImbalance } from '../../shared/labelBalance';
import { describeMemoryShortfall, estimatePeakMemory } from '../../shared/memoryFit';
import { tokenLengthAdvice, tokenLengths } from '../../shared/dataFindings';
import { rowFindings } from '../data/doctor';

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

/** The rows tokenised, and which of them the max length cut. */
function toExamples(
  rows: LabelledRow[],
  labelIds: Map<string, number>,
  tokenizer: TextTokenizer,
  maxLength: number,
  file: string,
): { examples: Example[]; truncated: boolean[] } {
  const truncated: boolean[] = [];
  const examples = rows.map(r => {
    const id = labelIds.get(r.label);
    if (id === undefined) {
      throw new DataError(`${file}, line ${r.line}: label "${r.label}" does not occur in the training data (labels: ${[...labelIds.keys()].join(', ')})`);
    }
    const e = tokenizer.encode(r.text, r.pair, maxLength);
    truncated.push(e.truncated);
    return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label: id, line: r.line };
  });
  return { examples, truncated };
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
  if (!options.resume && fs.existsSync(path.join(outDir, RUN_CONFIG))) {
    // Two runs in one folder would mix their logs and checkpoints: refuse, and write nothing there.
    const message = hasResumableCheckpoint(outDir)
      ? `${outDir} already holds a training run: choose another --out folder, or continue that run with --resume`
      : `${outDir} already holds a training run that ended before its first checkpoint: train it again with --resume (from step 0, with its saved settings), or choose another --out folder`;
    control.emit({ type: 'error', message });
    const done: DoneMessage = { type: 'done', status: 'failed', reason: message, step: 0 };
    control.emit(done);
    return done;
  }
  // A run the user is still to confirm writes nothing: the folder, its lock and its files come
  // when the user starts it (a cancelled estimate leaves no "run" behind). Its messages are kept
  // and written then, so log.txt and metrics.jsonl still tell the whole story.
  const recorder = new RunRecorder(outDir, input, control, { deferred: Boolean(control.confirm && !options.resume), resume: Boolean(options.resume) });
  try {
    await recorder.ensureOpen();
  } catch (e) {
    // Locked by another trainer, or a link where a run file should be: this folder is not ours to write.
    const message = e instanceof Error ? e.message : String(e);
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
    private readonly config: TrainConfig,
    private readonly control: RunControl,
    private readonly options: { deferred: boolean; resume: boolean },
  ) {}

  /** The writer, for what only an open run folder does (a resume's truncation). */
  get folder(): RunFolderWriter {
    if (!this.writer) throw new Error('the run folder is not open yet');
    return this.writer;
  }

  /** Opens the folder (unless deferred and not `now`), writes a new run's train-config.json and what was held. */
  async ensureOpen(now = !this.options.deferred): Promise<void> {
    if (this.writer || !now) return;
    this.writer = await RunFolderWriter.open(this.outDir);
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
  const bestDir = checkpointDir(outDir, 'best');
  let config = input;
  let state: TrainerState | undefined;
  if (options.resume) {
    const saved = path.join(outDir, RUN_CONFIG);
    if (!fs.existsSync(saved)) throw new Error(`${outDir}: nothing to resume (no ${RUN_CONFIG}); start a new run there instead`);
    config = readRunConfig(outDir);
    if (hasResumableCheckpoint(outDir)) {
      state = readTrainerState(lastDir);
    } else {
      // It ended before its first checkpoint: nothing of it is worth keeping but its recipe.
      emit({ type: 'log', message: `${outDir} has no checkpoint to continue from: training it again from step 0 with its saved settings.` });
    }
    const dropped = recorder.folder.truncateMetricsAfter(state?.step ?? 0);
    if (dropped)
      emit({
        type: 'log',
        message: `Resuming at step ${state?.step ?? 0}: ${dropped} messages of later steps (trained after the last checkpoint) were removed from ${RUN_FILES.metrics}; those steps are trained again.`,
      });
  }

  const backend = await selectBackend({ prefer: config.backend });
  const backendNotes = backend.attempts.filter(a => !a.ok).map(a => `${a.backend}: ${a.reason}`);
  if (backend.gpu) emit({ type: 'log', message: `${gpuAdapterLine(backend.gpu)}; our kernels: ${backend.kernels?.join(', ') || 'none'}` });

  // Data: the training rows, and validation rows from their own file or a stratified split.
  const { data, train: trainRows, validation: validationRows, validationFile, warnings, findings: fileFindings } = await loadRunRows(config);
  warnings.forEach(message => emit({ type: 'warning', message }));
  // A resumed run was told these at its start.
  const findings = state ? [] : [...fileFindings, ...rowFindings(trainRows, validationRows, config.data, validationFile)];
  findings.slice(fileFindings.length).forEach(f => emit({ type: 'warning', message: f.message }));
  const labels = state?.labels ?? data.labels;
  const labelIds = new Map(labels.map((l, i) => [l, i]));

  // Model: fresh from the base model, or the last checkpoint of this run.
  let modelDir: string;
  if (state) modelDir = lastDir;
  else {
    const resolved = await resolveModel(config.model);
    resolved.notices.forEach(message => emit({ type: 'log', message }));
    modelDir = resolved.dir;
  }
  // With gradient workers the main thread's weights only seed their shared memory: made on the
  // pure-JS backend and released once they start (bert-base: 470 MB a WASM heap would keep).
  const load = () => loadCheckpoint(modelDir, { labels, seed: config.seed, dropout: config.dropout });
  const loaded = !config.headOnly && seedsWorkers(backend, config.threads) ? await onBackend('cpu', load) : load();
  loaded.notices.forEach(message => emit({ type: 'log', message }));
  const { model, tokenizer } = loaded;
  if (config.freezeLayers) {
    let frozen: Set<string>;
    try {
      frozen = frozenParameters(model.config, config.freezeLayers);
    } catch (e) {
      model.dispose();
      throw e;
    }
    model.freeze(frozen);
    const fixed = [...model.params].filter(([name]) => frozen.has(name)).reduce((n, [, v]) => n + v.size, 0);
    emit({
      type: 'log',
      message: `Frozen: the embeddings and encoder layers 0-${config.freezeLayers - 1}; ${model.numParameters - fixed} of ${model.numParameters} parameters train.`,
    });
  }
  const maxLength = Math.min(config.maxLength, model.config.maxPositionEmbeddings, tokenizer.modelMaxLength);
  if (maxLength < config.maxLength) {
    emit({
      type: 'warning',
      message: `max length ${config.maxLength} is more than ${path.basename(modelDir)} reads (${maxLength} tokens: its position embeddings and tokenizer); training with ${maxLength}.`,
    });
  }
  if (backend.gpu && backend.maxTensorBytes) {
    // BERT_TUNE_GPU_MAX_BUFFER_BYTES: pretend the GPU's buffers are smaller (tests; a GPU that fails on large ones).
    const limit = Math.min(backend.maxTensorBytes, Number(process.env.BERT_TUNE_GPU_MAX_BUFFER_BYTES) || Infinity);
    let fit;
    try {
      fit = fitBatchToDevice(model.config, config.batchSize, config.gradientAccumulation, maxLength, limit, describeAdapter(backend.gpu));
    } catch (e) {
      model.dispose();
      throw e;
    }
    if (fit.notice) {
      emit({ type: 'warning', message: fit.notice });
      config = { ...config, batchSize: fit.batchSize, gradientAccumulation: fit.gradientAccumulation };
    }
  }
  const encodedTrain = toExamples(trainRows, labelIds, tokenizer, maxLength, config.data);
  const encodedValidation = toExamples(validationRows, labelIds, tokenizer, maxLength, validationFile);
  const [train, validation] = [encodedTrain.examples, encodedValidation.examples];
  const lengths = tokenLengths(
    [...train, ...validation].map(e => e.inputIds.length),
    [...encodedTrain.truncated, ...encodedValidation.truncated],
    maxLength,
  );
  const lengthAdvice = state ? undefined : tokenLengthAdvice(lengths);
  if (lengthAdvice) emit({ type: 'warning', message: lengthAdvice });
  const validationByLine = new Map(validationRows.map(r => [r.line, r]));
  if (!state) {
    const counts = labels.map((l): [string, number] => [l, 0]);
    for (const e of train) counts[e.label][1]++;
    const imbalance = describeImbalance(counts, config.classWeights, config.metricForBest);
    if (imbalance) emit({ type: 'warning', message: imbalance });
  }

  const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
  const dropoutRandom = new Random((config.seed ^ 0x5bd1e995) >>> 0);
  if (Array.isArray(config.classWeights) && config.classWeights.length !== labels.length) {
    model.dispose();
    throw new Error(`class weights: ${config.classWeights.length} given for ${labels.length} labels (${labels.join(', ')})`);
  }
  const classWeights =
    config.classWeights === 'none'
      ? undefined
      : config.classWeights === 'balanced'
        ? balancedClassWeights(
            train.map(e => e.label),
            labels.length,
          )
        : config.classWeights;
  let optimizer: Optimisation;
  const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: config.weightDecay };
  /** Head-only training's cached [CLS] features: a sample's for the estimate, then every row's. */
  let features: FeatureCache | undefined;
  try {
    if (config.headOnly) {
      optimizer = startHeadOnly(model, decayed, adam, () => features, classWeights);
      emit({
        type: 'log',
        message: 'Head-only training: the encoder stays as it is; its [CLS] features are computed once, then only the pooler and the classifier train.',
      });
    } else {
      optimizer = await startOptimisation(model, decayed, adam, backend, {
        threads: config.threads,
        classWeights,
        warn: message => emit({ type: 'warning', message }),
      });
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  const parameters = model.numParameters;
  if (optimizer.ownsWeights) model.releaseWeights();

  let step = 0;
  let bestMetric: number | undefined;
  let bestStep: number | undefined;
  let evalsWithoutImprovement = 0;
  if (state) {
    step = state.step;
    optimizer.adamStep = state.adamStep;
    dropoutRandom.setState(state.dropoutRandom);
    bestMetric = state.bestMetric;
    bestStep = state.bestStep;
    evalsWithoutImprovement = state.evalsWithoutImprovement;
    const saved = parseSafetensors(fs.readFileSync(path.join(lastDir, CHECKPOINT_FILES.optimizer)), path.join(lastDir, CHECKPOINT_FILES.optimizer));
    for (const [name, entry] of saved.tensors) {
      const [kind, ...rest] = name.split('.');
      if (kind !== 'm' && kind !== 'v') throw new Error(`optimizer state names an unknown parameter ${name}`);
      optimizer.loadOptimizerState(kind, rest.join('.'), toFloat32(entry), entry.shape);
    }
  }

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
    resumedFromStep: state ? step : undefined,
    parameters,
  });
  if (!validation.length)
    emit({ type: 'warning', message: 'No validation rows: metrics and the best checkpoint need some. Give more rows, or a validation file.' });

  if (control.confirm && !state) {
    // Time a forward and backward pass on a typical batch (the second: the first compiles kernels).
    const order = epochOrder(train.length, { seed: config.seed, epoch: 0, shuffle: config.shuffle });
    const sample = batchesOf(train, order, config.batchSize, tokenizer.padId)[0];
    // Head-only: time the encoder's pass on the sample's rows, which also gives the steps features.
    let forwardSeconds: number | undefined;
    if (config.headOnly) {
      const examples = order.slice(0, config.batchSize).map(i => train[i]);
      await clsFeatures(model, examples, config.batchSize, tokenizer.padId);
      const t0 = performance.now();
      features = { values: (await clsFeatures(model, examples, config.batchSize, tokenizer.padId))!, examples };
      forwardSeconds = (performance.now() - t0) / 1000;
    }
    await optimizer.timeGradients(sample);
    const secondsPerStep = (await optimizer.timeGradients(sample)) * config.gradientAccumulation * 1.15; // + the optimizer update
    const peakMemoryBytes = estimatePeakMemory(process.memoryUsage().rss, parameters);
    const availableMemoryBytes = availableMemory();
    const shortfall = describeMemoryShortfall(peakMemoryBytes, availableMemoryBytes);
    if (shortfall) emit({ type: 'warning', message: shortfall });
    features = undefined;
    const evaluations = Math.ceil(totalSteps / stepsPerEpoch) + (config.evalSteps ? Math.floor(totalSteps / config.evalSteps) : 0);
    const evalSeconds = evaluations * (validation.length / Math.max(1, config.batchSize)) * (forwardSeconds ?? secondsPerStep * 0.35);
    const featureSeconds = forwardSeconds === undefined ? 0 : forwardSeconds * Math.ceil(train.length / config.batchSize);
    const counts = new Map<string, number>(labels.map(l => [l, 0]));
    for (const e of train) counts.set(labels[e.label], (counts.get(labels[e.label]) ?? 0) + 1);
    const estimate: Estimate = {
      type: 'estimate',
      labelCounts: [...counts],
      trainRows: train.length,
      validationRows: validation.length,
      skippedRows: data.skipped.count,
      findings,
      tokenLengths: lengths,
      totalSteps,
      secondsPerStep,
      estimatedSeconds: totalSteps * secondsPerStep + evalSeconds + featureSeconds,
      peakMemoryBytes,
      availableMemoryBytes,
    };
    emit(estimate);
    if (!(await control.confirm(estimate))) {
      await optimizer.dispose();
      model.dispose();
      const done: DoneMessage = { type: 'done', status: 'stopped', reason: CANCELLED_BEFORE_TRAINING, step: 0 };
      emit(done);
      return done;
    }
  }
  // Started: from here on the run exists on disk (another trainer may have taken the folder meanwhile).
  try {
    await recorder.ensureOpen(true);
  } catch (e) {
    await optimizer.dispose();
    model.dispose();
    throw e;
  }

  // Checkpoints are written from the optimiser's weights (with workers, the main thread's model is not updated).
  const trained = { config: model.config, torchSources: () => optimizer.torchSources() };

  const saveLast = async () => {
    assertBackendHealthy();
    const trainerState: TrainerState = {
      step,
      adamStep: optimizer.adamStep,
      dropoutRandom: dropoutRandom.getState(),
      bestMetric,
      bestStep,
      evalsWithoutImprovement,
      labels,
      elapsedSeconds: elapsedSoFar(),
    };
    await saveCheckpoint(trained, modelDir, lastDir, {
      [CHECKPOINT_FILES.optimizer]: file => writeSafetensors(file, optimizer.optimizerState(), { format: 'bert-tune-adamw' }),
      [CHECKPOINT_FILES.trainerState]: JSON.stringify(trainerState, null, 2) + '\n',
    });
    emit({ type: 'checkpoint', kind: 'last', path: lastDir, step });
  };

  const runEvaluation = async (): Promise<boolean> => {
    if (!validation.length) {
      await saveLast();
      return false;
    }
    const result = await evaluate(model, validation, labels, config.batchSize * 2, tokenizer.padId, optimizer.evaluationLogits);
    assertBackendHealthy();
    const value = metricValue(result, config.metricForBest);
    const isBest = improves(config.metricForBest, value, bestMetric);
    if (isBest) {
      bestMetric = value;
      bestStep = step;
      evalsWithoutImprovement = 0;
      await saveCheckpoint(trained, modelDir, bestDir);
    } else evalsWithoutImprovement++;
    emit({
      type: 'evaluation',
      step,
      epoch: step / stepsPerEpoch,
      loss: result.loss,
      accuracy: result.accuracy,
      macroF1: result.macroF1,
      ...reportedClasses(result.perClass, result.confusion),
      misclassified: result.misclassified.map(w => {
        const row = validationByLine.get(w.line)!;
        return {
          line: w.line,
          text: clipText(row.text),
          pair: row.pair === undefined ? undefined : clipText(row.pair),
          truth: labels[w.truth],
          predicted: labels[w.predicted],
          confidence: w.confidence,
        };
      }),
      isBest,
    });
    if (isBest) emit({ type: 'checkpoint', kind: 'best', path: bestDir, step });
    await saveLast();
    return config.earlyStoppingPatience !== undefined && evalsWithoutImprovement >= config.earlyStoppingPatience;
  };

  const nextSeed = () => Math.floor(dropoutRandom.next() * 2 ** 31);
  const started = Date.now();
  const elapsedSoFar = () => (state?.elapsedSeconds ?? 0) + (Date.now() - started) / 1000;
  const firstStep = step;
  let samplesSeen = 0;
  let epochCache: { epoch: number; batches: ReturnType<typeof batchesOf> } | undefined;
  let status: DoneMessage['status'] = 'completed';
  let reason: string | undefined;
  try {
    if (config.headOnly) {
      const t0 = Date.now();
      emit({ type: 'log', message: `Computing the encoder's [CLS] features of ${train.length} training rows…` });
      const values = await clsFeatures(model, train, config.batchSize * 2, tokenizer.padId, control.shouldStop);
      if (values) {
        features = { values, examples: train };
        emit({ type: 'log', message: `Features computed in ${((Date.now() - t0) / 1000).toFixed(1)} s.` });
      } else {
        status = 'stopped';
        reason = control.stopReason?.() ?? STOPPED_ON_REQUEST;
        await saveLast();
      }
    }
    while (status === 'completed' && step < totalSteps) {
      const epoch = Math.floor(step / stepsPerEpoch);
      if (epochCache?.epoch !== epoch) {
        const order = epochOrder(train.length, {
          seed: config.seed,
          epoch,
          shuffle: config.shuffle,
          groupByLength: config.groupByLength ? { lengths: train.map(e => e.inputIds.length), batchSize: config.batchSize } : undefined,
        });
        epochCache = { epoch, batches: batchesOf(train, order, config.batchSize, tokenizer.padId) };
      }
      const inEpoch = step - epoch * stepsPerEpoch;
      const micro = epochCache.batches.slice(inEpoch * config.gradientAccumulation, (inEpoch + 1) * config.gradientAccumulation);
      const lr = config.learningRate * lrFactor(schedule, step);
      const result = await optimizer.step(micro, { lr, maxGradNorm: config.maxGradNorm, nextSeed });
      // A lost GPU computes nothing: fail here, before its numbers reach a checkpoint.
      assertBackendHealthy();
      step++;
      reportStep(step);
      samplesSeen += micro.reduce((a, b) => a + b.labels.length, 0);
      const elapsed = (Date.now() - started) / 1000;
      const perStep = elapsed / (step - firstStep);
      emit({
        type: 'progress',
        step,
        totalSteps,
        epoch: step / stepsPerEpoch,
        loss: result.loss,
        gradNorm: result.gradNorm,
        learningRate: lr,
        samplesPerSecond: elapsed > 0 ? samplesSeen / elapsed : 0,
        etaSeconds: Math.max(0, (totalSteps - step) * perStep),
        elapsedSeconds: elapsedSoFar(),
      });
      if (!Number.isFinite(result.loss)) throw new Error(`the loss became ${result.loss} at step ${step}; lower the learning rate`);
      const endOfEpoch = step % stepsPerEpoch === 0;
      if (step < totalSteps && (endOfEpoch || (config.evalSteps && step % config.evalSteps === 0))) {
        if (await runEvaluation()) {
          reason = `early stopping: ${config.metricForBest} did not improve for ${config.earlyStoppingPatience} evaluations`;
          emit({ type: 'log', message: reason });
          break;
        }
      }
      if (control.shouldStop()) {
        status = 'stopped';
        reason = control.stopReason?.() ?? STOPPED_ON_REQUEST;
        await saveLast();
        break;
      }
    }
    if (status === 'completed' && step >= totalSteps) await runEvaluation();
  } finally {
    await optimizer.dispose();
    model.dispose();
  }
  const done: DoneMessage = { type: 'done', status, reason, step, bestMetric, bestStep };
  emit(done);
  return done;
}
