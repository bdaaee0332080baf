/**
 * A training run's metrics panel: header (status, backend, time, throughput, best metric, Stop),
 * live curves, and after each evaluation the per-class table and the confusion matrix, whose
 * cells list the validation rows behind them. Renders what the host sends; the host keeps the run.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../shared/page.css';
import './style.css';
import type { FromTrainer } from '../../../src/shared/trainerProtocol';
import { toMetricsWebviewSchema, type FromMetricsWebview } from '../../../src/shared/webviews/metricsPanelProtocol';
import { vscode } from '../vscodeApi';
import { byId as $, el } from '../shared/dom';
import { EvaluationDetails } from '../shared/evaluationDetails';
import { LiveChart, themeColors } from './charts';
import { Ema, smooth } from './series';
import { CHART_METRICS, METRICS } from '../../../src/shared/metrics';
import { DEFAULT_TASK, type TaskName } from '../../../src/shared/tasks';
import {
  applyHostMessage,
  applyTrainerMessage,
  chartValues,
  emptyState,
  evaluationChoices,
  evaluationHeading,
  headerButtons,
  diagnoses,
  headerFacts,
  metricChartRows,
  shownEvaluation,
  statusLabel,
  type Evaluation,
  type RunStatus,
} from './state';

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
    el('div', { id: 'diagnoses', class: 'diagnoses', role: 'status' }),
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
      el('h3', { id: 'matrix-title' }, 'Confusion matrix'),
      el('p', { id: 'matrix-hint', class: 'hint' }, 'Rows: true label; columns: predicted. Choose a cell to list its validation rows.'),
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
  { xLabel: 'step', yLabel: "the task's loss" },
);
/** The task the metric chart draws the metrics of (set once the run's started message says). */
let chartTask: TaskName | undefined;
let metricChart = newMetricChart([], undefined);
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

/** The chart of the task's two metrics (shared/metrics.ts CHART_METRICS), and the first one of each compared run. */
function newMetricChart(compare: string[], task: TaskName | undefined): LiveChart {
  $('metric-chart').replaceChildren();
  const colors = [c.green, c.purple, c.red, c.orange];
  const [first, second] = CHART_METRICS[task ?? DEFAULT_TASK].map(m => METRICS[m].label);
  chartTask = task;
  return new LiveChart(
    $('metric-chart'),
    'Validation metrics',
    [
      { label: first, color: c.blue, width: 2, spanGaps: true, points: true },
      { label: second, color: c.orange, width: 2, spanGaps: true, points: true },
      ...compare.map((name, i) => ({ label: `${name} ${first}`, color: colors[i % colors.length], dash: [6, 4], spanGaps: true, points: true })),
    ],
    { xLabel: 'step', yLabel: task === 'regression' ? 'score (1 is perfect)' : 'share (0 to 1)' },
  );
}

const state = emptyState();
let smoothing = 0.6;
let ema = new Ema(smoothing);
/** How many evaluations the picker and the table have seen. */
let renderedEvaluations = 0;
/** The table, the matrix and the rows of the cell the user chose (it stays chosen as new evaluations arrive). */
const details = new EvaluationDetails(
  { perClass: $('per-class'), confusion: $('confusion'), cellRows: $('cell-rows'), title: $('matrix-title'), hint: $('matrix-hint') },
  'validation rows',
  line => send({ type: 'openRow', line }),
);

/** A trainer message into the state, and its points onto the curves (drawn as they come, not rebuilt). */
function handle(m: FromTrainer): void {
  applyTrainerMessage(state, m);
  if (m.type === 'started' && m.task !== chartTask)
    metricChart = newMetricChart(
      state.compare.map(s => s.name),
      m.task,
    );
  if (m.type === 'progress') {
    lossChart.push(m.step, [m.loss, ema.next(m.loss), null]);
    lrChart.push(m.step, [m.learningRate]);
  } else if (m.type === 'evaluation') {
    lossChart.setAt(m.step, 2, m.loss);
    metricChart.push(m.step, [...chartValues(m), ...state.compare.map(() => null)]);
  }
}

