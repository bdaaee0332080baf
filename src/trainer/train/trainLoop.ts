/**
 * The training loop, read top to bottom: each step takes its micro-batches, updates, reports;
 * at the end of an epoch (or every evalSteps) the run evaluates, keeps its best checkpoint and
 * saves the last; a stop finishes the step and saves. runTraining.ts prepares what it needs
 * (`TrainingRun`) and owns the model and optimiser around it.
 */
import { improves, metricValue } from '../../shared/metrics';
import { CHECKPOINT_FILES, type TrainerState } from '../../shared/runFolder';
import type { FromTrainer, TrainConfig } from '../../shared/trainerProtocol';
import { assertBackendHealthy } from '../backend';
import { saveCheckpoint } from '../checkpoint/hfCheckpoint';
import { writeSafetensors } from '../checkpoint/safetensors';
import type { LabelledRow } from '../data/loadLabelledData';
import type { Classifier } from '../model/classifier';
import type { TextTokenizer } from '../tokenizer/bertTokenizer';
import type { Random } from '../util/random';
import type { LossSpec } from '../step/loss';
import { foldedSources, unfoldedSources, type TargetScale } from '../task/targetScale';
import { familyNamed } from '../model/families/index';
import { batchesOf, epochOrder, type Example } from './batches';
import { evaluate, reportedEvaluation, thresholdsFile } from './evaluate';
import { clsFeatures, type FeatureCache } from './headOnly';
import type { Optimisation } from './optimisation';
import { lrFactor, type Schedule } from './schedule';

type DoneStatus = Extract<FromTrainer, { type: 'done' }>['status'];

/** What stays fixed for the run's whole loop. */
export interface TrainingRun {
  config: TrainConfig;
  emit: (m: FromTrainer) => void;
  shouldStop: () => boolean;
  stopReason: () => string;
  model: Classifier;
  tokenizer: TextTokenizer;
  optimizer: Optimisation;
  labels: string[];
  /** The task's loss (its weights too): evaluation reads the task from it. */
  loss: LossSpec;
  /** Regression with a standardised target: its mean and deviation, folded into each checkpoint (task/targetScale.ts). */
  targetScale?: TargetScale;
  train: Example[];
  validation: Example[];
  /** The validation rows by data line: the texts of misclassified rows. */
  validationByLine: Map<number, LabelledRow>;
  /** Where the model came from (its tokenizer files go into each checkpoint). */
  modelDir: string;
  lastDir: string;
  bestDir: string;
  schedule: Schedule;
  stepsPerEpoch: number;
  dropoutRandom: Random;
  /** Head-only training's cached [CLS] features, which its optimiser reads. */
  features: { current: FeatureCache | undefined };
}

/** What the loop advances, saved in each last checkpoint's trainer_state.json for a resume. */
export interface RunProgress {
  step: number;
  bestMetric: number | undefined;
  bestStep: number | undefined;
  evalsWithoutImprovement: number;
  /** Seconds trained in earlier sessions of the run. */
  elapsedBefore: number;
}

export interface LoopEnd {
  status: DoneStatus;
  reason: string | undefined;
}

/** Trains from `progress.step` to the end, an early stop or a stop request, and evaluates at the end. */
export async function trainLoop(run: TrainingRun, progress: RunProgress, reportStep: (step: number) => void): Promise<LoopEnd> {
  const { config, emit, optimizer, schedule, stepsPerEpoch } = run;
  const clock = new RunClock(progress);
  const stopped = async (): Promise<LoopEnd> => {
    await saveLast(run, progress, clock);
    return { status: 'stopped', reason: run.stopReason() };
  };

  if (config.headOnly && !(await computeFeatures(run))) return stopped();

  const nextSeed = () => Math.floor(run.dropoutRandom.next() * 2 ** 31);
  let epochBatches: { epoch: number; batches: ReturnType<typeof batchesOf> } | undefined;
  while (progress.step < schedule.totalSteps) {
    const epoch = Math.floor(progress.step / stepsPerEpoch);
    if (epochBatches?.epoch !== epoch) epochBatches = { epoch, batches: batchesOfEpoch(run, epoch) };
    const inEpoch = progress.step - epoch * stepsPerEpoch;
    const micro = epochBatches.batches.slice(inEpoch * config.gradientAccumulation, (inEpoch + 1) * config.gradientAccumulation);
    const lr = config.learningRate * lrFactor(schedule, progress.step);

    const result = await optimizer.step(micro, { lr, maxGradNorm: config.maxGradNorm, nextSeed });
    // A lost GPU computes nothing: fail here, before its numbers reach a checkpoint.
    assertBackendHealthy();
    progress.step++;
    reportStep(progress.step);
    clock.stepDone(micro.reduce((a, b) => a + b.labels.length, 0));
    emit({
      type: 'progress',
      step: progress.step,
      totalSteps: schedule.totalSteps,
      epoch: progress.step / stepsPerEpoch,
      loss: result.loss,
      gradNorm: result.gradNorm,
      learningRate: lr,
      samplesPerSecond: clock.samplesPerSecond(),
      etaSeconds: clock.etaSeconds(schedule.totalSteps - progress.step),
      elapsedSeconds: clock.elapsedSeconds(),
    });
    if (!Number.isFinite(result.loss)) throw new Error(`the loss became ${result.loss} at step ${progress.step}; lower the learning rate`);

    const evaluationDue = progress.step % stepsPerEpoch === 0 || (config.evalSteps && progress.step % config.evalSteps === 0);
    if (progress.step < schedule.totalSteps && evaluationDue && (await evaluateAndSave(run, progress, clock))) {
      const reason = `early stopping: ${config.metricForBest} did not improve for ${config.earlyStoppingPatience} evaluations`;
      emit({ type: 'log', message: reason });
      return { status: 'completed', reason };
    }
    if (run.shouldStop()) return stopped();
  }
  await evaluateAndSave(run, progress, clock);
  return { status: 'completed', reason: undefined };
}

