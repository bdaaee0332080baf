/**
 * Run folders outlive versions: the committed fixture (test/fixtures/runs/v1-stopped, written by
 * make-run-fixture.ts) must open, replay and resume in every later version, and the readers of
 * train-config.json and metrics.jsonl take older and newer files as runFolder.ts promises.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { summarizeRun } from '../../src/extension/runs/runStore';
import { DamagedRunFileError, RUN_CONFIG_VERSION, parseRunConfig, parseRunMessages, readRunConfig, readRunMessages } from '../../src/shared/runFolder';
import { TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import { statusAfter } from '../../webview-ui/src/metrics/state';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';
import { runCollecting } from './runHelpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'runs', 'v1-stopped');

/** The fixture copied to a temporary folder, its ${FIXTURE} paths pointed there. */
function copyFixture(): string {
  const root = path.join(tempDir(), 'v1-stopped');
  fs.cpSync(FIXTURE, root, { recursive: true });
  const file = path.join(root, 'run', 'train-config.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('${FIXTURE}', root));
  return path.join(root, 'run');
}

before(async () => {
  await useBackend('wasm');
});

describe('a run folder written by version 1 (the committed fixture)', () => {
  it('opens: its settings, every metrics line, its status, best evaluation and checkpoints', () => {
    const run = copyFixture();
    const config = readRunConfig(run);
    assert.equal(config.epochs, 3);
    assert.equal(config.evalSteps, 2);
    const lines = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const { messages, unread } = readRunMessages(run);
    assert.deepEqual(unread, []);
    assert.equal(messages.length, lines.length);
    const summary = summarizeRun(run, false);
    assert.equal(summary.status, 'stopped');
    assert.deepEqual(summary.checkpoints, { resumable: true, usable: true });
    assert.ok(summary.best && summary.best.metric === 'accuracy');
    assert.deepEqual(summary.problems, []);
    assert.equal(messages.reduce(statusAfter, 'interrupted'), 'stopped', 'the panel replays it as stopped');
  });

  it('resumes to the end from its last checkpoint, and its metrics read on as one run', async () => {
    const run = copyFixture();
    const { done, messages } = await runCollecting(readRunConfig(run), { resume: true });
    assert.equal(done.status, 'completed', done.reason);
    const started = messages.find(m => m.type === 'started');
    assert.equal(started?.type === 'started' && started.resumedFromStep, 5);
    const all = readRunMessages(run);
    assert.deepEqual(all.unread, []);
    const steps = all.messages.filter(m => m.type === 'progress').map(m => (m.type === 'progress' ? m.step : 0));
    assert.deepEqual(
      steps,
      [...Array(15).keys()].map(i => i + 1),
      'every step once, in order',
    );
    assert.equal(summarizeRun(run, false).status, 'completed');
  });
});

describe("train-config.json's versions", () => {
  const minimal = { data: '/d.csv', textCol: 'text', labelCol: 'label', model: 'm', out: '/o' };

  it('reads a file without schemaVersion (version 0) and one lacking settings added since, with their defaults', () => {
    const config = parseRunConfig({ ...minimal, epochs: 4 }, 'train-config.json');
    assert.equal(config.epochs, 4);
    assert.equal(config.schedule, TRAIN_DEFAULTS.schedule);
    assert.equal(config.metricForBest, TRAIN_DEFAULTS.metricForBest);
    assert.ok(!('schemaVersion' in config), "the version is the file's, not a setting");
  });

  it('refuses a newer version with what to do, and a damaged one with what is wrong', () => {
    assert.throws(
      () => parseRunConfig({ ...minimal, schemaVersion: RUN_CONFIG_VERSION + 1 }, 'x/train-config.json'),
      (e: Error) => e instanceof DamagedRunFileError && /x\/train-config\.json was written by a newer BERT Tune.*update the extension/.test(e.message),
    );
    assert.throws(() => parseRunConfig({ ...minimal, schemaVersion: 'one' }, 'f'), /schemaVersion is "one"/);
    assert.throws(
      () => parseRunConfig({ ...minimal, epochs: -1 }, 'f'),
      (e: Error) => e instanceof DamagedRunFileError && /f is damaged: .*epochs/i.test(e.message),
    );
    assert.throws(() => parseRunConfig([], 'f'), /holds no settings object/);
  });
});

describe("metrics.jsonl's reader", () => {
  it('reads leniently, and names every line it cannot read instead of dropping it', () => {
    const text = [
      JSON.stringify({
        type: 'progress',
        step: 1,
        totalSteps: 2,
        epoch: 0.5,
        loss: 0.7,
        gradNorm: 1,
        learningRate: 1e-4,
        samplesPerSecond: 3,
        etaSeconds: 1,
        addedLater: { x: 1 },
      }),
      JSON.stringify({ type: 'evaluation', step: 1, epoch: 0.5, loss: 0.6, accuracy: 0.75, macroF1: 0.7 }), // without its tables
      JSON.stringify({ type: 'hyperparameterSweep', trial: 3 }),
      JSON.stringify({ type: 'progress', step: 'two' }),
      'not json',
      JSON.stringify({ type: 'done', status: 'completed', step: 2 }),
      '{"type":"progr',
    ].join('\n');
    const { messages, unread } = parseRunMessages(text);
    assert.deepEqual(
      messages.map(m => m.type),
      ['progress', 'evaluation', 'done'],
    );
    const evaluation = messages[1];
    assert.ok(evaluation.type === 'evaluation' && evaluation.accuracy === 0.75 && evaluation.perClass.length === 0);
    assert.deepEqual(
      unread.map(u => u.line),
      [3, 4, 5, 7],
    );
    assert.match(unread[0].reason, /this version does not know \("hyperparameterSweep"/);
    assert.match(unread[1].reason, /a "progress" message that does not hold what one should/);
    assert.match(unread[3].reason, /cut off/);
  });

  it("lists what it could not read in the Runs view's summary", () => {
    const run = copyFixture();
    fs.appendFileSync(path.join(run, 'metrics.jsonl'), '{"type":"fromTheFuture"}\n');
    const summary = summarizeRun(run, false);
    assert.equal(summary.problems.length, 1);
    assert.match(summary.problems[0], /1 line of metrics\.jsonl could not be read \(line \d+: a kind of message/);
  });
});
