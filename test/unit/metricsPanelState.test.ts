import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FromTrainer } from '../../src/shared/trainerProtocol';
import { statusAfter, type RunStatus } from '../../webview-ui/src/metrics/runStatus';

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