/** Wall-clock time of this session (and of the run's earlier ones), throughput and ETA. */
class RunClock {
  private readonly started = Date.now();
  private readonly firstStep: number;
  private samples = 0;

  constructor(private readonly progress: RunProgress) {
    this.firstStep = progress.step;
  }

  stepDone(samples: number): void {
    this.samples += samples;
  }

  private sessionSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  samplesPerSecond(): number {
    const s = this.sessionSeconds();
    return s > 0 ? this.samples / s : 0;
  }

  etaSeconds(stepsLeft: number): number {
    return Math.max(0, stepsLeft * (this.sessionSeconds() / Math.max(1, this.progress.step - this.firstStep)));
  }

  elapsedSeconds(): number {
    return this.progress.elapsedBefore + this.sessionSeconds();
  }
}

/** One epoch's batches: shuffled from the seed and the epoch (a resumed run gets the same order), grouped by length if asked. */
function batchesOfEpoch(run: TrainingRun, epoch: number): ReturnType<typeof batchesOf> {
  const { config, train } = run;
  const order = epochOrder(train.length, {
    seed: config.seed,
    epoch,
    shuffle: config.shuffle,
    groupByLength: config.groupByLength ? { lengths: train.map(e => e.inputIds.length), batchSize: config.batchSize } : undefined,
  });
  return batchesOf(train, order, config.batchSize, run.tokenizer.padId);
}

/** Head-only training: every training row's [CLS] features, once; false when a stop came first. */
async function computeFeatures(run: TrainingRun): Promise<boolean> {
  const t0 = Date.now();
  run.emit({ type: 'log', message: `Computing the encoder's [CLS] features of ${run.train.length} training rows…` });
  const values = await clsFeatures(run.model, run.train, run.config.batchSize * 2, run.tokenizer.padId, run.shouldStop);
  if (!values) return false;
  run.features.current = { values, examples: run.train };
  run.emit({ type: 'log', message: `Features computed in ${((Date.now() - t0) / 1000).toFixed(1)} s.` });
  return true;
}

/**
 * Checkpoints are written from the optimiser's weights: with workers, the main thread's model is
 * not updated. A standardised target is folded into the output layer: checkpoints predict in its units.
 */
const trainedModel = (run: TrainingRun) => ({
  config: run.model.config,
  torchSources: () => {
    const sources = run.optimizer.torchSources();
    return run.targetScale ? foldedSources(sources, outputLayer(run), run.targetScale) : sources;
  },
});

const outputLayer = (run: TrainingRun) => familyNamed(run.model.config.family).parts.outputLayer;

/** checkpoints/last: the weights, AdamW's moments and what a resume needs to go on as if never stopped. */
async function saveLast(run: TrainingRun, progress: RunProgress, clock: RunClock): Promise<void> {
  assertBackendHealthy();
  const trainerState: TrainerState = {
    step: progress.step,
    adamStep: run.optimizer.adamStep,
    dropoutRandom: run.dropoutRandom.getState(),
    bestMetric: progress.bestMetric,
    bestStep: progress.bestStep,
    evalsWithoutImprovement: progress.evalsWithoutImprovement,
    labels: run.labels,
    elapsedSeconds: clock.elapsedSeconds(),
    targetScale: run.targetScale,
  };
  // A standardised regression keeps its output layer as trained beside the moments: its resume goes on from the same values.
  const unfolded = run.targetScale ? unfoldedSources(run.optimizer.torchSources(), outputLayer(run)) : [];
  await saveCheckpoint(trainedModel(run), run.modelDir, run.lastDir, {
    [CHECKPOINT_FILES.optimizer]: file => writeSafetensors(file, [...run.optimizer.optimizerState(), ...unfolded], { format: 'bert-tune-adamw' }),
    [CHECKPOINT_FILES.trainerState]: JSON.stringify(trainerState, null, 2) + '\n',
  });
  run.emit({ type: 'checkpoint', kind: 'last', path: run.lastDir, step: progress.step });
}

/** Evaluates, keeps a new best in checkpoints/best, saves the last; true when early stopping ends the run. */
async function evaluateAndSave(run: TrainingRun, progress: RunProgress, clock: RunClock): Promise<boolean> {
  const { config, labels, emit } = run;
  if (!run.validation.length) {
    await saveLast(run, progress, clock);
    return false;
  }
  const result = await evaluate(
    run.model,
    run.validation,
    { task: run.loss.task, labels, targetScale: run.targetScale },
    config.batchSize * 2,
    run.tokenizer.padId,
    run.optimizer.evaluationLogits,
  );
  assertBackendHealthy();
  const value = metricValue(result, config.metricForBest);
  const isBest = improves(config.metricForBest, value, progress.bestMetric);
  if (isBest) {
    progress.bestMetric = value;
    progress.bestStep = progress.step;
    progress.evalsWithoutImprovement = 0;
    await saveCheckpoint(trainedModel(run), run.modelDir, run.bestDir, thresholdsFile(result, labels, progress.step, run.validation.length));
  } else progress.evalsWithoutImprovement++;
  emit({
    type: 'evaluation',
    step: progress.step,
    epoch: progress.step / run.stepsPerEpoch,
    ...reportedEvaluation(result, run.validationByLine),
    isBest,
  });
  if (isBest) emit({ type: 'checkpoint', kind: 'best', path: run.bestDir, step: progress.step });
  await saveLast(run, progress, clock);
  return config.earlyStoppingPatience !== undefined && progress.evalsWithoutImprovement >= config.earlyStoppingPatience;
}
