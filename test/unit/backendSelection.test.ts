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
    assert.match(r.attempts[2].reason, /^failed to load: libtensorflow/);
  });

  it('uses tfjs-node when only it is installed', () => {
    const r = select([fakeNative('tfjs-node', 'no-gpu')]);
    assert.equal(r.backend, 'tensorflow');
    assert.equal(r.attempts[0].reason, 'not installed');
  });
});

/**
 * selectBackend in a fresh process whose navigator.gpu is Dawn's, but whose adapters describe
 * themselves as `info` says: the ladder's choice for a GPU this machine does not have.
 */
function selectWithAdapter(info: Record<string, string>, prefer?: string) {
  const script = `
    const path = require('node:path');
    const dawnFile = path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', process.platform + '-' + process.arch, 'dawn.node');
    const m = { exports: {} }; process.dlopen(m, dawnFile);
    Object.assign(globalThis, m.exports.globals);
    const gpu = m.exports.create([]);
    const info = ${JSON.stringify(info)};
    globalThis.navigator = { gpu: { requestAdapter: async o => { const a = await gpu.requestAdapter(o); return a && new Proxy(a, { get: (t, k) => k === 'info' ? info : typeof t[k] === 'function' ? t[k].bind(t) : t[k] }); } } };
    const { selectBackend } = require(${JSON.stringify(path.join(ROOT, 'src', 'trainer', 'backend.ts'))});
    const tf = require('@tensorflow/tfjs-core');
    selectBackend({ prefer: ${JSON.stringify(prefer)}, wasmDir: ${JSON.stringify(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'))} })
      .then(async r => { const sum = (await tf.sum(tf.tensor([1, 2, 3])).data())[0]; console.log(JSON.stringify({ ...r, active: tf.getBackend(), sum })); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('backend selection with a WebGPU adapter', () => {
  // Needs an adapter to stand behind the renamed one: Mesa's software Vulkan here, a GPU elsewhere.
  const probe = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'trainer.js'), 'backend', '--prefer', 'webgpu'], { encoding: 'utf8' });
  // The report's own backend, not an attempt's: every report lists webgpu among its attempts.
  const chosen = (() => {
    try {
      return (JSON.parse(probe.stdout.trim().split('\n').pop() ?? '') as { backend?: string }).backend;
    } catch {
      return undefined;
    }
  })();
  const noAdapter = chosen !== 'webgpu' && process.env.BERT_TUNE_EXPECT_WEBGPU !== '1';

  it('auto picks webgpu on a hardware adapter, after tfjs-node-gpu and before everything else', { skip: noAdapter && 'no WebGPU adapter here' }, () => {
    const r = selectWithAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200: 580.65.06', device: '' });
    assert.equal(r.backend, 'webgpu');
    assert.equal(r.active, 'webgpu');
    assert.equal(r.sum, 6);
    assert.deepEqual(
      r.attempts.map((a: { backend: string }) => a.backend),
      ['tensorflow-gpu', 'webgpu'],
    );
    assert.equal(r.gpu.software, false);
    assert.equal(r.gpu.driver, '580.65.06');
  });

  it('auto passes over a software adapter, names it, and uses it only when asked for', { skip: noAdapter && 'no WebGPU adapter here' }, () => {
    const info = { vendor: 'google', architecture: '', description: 'SwiftShader Device (Subzero)', device: '' };
    const r = selectWithAdapter(info);
    assert.equal(r.backend, 'wasm');
    assert.match(r.attempts[1].reason, /^only a software adapter \(SwiftShader Device \(Subzero\) \(google\), a software adapter\)/);
    assert.equal(r.passedOverGpu.software, true);
    const forced = selectWithAdapter(info, 'webgpu');
    assert.equal(forced.backend, 'webgpu');
    assert.equal(forced.active, 'webgpu');
  });

  it(
    'auto asks for the adapter in a short-lived process, and loads Dawn here only for a GPU it will use',
    { skip: noAdapter && 'no WebGPU adapter here' },
    () => {
      // This machine's adapter is Mesa's software one: auto passes it over without Dawn (and its Vulkan driver) in this process.
      const script = `
      const { selectBackend } = require(${JSON.stringify(path.join(ROOT, 'src', 'trainer', 'backend.ts'))});
      const { dawnLoadedHere } = require(${JSON.stringify(path.join(ROOT, 'src', 'trainer', 'backends', 'dawn.ts'))});
      selectBackend({ wasmDir: ${JSON.stringify(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'))} })
        .then(r => { console.log(JSON.stringify({ ...r, dawnHere: dawnLoadedHere() })); process.exit(0); });`;
      const run = (env: NodeJS.ProcessEnv) => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout.trim().split('\n').pop()!);
      };
      const probed = run({});
      if (!probed.passedOverGpu) return; // a real GPU here: then auto trains on it, and Dawn belongs in this process
      assert.equal(probed.dawnHere, false, 'Dawn was loaded in the process that passed its adapter over');
      assert.match(probed.attempts.find((a: { backend: string }) => a.backend === 'webgpu').reason, /^only a software adapter/);
      // The same answer as asking in-process.
      const here = run({ BERT_TUNE_GPU_PROBE: 'in-process' });
      assert.equal(here.dawnHere, true);
      assert.deepEqual(here.passedOverGpu, probed.passedOverGpu);
      // No Vulkan driver at all: the probe says so, in the same words.
      const none = run({ VK_ICD_FILENAMES: '/nonexistent' });
      assert.equal(none.dawnHere, false);
      assert.match(none.attempts.find((a: { backend: string }) => a.backend === 'webgpu').reason, /^no GPU adapter/);
    },
  );
});
