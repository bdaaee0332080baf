/**
 * The Python peer of the interop suites: `.cache/venv/bin/python` (README: *Set up and test*) or
 * BERT_TUNE_PYTHON, with torch and transformers. Without one the suites are skipped, with the
 * reason; with BERT_TUNE_EXPECT_INTEROP=1 (CI) a missing stack fails instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function findPython(): { python?: string; why?: string } {
  const python = process.env.BERT_TUNE_PYTHON ?? path.join(ROOT, '.cache', 'venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { why: `no Python at ${python}: make the venv (README, "Set up and test") or set BERT_TUNE_PYTHON` };
  const r = spawnSync(python, ['-c', 'import torch, transformers; print(torch.__version__, transformers.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return { why: `${python} cannot import torch and transformers: ${r.stderr.trim().split('\n').pop()}` };
  return { python };
}

export const found = findPython();
if (!found.python && process.env.BERT_TUNE_EXPECT_INTEROP === '1') throw new Error(`interop tests expected to run: ${found.why}`);
/** The `skip` option of the suites: false, or why they cannot run. */
export const skip: false | string = found.python ? false : `skipped: ${found.why}`;
if (skip) process.stdout.write(`interop: ${skip}\n`);

/** Runs a script of test/interop with the peer; its last line of output. */
export function runPython(script: string, args: string[]): string {
  const r = spawnSync(found.python!, [path.join(__dirname, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').pop()!;
}
