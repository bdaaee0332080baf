import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';

const root = path.join(__dirname, '..', '..');
const trainer = path.join(root, 'dist', 'trainer.js');

describe('the bundled trainer (dist/trainer.js)', () => {
  before(() => {
    // Build exactly as the extension ships, so the test sees the copied .wasm files.
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
  });

  it('has the tfjs WASM binaries beside it', () => {
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) assert.ok(fs.existsSync(path.join(root, 'dist', f)), f);
  });

  it('picks WASM with SIMD here, saying why the native backends are not used', () => {
    const out = execFileSync(process.execPath, [trainer, 'backend'], { encoding: 'utf8' });
    const report = JSON.parse(out);
    // tfjs-node cannot install on this machine (its install downloads libtensorflow)
    assert.equal(report.backend, 'wasm');
    assert.equal(report.simd, true);
    assert.deepEqual(report.attempts.map((a: { backend: string }) => a.backend), ['tensorflow-gpu', 'tensorflow', 'wasm']);
    for (const a of report.attempts.slice(0, 2)) assert.match(a.reason, /not installed|failed to load/);
  });

  it('uses the cpu backend when asked', () => {
    const report = JSON.parse(execFileSync(process.execPath, [trainer, 'backend', '--prefer', 'cpu'], { encoding: 'utf8' }));
    assert.equal(report.backend, 'cpu');
  });

  it('inspect prints a dataset summary, and exits 1 when a file has an error', () => {
    const fixtures = path.join(root, 'test', 'fixtures', 'workspace');
    const ok = spawnSync(process.execPath, [trainer, 'inspect', path.join(fixtures, 'sst2-dev-200.tsv')], { encoding: 'utf8' });
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /200 rows, tab-separated, header row/);
    assert.match(ok.stdout, /label \[label\]: 200 values, 2 distinct/);
    const bad = spawnSync(process.execPath, [trainer, 'inspect', '--json', path.join(fixtures, 'bad', 'empty.csv')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(JSON.parse(bad.stdout).problems[0].message, /empty/);
  });

  it('rejects an unknown backend with usage help and exit code 2', () => {
    const r = spawnSync(process.execPath, [trainer, 'backend', '--prefer', 'gpu'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--prefer takes one of/);
  });
});
