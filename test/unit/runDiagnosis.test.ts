/** #26 (11): a run that learned nothing, or memorises its rows, says so in its log, its summary and its panel. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { diagnoseRun } from '../../src/shared/runDiagnosis';
import { TRAIN_DEFAULTS, type FromTrainer, type TrainConfig } from '../../src/shared/trainerProtocol';
import { RUN_FILES } from '../../src/shared/runFolder';
import { summarizeRun } from '../../src/extension/runs/runStore';
import { applyHostMessage, diagnoses, emptyState } from '../../webview-ui/src/metrics/state';
import { useBackend } from './backendSetup';
import { tempDir, tinyCheckpoint } from './helpers';
import { runCollecting } from './runHelpers';

type Evaluation = Extract<FromTrainer, { type: 'evaluation' }>;

/** An evaluation whose confusion matrix is `confusion` (rows: true labels a, b, c). */
function evaluation(step: number, loss: number, confusion: number[][]): Evaluation {
  const labels = ['a', 'b', 'c'].slice(0, confusion.length);
  const total = confusion.flat().reduce((x, y) => x + y, 0);
  const right = confusion.reduce((x, row, i) => x + row[i], 0);
  return {
    type: 'evaluation',
    step,
    epoch: step / 10,
    loss,
    accuracy: right / total,
    macroF1: 0.2,
    perClass: labels.map((label, i) => ({ label, precision: 0, recall: 0, f1: 0, support: confusion[i].reduce((x, y) => x + y, 0) })),
    confusion,
    misclassified: [],
    isBest: false,
  };
}
const losses = (from: number, to: number, values: number[]) => values.map((loss, i) => ({ step: from + ((to - from) * (i + 1)) / values.length, loss }));

describe('run diagnosis', () => {
  it('a model that answers the majority class for every row has no signal: named, with the likely causes', () => {
    const e = evaluation(10, 1.1, [
      [0, 0, 30],
      [0, 0, 20],
      [0, 0, 50],
    ]);
    const [d] = diagnoseRun([e], [], { learningRate: 5e-5, trainRows: 600, fromScratch: true });
    assert.equal(d.kind, 'noSignal');
    assert.match(
      d.message,
      /the best accuracy, 50\.0 % .*is what always answering "c" scores \(50\.0 % of the validation rows\), and the model answers "c" for every row/,
    );
    assert.match(d.message, /learning rate \(0\.00005\).*600 training rows.*training from scratch/);
  });

  it('a model that beats the majority class by more than a point is fine', () => {
    const good = evaluation(10, 0.5, [
      [20, 5, 5],
      [2, 15, 3],
      [5, 5, 40],
    ]);
    assert.deepEqual(diagnoseRun([good], []), []);
  });

  it('a validation loss that climbs while the training loss falls is overfitting', () => {
    const good = (step: number, loss: number) =>
      evaluation(step, loss, [
        [25, 5],
        [5, 25],
      ]);
    const evaluations = [good(10, 0.6), good(20, 0.45), good(30, 0.55), good(40, 0.7)];
    const progress = [...losses(0, 10, [0.7, 0.65]), ...losses(10, 20, [0.5, 0.45]), ...losses(20, 30, [0.3, 0.2]), ...losses(30, 40, [0.1, 0.05])];
    const [d] = diagnoseRun(evaluations, progress);
    assert.equal(d.kind, 'overfitting');
    assert.match(d.message, /rose from 0\.4500 \(step 20\) to 0\.7000 \(step 40\) while the training loss fell from 0\.4750 to 0\.0750/);
    // both falling: fine
    assert.deepEqual(diagnoseRun([good(10, 0.6), good(20, 0.5), good(30, 0.45)], progress), []);
  });
});

describe('a run with no signal, end to end', () => {
  let base: string;
  before(async () => {
    await useBackend('wasm');
    base = await tinyCheckpoint(path.join(tempDir(), 'base'));
  });

  it('says so in the log before "done", in the Runs summary, and in the metrics panel', async () => {
    // 80 % of one class, and a rate too small to move the random model off it
    const data = path.join(tempDir(), 'skewed.csv');
    fs.writeFileSync(
      data,
      `text,label\n${Array.from({ length: 100 }, (_, i) => `text number ${i} ${'word '.repeat(i % 7)},${i % 5 ? 'a' : 'b'}`).join('\n')}\n`,
    );
    const out = path.join(tempDir(), 'run');
    const config: TrainConfig = {
      ...TRAIN_DEFAULTS,
      data,
      textCol: 'text',
      labelCol: 'label',
      model: base,
      out,
      epochs: 1,
      batchSize: 16,
      learningRate: 1e-9,
      threads: 1,
    };
    const { done, messages } = await runCollecting(config);
    assert.equal(done.status, 'completed');
    const warning = messages.find(m => m.type === 'warning' && /No better than guessing/.test(m.message));
    assert.ok(warning, 'a warning');
    assert.ok(messages.indexOf(warning) < messages.indexOf(messages.find(m => m.type === 'done')!), 'before done');
    assert.match(fs.readFileSync(path.join(out, RUN_FILES.log), 'utf8'), /No better than guessing.*learning rate \(1e-9\)/);
    const summary = summarizeRun(out, false);
    assert.equal(summary.diagnoses[0]?.kind, 'noSignal');
    const state = emptyState();
    applyHostMessage(state, { type: 'init', run: { name: 'r', dir: out, status: 'completed', learningRate: 1e-9 }, messages, comparable: [] });
    assert.match(diagnoses(state)[0].message, /No better than guessing/);
    applyHostMessage(state, { type: 'status', status: 'running' });
    assert.deepEqual(diagnoses(state), [], 'not while it trains');
  });
});