let shownStatus: RunStatus | undefined;
function renderHeader(): void {
  const { run } = state;
  if (!run) return;
  // Back to running, the Stop button is usable again (it said "Stopping…"); otherwise Resume is.
  if (run.status !== shownStatus) {
    if (run.status === 'running') {
      $('stop').removeAttribute('disabled');
      $('stop').textContent = 'Stop';
    } else resetResume();
    shownStatus = run.status;
  }
  $('run-name').textContent = run.name;
  $('status').textContent = statusLabel(run.status);
  $('status').dataset.status = run.status;
  const buttons = headerButtons(state);
  $('stop').toggleAttribute('hidden', !buttons.stop);
  $('resume').toggleAttribute('hidden', !buttons.resume);
  $('facts').replaceChildren(...headerFacts(state).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('diagnoses').replaceChildren(...diagnoses(state).map(d => el('p', { class: 'diagnosis', 'data-kind': d.kind }, `⚠ ${d.message}`)));
}

function renderEvaluation(e: Evaluation): void {
  $('evaluation').removeAttribute('hidden');
  $('eval-title').textContent = evaluationHeading(state, e);
  details.render(e);
}

/** The list of evaluations to look at: each with its step and accuracy, the best one marked. */
function renderEvaluationPicker(): void {
  const pick = $<HTMLSelectElement>('eval-pick');
  pick.replaceChildren(...evaluationChoices(state).map(c => el('option', { value: c.value }, c.label)));
  pick.value = state.chosenStep === undefined ? '' : String(state.chosenStep);
}

// A cell chosen in the matrix pins its evaluation: a newer one arriving does not swap the rows listed under the user.
$('confusion').addEventListener(
  'click',
  event => {
    if (state.chosenStep !== undefined || !(event.target as HTMLElement).closest('button.cell')) return;
    state.chosenStep = shownEvaluation(state)?.step;
    renderEvaluationPicker();
  },
  true,
);

$('eval-pick').addEventListener('change', () => {
  const value = $<HTMLSelectElement>('eval-pick').value;
  state.chosenStep = value ? Number(value) : undefined;
  const e = shownEvaluation(state);
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
  metricChart = newMetricChart(
    state.compare.map(s => s.name),
    state.started?.task,
  );
  for (const [x, values] of metricChartRows(state)) metricChart.push(x, values);
}

$('smoothing').addEventListener('input', () => {
  smoothing = Number(($('smoothing') as HTMLInputElement).value);
  const s = smooth(state.rawLoss, smoothing);
  lossChart.data[2].splice(0, s.length, ...s);
  // The curve so far, smoothed again; later points go on from the same state.
  ema = new Ema(smoothing);
  state.rawLoss.forEach(v => ema.next(v));
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
    // The whole history again: the curves start over and are drawn from it.
    renderedEvaluations = -1;
    ema = new Ema(smoothing);
    lossChart.reset();
    lrChart.reset();
    metricChart = newMetricChart(
      state.compare.map(s => s.name),
      state.started?.task,
    );
    applyHostMessage(state, { ...m, messages: [] });
    m.messages.forEach(handle);
    applyHostMessage(state, { type: 'status', status: m.run.status });
    renderCompare(m.comparable);
  } else if (m.type === 'append') m.messages.forEach(handle);
  else {
    applyHostMessage(state, m);
    // Also when unchanged: a resume that was refused (its reason is in a notification) may be tried again.
    if (m.type === 'status' && m.status !== 'running') resetResume();
    if (m.type === 'compare') rebuildMetricChart();
  }
  // Once a batch of messages is in (a long run's replay holds thousands of evaluations), not per message.
  if (state.evaluations.length !== renderedEvaluations) {
    renderedEvaluations = state.evaluations.length;
    renderEvaluationPicker();
    const shown = shownEvaluation(state);
    if (shown) renderEvaluation(shown);
    else $('evaluation').setAttribute('hidden', '');
  }
  renderHeader();
});

send({ type: 'ready' });
