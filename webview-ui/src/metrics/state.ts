/**
 * The metrics panel's state and what it becomes as messages arrive, apart from the DOM (as
 * GitLens keeps a webview's state apart from its rendering): main.ts feeds it the host's
 * messages and draws what it holds. Pure, so it is unit-tested (test/unit/metricsPanelState.test.ts).
 *
 * A run folder holds every session of a run: a resumed run's metrics.jsonl has the first
 * session's "done" before the second session's "started".
 */
import {
  CHART_METRICS,
  DEFAULT_METRIC,
  describeMetrics,
  formatMetric,
  headlineMetric,
  METRICS,
  metricValue,
  type MetricValues,
} from '../../../src/shared/metrics';
import { DEFAULT_TASK, type TaskName } from '../../../src/shared/tasks';
import type { FromTrainer } from '../../../src/shared/trainerProtocol';
import type { RunInfo, ToMetricsWebview } from '../../../src/shared/webviews/metricsPanelProtocol';
import { formatDuration } from '../../../src/shared/duration';
import { FAMILIES, type FamilyName } from '../../../src/shared/families';
import { diagnoseRun, type RunDiagnosis } from '../../../src/shared/runDiagnosis';

export type RunStatus = RunInfo['status'];
export type Progress = Extract<FromTrainer, { type: 'progress' }>;
export type Evaluation = Extract<FromTrainer, { type: 'evaluation' }>;
type Started = Extract<FromTrainer, { type: 'started' }>;
export type CompareSeries = Extract<ToMetricsWebview, { type: 'compare' }>['series'];

export interface PanelState {
  run: RunInfo | undefined;
  /** The latest session's start (a resume's, after one). */
  started: Started | undefined;
  lastProgress: Progress | undefined;
  best: { value: number; step: number } | undefined;
  /** Every progress message's training loss, in order: the smoothing slider smooths them again. */
  rawLoss: number[];
  /** The step of each of rawLoss. */
  lossSteps: number[];
  evaluations: Evaluation[];
  /** The evaluation the user chose to look at (its step); undefined follows the latest. */
  chosenStep: number | undefined;
  /** Other runs' accuracy curves the user asked to compare with. */
  compare: CompareSeries;
  comparable: string[];
}

export function emptyState(): PanelState {
  return {
    run: undefined,
    started: undefined,
    lastProgress: undefined,
    best: undefined,
    rawLoss: [],
    lossSteps: [],
    evaluations: [],
    chosenStep: undefined,
    compare: [],
    comparable: [],
  };
}

/** A start (a resume too) trains again; a done ends the run as it says. */
export function statusAfter(status: RunStatus, m: FromTrainer): RunStatus {
  if (m.type === 'started') return 'running';
  if (m.type === 'done') return m.status;
  return status;
}

/** The value of the metric that picks the run's best checkpoint. */
export function bestMetricOf(state: PanelState, e: Evaluation): number {
  return metricValue(e, state.run?.metricForBest ?? DEFAULT_METRIC);
}

/**
 * One trainer message into the state. Mutates: a long run's replay is thousands of messages,
 * and copying the arrays for each would make it quadratic.
 */
export function applyTrainerMessage(state: PanelState, m: FromTrainer): void {
  switch (m.type) {
    case 'started':
      state.started = m;
      break;
    case 'progress':
      state.lastProgress = m;
      state.rawLoss.push(m.loss);
      state.lossSteps.push(m.step);
      break;
    case 'evaluation':
      state.evaluations.push(m);
      if (m.isBest) state.best = { value: bestMetricOf(state, m), step: m.step };
      break;
  }
  if (state.run) state.run = { ...state.run, status: statusAfter(state.run.status, m) };
}

/**
 * A host message into the state. `init` starts over with the run's whole history; the host's
 * status comes last, since it knows whether a trainer is at work now (a replayed "done" of an
 * earlier session, before a resume, or a crash's missing "done" must not decide it).
 */
export function applyHostMessage(state: PanelState, m: ToMetricsWebview): void {
  switch (m.type) {
    case 'init': {
      const compare = state.compare;
      Object.assign(state, emptyState(), { run: m.run, compare, comparable: m.comparable });
      m.messages.forEach(x => applyTrainerMessage(state, x));
      state.run = { ...m.run };
      break;
    }
    case 'append':
      m.messages.forEach(x => applyTrainerMessage(state, x));
      break;
    case 'status':
      if (state.run) state.run = { ...state.run, status: m.status, ...(m.resumable === undefined ? {} : { resumable: m.resumable }) };
      break;
    case 'compare':
      state.compare = m.series;
      break;
  }
}

/** Whether the panel's run trains now: then its newest evaluation is the news; otherwise its best is what predictions use. */
const training = (state: PanelState) => state.run?.status === 'running';

/** The evaluation the table and matrix show: the chosen one; else, while training, the latest; else the best (predictions use it). */
export function shownEvaluation(state: PanelState): Evaluation | undefined {
  if (state.chosenStep !== undefined) return state.evaluations.find(e => e.step === state.chosenStep);
  const best = !training(state) && state.best ? state.evaluations.find(e => e.step === state.best!.step) : undefined;
  return best ?? state.evaluations.at(-1);
}

