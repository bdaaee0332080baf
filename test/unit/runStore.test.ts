import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ensureRunsFolder, listRuns, newRunDir, newRunName, runContextValue, summarizeRun, type RunStatus } from '../../src/extension/runs/runStore';
import type { RunLock } from '../../src/shared/runFolder';
import { tempDir } from './helpers';

function run(root: string, name: string, lines: object[]): string {
  const dir = path.join(root, '.bert-tune', 'runs', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map(l => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

const evaluation = (step: number, accuracy: number, isBest: boolean) => ({
  type: 'evaluation',
  step,
  epoch: 1,
  loss: 0.5,
  accuracy,
  macroF1: accuracy,
  perClass: [],
  confusion: [],
  misclassified: [],
  isBest,
});

describe('run summaries', () => {
  it('read status, accuracy and best metric from metrics.jsonl; no "done" means interrupted', () => {
    const root = tempDir();
    const done = run(root, '20260101-000000-a', [
      evaluation(10, 0.7, true),
      evaluation(20, 0.65, false),
      { type: 'done', status: 'completed', step: 20, bestMetric: 0.7, bestStep: 10 },
    ]);
    const stopped = run(root, '20260102-000000-b', [{ type: 'done', status: 'stopped', reason: 'stopped on request', step: 3 }]);
    const crashed = run(root, '20260103-000000-c', [evaluation(5, 0.6, true)]);
    fs.appendFileSync(path.join(crashed, 'metrics.jsonl'), '{"type":"progr'); // a torn last line
    assert.deepEqual(
      listRuns(root, new Set()).map(r => [r.name, r.status]),
      [
        ['20260103-000000-c', 'interrupted'],
        ['20260102-000000-b', 'stopped'],
        ['20260101-000000-a', 'completed'],
      ],
    );
    const a = summarizeRun(done, false);
    assert.equal(a.accuracy, 0.65);
    assert.deepEqual(a.best, { metric: 'accuracy', value: 0.7, step: 10 });
    assert.equal(summarizeRun(stopped, false).reason, 'stopped on request');
    assert.equal(summarizeRun(crashed, true).status, 'running');
  });

  it('sees a run change when its metrics.jsonl grows', () => {
    const root = tempDir();
    const dir = run(root, 'r', [evaluation(1, 0.5, true)]);
    assert.equal(summarizeRun(dir, false).status, 'interrupted');
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), JSON.stringify({ type: 'done', status: 'completed', step: 1 }) + '\n');
    assert.equal(summarizeRun(dir, false).status, 'completed');
  });

  it('names run folders safely and keeps checkpoints out of git', () => {
    assert.equal(newRunName('/data/My Reviews (v2).csv', new Date('2026-11-30T07:05:09Z')), '20261130-070509-My_Reviews_v2_');
    assert.equal(newRunName('/x/../../etc.csv', new Date('2026-11-30T07:05:09Z')), '20261130-070509-etc');
    const root = tempDir();
    const runs = ensureRunsFolder(root);
    // two runs started in the same second get two folders
    const now = new Date('2026-11-30T07:05:09Z');
    const first = newRunDir(runs, '/d/a.csv', now);
    fs.mkdirSync(first);
    assert.equal(newRunDir(runs, '/d/a.csv', now), `${first}-2`);
    assert.match(fs.readFileSync(path.join(root, '.bert-tune', '.gitignore'), 'utf8'), /^runs\/\*\/checkpoints\/$/m);
    // a from-scratch run's random base model too (#28)
    assert.match(fs.readFileSync(path.join(root, '.bert-tune', '.gitignore'), 'utf8'), /^runs\/\*\/base-model\/$/m);
    // an earlier version's, untouched, is brought up to date; one the user edited is theirs
    const older = tempDir();
    fs.mkdirSync(path.join(older, '.bert-tune'));
    fs.writeFileSync(
      path.join(older, '.bert-tune', '.gitignore'),
      '# Model checkpoints are large; the configs, logs and metrics of runs are worth keeping.\nruns/*/checkpoints/\n',
    );
    ensureRunsFolder(older);
    assert.match(fs.readFileSync(path.join(older, '.bert-tune', '.gitignore'), 'utf8'), /^runs\/\*\/base-model\/$/m);
    fs.writeFileSync(path.join(older, '.bert-tune', '.gitignore'), 'mine\n');
    ensureRunsFolder(older);
    assert.equal(fs.readFileSync(path.join(older, '.bert-tune', '.gitignore'), 'utf8'), 'mine\n');
  });
});

describe("the Runs view's menus", () => {
  // package.json's view/item/context entries for the Runs view, by command: the regex of their when clause.
  const manifest = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8'));
  const menus = (manifest.contributes.menus['view/item/context'] as { command: string; when: string }[]).filter(m => m.when.includes('view == bertTune.runs'));
  const offered = (contextValue: string) =>
    new Set(
      menus
        .filter(m => {
          const regex = /viewItem =~ \/(.+)\/$/.exec(m.when);
          const equals = /viewItem == (\S+)/.exec(m.when);
          return regex ? new RegExp(regex[1]).test(contextValue) : equals ? equals[1] === contextValue : true;
        })
        .map(m => m.command),
    );
  const value = (status: RunStatus, resumable: boolean, usable: boolean, locked = false) =>
    runContextValue({ status, checkpoints: { resumable, usable }, lockedBy: locked ? ({ pid: 1, host: 'h', startedAt: '' } as RunLock) : undefined });

  it('offers Resume only where a checkpoint can be resumed, and predictions only where one exists', () => {
    const failedEarly = offered(value('failed', false, false));
    assert.ok(!failedEarly.has('bertTune.runs.resume'), 'a run that failed before its first save offered Resume');
    assert.ok(!failedEarly.has('bertTune.runs.useForPredictions'));
    assert.ok(failedEarly.has('bertTune.runs.delete'));
    const stopped = offered(value('stopped', true, true));
    assert.ok(stopped.has('bertTune.runs.resume') && stopped.has('bertTune.runs.useForPredictions') && stopped.has('bertTune.runs.delete'));
    const done = offered(value('completed', true, true));
    assert.ok(!done.has('bertTune.runs.resume') && done.has('bertTune.runs.useForPredictions'));
    // Every run can be renamed and annotated, even one another process trains (notes.json is the extension's alone).
    for (const v of [value('failed', false, false), value('running', true, true), value('completed', true, true), value('stopped', true, true, true)]) {
      assert.ok(offered(v).has('bertTune.runs.rename') && offered(v).has('bertTune.runs.editNote'), v);
    }
    const running = offered(value('running', true, true));
    assert.ok(running.has('bertTune.stopTraining') && !running.has('bertTune.runs.delete') && !running.has('bertTune.runs.resume'));
    const locked = offered(value('stopped', true, true, true));
    assert.ok(!locked.has('bertTune.runs.resume') && !locked.has('bertTune.runs.delete') && !locked.has('bertTune.stopTraining'));
  });

  it('says whether a run folder has checkpoints to resume from or predict with', () => {
    const root = tempDir();
    const early = run(root, 'early', [{ type: 'done', status: 'failed', reason: 'x', step: 0 }]);
    assert.deepEqual(summarizeRun(early, false).checkpoints, { resumable: false, usable: false });
    const later = run(root, 'later', [{ type: 'done', status: 'stopped', reason: 'x', step: 4 }]);
    fs.mkdirSync(path.join(later, 'checkpoints', 'last'), { recursive: true });
    fs.writeFileSync(path.join(later, 'checkpoints', 'last', 'trainer_state.json'), '{}');
    assert.deepEqual(summarizeRun(later, false).checkpoints, { resumable: true, usable: true });
  });
});
