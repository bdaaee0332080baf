import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const TFJS_CORE = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-core');
const TFJS_CPU = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-cpu');

/**
 * A stand-in for tfjs-node(-gpu) in a folder of its own: it registers a "tensorflow" backend
 * (the CPU kernels under that name) and says whether it found a GPU, or fails to load like a
 * tfjs-node whose libtensorflow is missing.
 */
function fakeNative(pkg: 'tfjs-node' | 'tfjs-node-gpu', behaviour: 'gpu' | 'no-gpu' | 'broken'): string {
  const dir = tempDir();
  const pkgDir = path.join(dir, 'node_modules', '@tensorflow', pkg);
  fs.mkdirSync(pkgDir, { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: `@tensorflow/${pkg}`, main: 'index.js' }));
  fs.writeFileSync(
    path.join(pkgDir, 'index.js'),
    behaviour === 'broken'
      ? `throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');`
      : `const tf = require(${JSON.stringify(TFJS_CORE)});
         const cpu = require(${JSON.stringify(TFJS_CPU)});
         class Fake extends cpu.MathBackendCPU { get isUsingGpuDevice() { return ${behaviour === 'gpu'}; } }
         tf.registerBackend('tensorflow', () => new Fake(), 0);
         for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });`,
  );
  return dir;
}

/** Runs selectBackend in a fresh process (backends are process-wide) and returns its report. */
function select(dirs: string[], prefer?: string) {
  const script = `
    const { selectBackend } = require(${JSON.stringify(path.join(ROOT, 'src', 'trainer', 'backend.ts'))});
    const tf = require('@tensorflow/tfjs-core');
    selectBackend({ nativeModuleDirs: ${JSON.stringify(dirs)}, prefer: ${JSON.stringify(prefer)}, wasmDir: ${JSON.stringify(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'))} })
      .then(r => { const sum = tf.sum(tf.tensor([1, 2, 3])).dataSync()[0]; console.log(JSON.stringify({ ...r, active: tf.getBackend(), sum })); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('backend selection with native packages present', () => {
  it('uses tfjs-node-gpu when it finds a CUDA device', () => {
    const r = select([fakeNative('tfjs-node-gpu', 'gpu')]);
    assert.equal(r.backend, 'tensorflow-gpu');
    assert.equal(r.active, 'tensorflow');
    assert.equal(r.sum, 6);
  });

  it('says tfjs-node-gpu saw no CUDA device, and runs its CPU kernels rather than WASM', () => {
    const r = select([fakeNative('tfjs-node-gpu', 'no-gpu')]);
    assert.equal(r.backend, 'tensorflow');
    assert.match(r.attempts[0].reason, /no CUDA device.*CUDA 11\.2 and cuDNN 8\.1/);
  });

  it('reports the load error of a broken native package, then falls back', () => {
    const r = select([fakeNative('tfjs-node-gpu', 'broken'), fakeNative('tfjs-node', 'broken')]);
    assert.equal(r.backend, 'wasm');
    assert.match(r.attempts[0].reason, /^failed to load: libtensorflow\.so\.2: cannot open shared object file/);
    assert.match(r.attempts[1].reason, /^failed to load: libtensorflow/);
  });

  it('uses tfjs-node when only it is installed', () => {
    const r = select([fakeNative('tfjs-node', 'no-gpu')]);
    assert.equal(r.backend, 'tensorflow');
    assert.equal(r.attempts[0].reason, 'not installed');
  });
});
