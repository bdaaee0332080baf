/**
 * A training run's metrics panel: header (status, backend, time, throughput, best metric, Stop),
 * live curves, and after each evaluation the per-class table and the confusion matrix, whose
 * cells list the validation rows behind them. Renders what the host sends; the host keeps the run.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../shared/page.css';
import './style.css';
import { DEFAULT_METRIC, describeMetrics, formatMetric, METRICS, metricValue } from '../../../src/shared/metrics';
import type { FromTrainer } from '../../../src/shared/trainerProtocol';
import { toMetricsWebviewSchema, type FromMetricsWebview, type RunInfo } from '../../../src/shared/webviews/metricsPanelProtocol';
import { vscode } from '../vscodeApi';
import { byId as $, el, pct } from '../shared/dom';
import { EvaluationDetails } from '../shared/evaluationDetails';
import { LiveChart, themeColors } from './charts';
import { Ema, smooth } from './series';
import { statusAfter } from './runStatus';

type Progress = Extract<FromTrainer, { type: 'progress' }>;
type Evaluation = Extract<FromTrainer, { type: 'evaluation' }>;
type Started = Extract<FromTrainer, { type: 'started' }>;

const send = (m: FromMetricsWebview) => vscode.postMessage(m);

document
  .getElementById('app')!
  .replaceChildren(
    el(
      'header',
      { id: 'header' },
      el('h1', { id: 'run-name' }, 'Loading…'),
      el('span', { id: 'status', class: 'badge' }),
      el('vscode-button', { id: 'stop', hidden: '' }, 'Stop'),
      el('vscode-button', { id: 'resume', hidden: '' }, 'Resume'),
    ),
    el('dl', { id: 'facts' }),
    el(
      'section',
      { 'aria-label': 'Curves' },
      el(
        'div',
        { class: 'controls' },
        el('label', { for: 'smoothing' }, 'Smoothing '),
        el('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01', value: '0.6' }),
        el('span', { id: 'compare-box' }),
      ),
      el('div', { id: 'loss-chart', class: 'chart', role: 'img', 'aria-label': 'Training and validation loss per step' }),
      el('div', { id: 'metric-chart', class: 'chart', role: 'img', 'aria-label': 'Validation accuracy and macro-F1 per evaluation' }),
      el('div', { id: 'lr-chart', class: 'chart', role: 'img', 'aria-label': 'Learning rate per step' }),
    ),
    el(
      'section',
      { id: 'evaluation', hidden: '' },
      el('h2', { id: 'eval-title' }, 'Last evaluation'),
      el('div', { class: 'controls' }, el('label', { for: 'eval-pick' }, 'Show the evaluation at '), el('select', { id: 'eval-pick' })),
      el('div', { id: 'per-class' }),
      el('h3', {}, 'Confusion matrix'),
      el('p', { class: 'hint' }, 'Rows: true label; columns: predicted. Choose a cell to list its validation rows.'),
      el('div', { id: 'confusion' }),
      el('div', { id: 'cell-rows', 'aria-live': 'polite' }),
    ),
  );

const c = themeColors();
const lossChart = new LiveChart(
  $('loss-chart'),
  'Loss',
  [
    { label: 'training loss', color: c.blue, width: 1 },
    { label: 'smoothed', color: c.orange, width: 2 },
    { label: 'validation loss', color: c.red, width: 2, spanGaps: true, points: true },
  ],
  { xLabel: 'step', yLabel: 'cross-entropy' },
);
let metricChart = newMetricChart([]);
const lrChart = new LiveChart($('lr-chart'), 'Learning rate', [{ label: 'lr', color: c.purple }], {
  exponential: true,
  xLabel: 'step',
  yLabel: 'learning rate',
});
// VS Code marks the theme on <body>: redraw the charts in the new colours when it changes.
new MutationObserver(() => [lossChart, metricChart, lrChart].forEach(chart => chart.retheme())).observe(document.body, {
  attributes: true,
  attributeFilter: ['class'],
});

function newMetricChart(compare: string[]): LiveChart {
  $('metric-chart').replaceChildren();
  const colors = [c.green, c.purple, c.red, c.orange];
  return new LiveChart(
    $('metric-chart'),
    'Validation metrics',
    [
      { label: 'accuracy', color: c.blue, width: 2, spanGaps: true, points: true },
      { label: 'macro-F1', color: c.orange, width: 2, spanGaps: true, points: true },
      ...compare.map((name, i) => ({ label: `${name} accuracy`, color: colors[i % colors.length], dash: [6, 4], spanGaps: true, points: true })),
    ],
    { xLabel: 'step', yLabel: 'share (0 to 1)' },
  );
}

let run: RunInfo | undefined;
let started: Started | undefined;
let lastProgress: Progress | undefined;
let best: { value: number; step: number } | undefined;
const rawLoss: number[] = [];
let smoothing = 0.6;
let ema = new Ema(smoothing);
const evaluations: Evaluation[] = [];
let compareSeries: { name: string; accuracy: [number, number][] }[] = [];
/** The evaluation the user chose to look at (its step); undefined follows the latest. */
let chosenStep: number | undefined;
/** How many evaluations the picker and the table have seen. */
let renderedEvaluations = 0;
/** The table, the matrix and the rows of the cell the user chose (it stays chosen as new evaluations arrive). */
const details = new EvaluationDetails({ perClass: $('per-class'), confusion: $('confusion'), cellRows: $('cell-rows') }, 'validation rows', line =>
  send({ type: 'openRow', line }),
);

