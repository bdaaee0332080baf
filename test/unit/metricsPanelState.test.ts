import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FromTrainer } from '../../src/shared/trainerProtocol';
import type { RunInfo } from '../../src/shared/webviews/metricsPanelProtocol';
import {
  applyHostMessage,
  emptyState,
  evaluationChoices,
  evaluationHeading,
  headerButtons,
  headerFacts,
  metricChartRows,
  shownEvaluation,
  statusAfter,
  type RunStatus,
} from '../../webview-ui/src/metrics/state';
import { formatDuration, formatEstimate } from '../../src/shared/duration';

const started = (resumedFromStep?: number): FromTrainer => ({
  type: 'started',
  runDir: '/r',
  backend: 'cpu',
  backendNotes: [],
  labels: ['a', 'b'],
  trainRows: 8,
  validationRows: 2,
  totalSteps: 10,
  resumedFromStep,
  parameters: 1,
});
const progress = (step: number): FromTrainer => ({
  type: 'progress',
  step,
  totalSteps: 10,
  epoch: step / 5,
  loss: 0.5,
  learningRate: 1e-4,
  gradNorm: 1,
  samplesPerSecond: 3,
  etaSeconds: 5,
});
const done = (status: 'completed' | 'stopped' | 'failed', step: number): FromTrainer => ({ type: 'done', status, step });

const replay = (messages: FromTrainer[], from: RunStatus = 'interrupted') => messages.reduce(statusAfter, from);

describe("the metrics panel's run status", () => {
  it('is running again after a resume: the first session\'s "done" does not decide it', () => {
    const session1 = [started(), progress(1), progress(2), done('stopped', 2)];
    assert.equal(replay(session1), 'stopped');
    assert.equal(replay([...session1, started(2)]), 'running');
    assert.equal(replay([...session1, started(2), progress(3)]), 'running');
    assert.equal(replay([...session1, started(2), progress(3), done('completed', 10)]), 'completed');
  });

  it('leaves the status to the other messages as it was', () => {
    assert.equal(statusAfter('stopped', progress(3)), 'stopped');
    assert.equal(statusAfter('running', { type: 'log', message: 'x' }), 'running');
    assert.equal(statusAfter('running', done('failed', 0)), 'failed');
  });
});

const evaluation = (step: number, accuracy: number, isBest: boolean): FromTrainer => ({
  type: 'evaluation',
  step,
  epoch: step / 5,
  loss: 0.4,
  accuracy,
  macroF1: accuracy - 0.1,
  perClass: [],
  confusion: [],
  misclassified: [],
  isBest,
});
const run = (status: RunStatus, extra: Partial<RunInfo> = {}): RunInfo => ({ name: 'd · bert-mini', dir: '/r', status, ...extra });

