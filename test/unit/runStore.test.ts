import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ensureRunsFolder, listRuns, newRunDir, newRunName, summarizeRun } from '../../src/extension/runs/runStore';
import { tempDir } from './helpers';

function run(root: string, name: string, lines: object[]): string {
  const dir = path.join(root, '.bert-tune', 'runs', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map(l => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

const evaluation = (step: number, accuracy: number, isBest: boolean) => ({
  type: 'evaluation', step, epoch: 1, loss: 0.5, accuracy, macroF1: accuracy, perClass: [], confusion: [], misclassified: [], isBest,
});

describe('run summaries', () => {
  it('read status, accuracy and best metric from metrics.jsonl; no "done" means interrupted', () => {
    const root = tempDir();
    const done = run(root, '20260101-000000-a', [evaluation(10, 0.7, true), evaluation(20, 0.65, false), { type: 'done', status: 'completed', step: 20, bestMetric: 0.7, bestStep: 10 }]);
    const stopped = run(root, '20260102-000000-b', [{ type: 'done', status: 'stopped', reason: 'stopped on request', step: 3 }]);
    const crashed = run(root, '20260103-000000-c', [evaluation(5, 0.6, true)]);
    fs.appendFileSync(path.join(crashed, 'metrics.jsonl'), '{"type":"progr'); // a torn last line
    assert.deepEqual(
      listRuns(root, new Set()).map(r => [r.name, r.status]),
      [['20260103-000000-c', 'interrupted'], ['20260102-000000-b', 'stopped'], ['20260101-000000-a', 'completed']],
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
  });
});