function handle(m: FromTrainer): void {
  switch (m.type) {
    case 'started':
      started = m;
      break;
    case 'progress':
      lastProgress = m;
      rawLoss.push(m.loss);
      lossChart.push(m.step, [m.loss, ema.next(m.loss), null]);
      lrChart.push(m.step, [m.learningRate]);
      break;
    case 'evaluation':
      evaluations.push(m);
      lossChart.setAt(m.step, 2, m.loss);
      metricChart.push(m.step, [m.accuracy, m.macroF1, ...compareSeries.map(() => null)]);
      if (m.isBest) best = { value: metricOf(m), step: m.step };
      break;
  }
  if (run) setStatus(statusAfter(run.status, m));
}

/** A new status; back to running, the Stop button is usable again (it said "Stopping…"). */
function setStatus(status: RunInfo['status']): void {
  if (!run || run.status === status) return;
  run = { ...run, status };
  if (status === 'running') {
    $('stop').removeAttribute('disabled');
    $('stop').textContent = 'Stop';
  } else resetResume();
}

function metricOf(e: Evaluation): number {
  return metricValue(e, run?.metricForBest ?? DEFAULT_METRIC);
}

const duration = (s: number) =>
  s < 60
    ? `${Math.round(s)} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
      : `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;

function renderHeader(): void {
  if (!run) return;
  $('run-name').textContent = run.name;
  $('status').textContent = run.status === 'completed' ? 'done' : run.status;
  $('status').dataset.status = run.status;
  $('stop').toggleAttribute('hidden', run.status !== 'running');
  // Not a completed run: it has nothing left to train.
  $('resume').toggleAttribute('hidden', run.status === 'running' || run.status === 'completed' || !run.resumable);
  const facts: [string, string][] = [];
  if (started?.gpu) facts.push(['Backend', started.backend], ['GPU', started.gpu]);
  else if (started) facts.push(['Backend', started.backend]);
  if (started) facts.push(['Rows', `${started.trainRows.toLocaleString('en-US')} training, ${started.validationRows.toLocaleString('en-US')} validation`]);
  if (lastProgress) {
    facts.push(['Step', `${lastProgress.step} of ${lastProgress.totalSteps} (epoch ${lastProgress.epoch.toFixed(2)})`]);
    facts.push(['Throughput', `${lastProgress.samplesPerSecond.toFixed(1)} samples/s`]);
    if (run.status === 'running') facts.push(['ETA', duration(lastProgress.etaSeconds)]);
    facts.push(['Elapsed', duration(lastProgress.elapsedSeconds ?? estimateElapsed(lastProgress))]);
  }
  if (best) {
    const metric = run.metricForBest ?? DEFAULT_METRIC;
    facts.push([`Best ${METRICS[metric].label}`, `${formatMetric(metric, best.value)} at step ${best.step}`]);
    facts.push(['Predictions use', `checkpoints/best: the model of step ${best.step}`]);
  }
  $('facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

/** For runs of versions that did not report elapsed time: from the ETA's own rate (0 once the run is done). */
function estimateElapsed(p: Progress): number {
  const remaining = p.totalSteps - p.step;
  return remaining > 0 ? (p.etaSeconds / remaining) * p.step : p.etaSeconds;
}

function renderEvaluation(e: Evaluation): void {
  $('evaluation').removeAttribute('hidden');
  const which = e.step === best?.step ? ' (the best: predictions use this checkpoint)' : e === evaluations.at(-1) ? ' (the latest)' : '';
  $('eval-title').textContent = `Evaluation at step ${e.step}${which}: ${describeMetrics(e, 1)}`;
  details.render(e);
}

/** The list of evaluations to look at: each with its step and accuracy, the best one marked. */
function renderEvaluationPicker(): void {
  const pick = $<HTMLSelectElement>('eval-pick');
  const options = [el('option', { value: '' }, 'the latest evaluation')];
  for (const e of evaluations) {
    const option = el(
      'option',
      { value: String(e.step) },
      `step ${e.step}: accuracy ${pct(e.accuracy)}${e.step === best?.step ? ' (best, used for predictions)' : ''}`,
    );
    if (e.step === chosenStep) option.setAttribute('selected', '');
    options.push(option);
  }
  pick.replaceChildren(...options);
  pick.value = chosenStep === undefined ? '' : String(chosenStep);
}

$('eval-pick').addEventListener('change', () => {
  const value = $<HTMLSelectElement>('eval-pick').value;
  chosenStep = value ? Number(value) : undefined;
  const e = chosenStep === undefined ? evaluations.at(-1) : evaluations.find(v => v.step === chosenStep);
  if (e) renderEvaluation(e);
});

function renderCompare(comparable: string[]): void {
  const box = $('compare-box');
  if (!comparable.length) return box.replaceChildren();
  const boxes = comparable.map(name => {
    const input = el('input', { type: 'checkbox', value: name, id: `cmp-${name}` }) as HTMLInputElement;
    input.addEventListener('change', () => send({ type: 'compare', runs: boxes.filter(b => b.checked).map(b => b.value) }));
    return input;
  });
  box.replaceChildren(el('span', {}, ' Compare with: '), ...boxes.flatMap((b, i) => [b, el('label', { for: b.id }, comparable[i]), ' ']));
}

function rebuildMetricChart(): void {
  metricChart = newMetricChart(compareSeries.map(s => s.name));
  const steps = [...new Set([...evaluations.map(e => e.step), ...compareSeries.flatMap(s => s.accuracy.map(([x]) => x))])].sort((a, b) => a - b);
  for (const x of steps) {
    const e = evaluations.find(v => v.step === x);
    metricChart.push(x, [e?.accuracy ?? null, e?.macroF1 ?? null, ...compareSeries.map(s => s.accuracy.find(([sx]) => sx === x)?.[1] ?? null)]);
  }
}

$('smoothing').addEventListener('input', () => {
  smoothing = Number(($('smoothing') as HTMLInputElement).value);
  const s = smooth(rawLoss, smoothing);
  lossChart.data[2].splice(0, s.length, ...s);
  // The curve so far, smoothed again; later points go on from the same state.
  ema = new Ema(smoothing);
  rawLoss.forEach(v => ema.next(v));
  lossChart.drawNow();
});
function resetResume(): void {
  $('resume').removeAttribute('disabled');
  $('resume').textContent = 'Resume';
}

$('resume').addEventListener('click', () => {
  $('resume').setAttribute('disabled', '');
  $('resume').textContent = 'Resuming…';
  send({ type: 'resume' });
});
$('stop').addEventListener('click', () => {
  $('stop').setAttribute('disabled', '');
  $('stop').textContent = 'Stopping…';
  send({ type: 'stop' });
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toMetricsWebviewSchema.safeParse(event.data);
  if (!parsed.success) return console.error('metrics panel: ignored an invalid message', parsed.error.message);
  const m = parsed.data;
  if (m.type === 'init') {
    run = m.run;
    started = lastProgress = best = undefined;
    rawLoss.length = 0;
    evaluations.length = 0;
    chosenStep = undefined;
    renderedEvaluations = -1;
    ema = new Ema(smoothing);
    lossChart.reset();
    lrChart.reset();
    metricChart = newMetricChart(compareSeries.map(s => s.name));
    m.messages.forEach(handle);
    // The host knows whether a trainer is at work now: a replayed "done" of an earlier session
    // (before a resume) or a crash's missing "done" must not decide it.
    setStatus(m.run.status);
    renderCompare(m.comparable);
  } else if (m.type === 'append') m.messages.forEach(handle);
  else if (m.type === 'status') {
    if (run && m.resumable !== undefined) run = { ...run, resumable: m.resumable };
    setStatus(m.status);
    // Also when unchanged: a resume that was refused (its reason is in a notification) may be tried again.
    if (m.status !== 'running') resetResume();
  } else if (m.type === 'compare') {
    compareSeries = m.series;
    rebuildMetricChart();
  }
  // Once a batch of messages is in (a long run's replay holds thousands of evaluations), not per message.
  if (evaluations.length !== renderedEvaluations) {
    renderedEvaluations = evaluations.length;
    renderEvaluationPicker();
    const shown = chosenStep === undefined ? evaluations.at(-1) : evaluations.find(v => v.step === chosenStep);
    if (shown) renderEvaluation(shown);
    else $('evaluation').setAttribute('hidden', '');
  }
  renderHeader();
});

send({ type: 'ready' });