/** For runs of versions that did not report elapsed time: from the ETA's own rate (0 once the run is done). */
function estimateElapsed(p: Progress): number {
  const remaining = p.totalSteps - p.step;
  return remaining > 0 ? (p.etaSeconds / remaining) * p.step : p.etaSeconds;
}

/** "RoBERTa, 124.6M parameters" (an imported run counts none). */
export function describeModel(family: FamilyName, parameters: number): string {
  return parameters ? `${FAMILIES[family].title}, ${(parameters / 1e6).toFixed(1)}M parameters` : FAMILIES[family].title;
}

/** The header's facts, in order: the model, backend, GPU, rows, step, throughput, ETA (while running), elapsed, best, the checkpoint predictions use. */
export function headerFacts(state: PanelState): [string, string][] {
  const { run, started, lastProgress: p, best } = state;
  const facts: [string, string][] = [];
  if (started?.family) facts.push(['Model', describeModel(started.family, started.parameters)]);
  if (started) facts.push(['Backend', started.backend]);
  if (started?.gpu) facts.push(['GPU', started.gpu]);
  if (started) facts.push(['Rows', `${started.trainRows.toLocaleString('en-US')} training, ${started.validationRows.toLocaleString('en-US')} validation`]);
  if (p) {
    facts.push(['Step', `${p.step} of ${p.totalSteps} (epoch ${p.epoch.toFixed(2)})`]);
    facts.push(['Throughput', `${p.samplesPerSecond.toFixed(1)} samples/s`]);
    if (run?.status === 'running') facts.push(['ETA', formatDuration(p.etaSeconds)]);
    facts.push(['Elapsed', formatDuration(p.elapsedSeconds ?? estimateElapsed(p))]);
  }
  if (best) {
    const metric = run?.metricForBest ?? DEFAULT_METRIC;
    facts.push([`Best ${METRICS[metric].label}`, `${formatMetric(metric, best.value)} at step ${best.step}`]);
    facts.push(['Predictions use', `checkpoints/best: the model of step ${best.step}`]);
  }
  return facts;
}

/** What the status badge says. */
export const statusLabel = (status: RunStatus): string => (status === 'completed' ? 'done' : status);

/** The buttons the header offers: Stop while training, Resume for a run that stopped before its end with a checkpoint. */
export function headerButtons(state: PanelState): { stop: boolean; resume: boolean } {
  const status = state.run?.status;
  return { stop: status === 'running', resume: status !== undefined && status !== 'running' && status !== 'completed' && Boolean(state.run?.resumable) };
}

export function evaluationHeading(state: PanelState, e: Evaluation): string {
  const which = e.step === state.best?.step ? ' (the best: predictions use this checkpoint)' : e === state.evaluations.at(-1) ? ' (the latest)' : '';
  return `Evaluation at step ${e.step}${which}: ${describeMetrics(e, 1)}`;
}

/** The evaluation picker's choices: the latest (value ""), then each evaluation with its step and accuracy, the best marked. */
export function evaluationChoices(state: PanelState): { value: string; label: string }[] {
  return [
    { value: '', label: training(state) || !state.best ? 'the latest evaluation' : 'the best evaluation (predictions use it)' },
    ...state.evaluations.map(e => ({
      value: String(e.step),
      label: `step ${e.step}: ${METRICS[headlineMetric(e)].label} ${formatMetric(headlineMetric(e), metricValue(e, headlineMetric(e)))}${e.step === state.best?.step ? ' (best, used for predictions)' : ''}`,
    })),
  ];
}

/** An evaluation's two values on the metric chart (CHART_METRICS of its task); null where it has none. */
export function chartValues(e: MetricValues & { task?: TaskName }): [number | null, number | null] {
  const [a, b] = CHART_METRICS[e.task ?? DEFAULT_TASK].map(m => {
    const v = metricValue(e, m);
    return Number.isFinite(v) ? v : null;
  });
  return [a, b];
}

/** The metric chart's points: every step with an evaluation of this run or of a compared one, with this run's accuracy and macro-F1, then each compared run's accuracy. */
export function metricChartRows(state: PanelState): [number, (number | null)[]][] {
  const steps = [...new Set([...state.evaluations.map(e => e.step), ...state.compare.flatMap(s => s.accuracy.map(([x]) => x))])].sort((a, b) => a - b);
  return steps.map(x => {
    const e = state.evaluations.find(v => v.step === x);
    return [x, [...(e ? chartValues(e) : [null, null]), ...state.compare.map(s => s.accuracy.find(([sx]) => sx === x)?.[1] ?? null)]];
  });
}

/** What the run's evaluations say went wrong (shared/runDiagnosis.ts), once it is not training. */
export function diagnoses(state: PanelState): RunDiagnosis[] {
  if (!state.run || state.run.status === 'running') return [];
  return diagnoseRun(
    state.evaluations,
    state.rawLoss.map((loss, i) => ({ step: state.lossSteps[i], loss })),
    { learningRate: state.run.learningRate, fromScratch: state.run.fromScratch, trainRows: state.started?.trainRows },
  );
}