describe("the metrics panel's state, apart from its rendering", () => {
  it("replays a resumed run's history: the host's status decides, the best and the latest evaluation are known", () => {
    const state = emptyState();
    const history = [started(), progress(1), evaluation(1, 0.7, true), progress(2), evaluation(2, 0.6, false), done('stopped', 2), started(2), progress(3)];
    applyHostMessage(state, { type: 'init', run: run('stopped', { resumable: true }), messages: history, comparable: ['other'] });
    assert.equal(state.run?.status, 'stopped', "init's run status is the host's, not the replay's");
    assert.equal(state.rawLoss.length, 3);
    assert.deepEqual(state.best, { value: 0.7, step: 1 });
    assert.equal(shownEvaluation(state)?.step, 1, 'a run not training shows its best evaluation: the one predictions use');
    applyHostMessage(state, { type: 'status', status: 'running' });
    assert.equal(shownEvaluation(state)?.step, 2, 'while it trains, the newest');
    applyHostMessage(state, { type: 'status', status: 'stopped' });
    assert.deepEqual(headerButtons(state), { stop: false, resume: true });
    applyHostMessage(state, { type: 'status', status: 'running' });
    assert.deepEqual(headerButtons(state), { stop: true, resume: false });
    assert.equal(state.run?.resumable, true, 'a status without resumable keeps it');
    // A second init starts over.
    applyHostMessage(state, { type: 'init', run: run('completed'), messages: [started(), progress(1)], comparable: [] });
    assert.equal(state.evaluations.length, 0);
    assert.equal(state.best, undefined);
    assert.deepEqual(headerButtons(state), { stop: false, resume: false });
  });

  it('says the best evaluation by the run’s own metric, and which checkpoint predictions use', () => {
    const state = emptyState();
    applyHostMessage(state, { type: 'init', run: run('running', { metricForBest: 'macro_f1' }), messages: [started(), progress(4)], comparable: [] });
    applyHostMessage(state, { type: 'append', messages: [evaluation(4, 0.8, true)] });
    const facts = Object.fromEntries(headerFacts(state));
    assert.equal(facts['Best macro-F1'], '70.0% at step 4');
    assert.equal(facts['Predictions use'], 'checkpoints/best: the model of step 4');
    assert.equal(facts.Step, '4 of 10 (epoch 0.80)');
    assert.equal(facts.Model, undefined, 'a run of an earlier version names no family');
    applyHostMessage(state, {
      type: 'append',
      messages: [{ ...(started() as Extract<FromTrainer, { type: 'started' }>), family: 'roberta', parameters: 124_645_632 }],
    });
    assert.equal(Object.fromEntries(headerFacts(state)).Model, 'RoBERTa, 124.6M parameters');
    assert.ok('ETA' in facts, 'a running run has an ETA');
    assert.match(evaluationHeading(state, state.evaluations[0]), /^Evaluation at step 4 \(the best: predictions use this checkpoint\): /);
  });

  it('offers every evaluation to look at, the best marked, and shows the one chosen', () => {
    const state = emptyState();
    applyHostMessage(state, { type: 'init', run: run('completed'), messages: [evaluation(5, 0.9, true), evaluation(10, 0.85, false)], comparable: [] });
    assert.deepEqual(
      evaluationChoices(state).map(c => c.label),
      ['the best evaluation (predictions use it)', 'step 5: accuracy 90.0% (best, used for predictions)', 'step 10: accuracy 85.0%'],
    );
    assert.equal(shownEvaluation(state)?.step, 5);
    state.chosenStep = 10;
    assert.equal(shownEvaluation(state)?.step, 10);
    state.chosenStep = 5;
    assert.equal(shownEvaluation(state)?.step, 5);
    assert.match(evaluationHeading(state, state.evaluations[1]), /\(the latest\)/);
    assert.ok(!('ETA' in Object.fromEntries(headerFacts(state))));
  });

  it("lines up a compared run's accuracy with this run's steps", () => {
    const state = emptyState();
    applyHostMessage(state, { type: 'init', run: run('completed'), messages: [evaluation(5, 0.9, true)], comparable: ['b'] });
    applyHostMessage(state, {
      type: 'compare',
      series: [
        {
          name: 'b',
          accuracy: [
            [3, 0.5],
            [5, 0.6],
          ],
        },
      ],
    });
    assert.deepEqual(metricChartRows(state), [
      [3, [null, null, 0.5]],
      [5, [0.9, 0.8, 0.6]],
    ]);
  });

  it('writes elapsed time as a person reads it', () => {
    assert.equal(formatDuration(42), '42 s');
    assert.equal(formatDuration(125), '2 min 5 s');
    assert.equal(formatDuration(3 * 3600 + 600), '3 h 10 min');
    // at the carries: rounded to the unit shown before it is split (#28: "1 min 60 s")
    assert.equal(formatDuration(59.6), '1 min 0 s');
    assert.equal(formatDuration(119.6), '2 min 0 s');
    assert.equal(formatDuration(3599.6), '1 h 0 min');
    assert.equal(formatDuration(7199), '2 h 0 min');
    assert.equal(formatDuration(3600 + 59 * 60 + 45), '2 h 0 min');
    assert.equal(formatEstimate(59.4), '59 s');
    assert.equal(formatEstimate(59.6), '1 min');
    assert.equal(formatEstimate(3599), '1 h 0 min');
    assert.equal(formatEstimate(0.2), '1 s');
  });
});
