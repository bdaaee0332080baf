/**
 * Picks the fastest TensorFlow.js backend that loads here, in the order of BACKENDS
 * (tensorflow-gpu → webgpu on a hardware adapter → tensorflow → wasm → cpu), and records why
 * each faster one was passed over, so the user can be told exactly what to install or fix.
 * Each backend is a file of ./backends; this is only the ladder.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { BACKEND_ENV, BACKENDS, isBackendName, type BackendAttempt, type BackendName, type BackendReport } from '../shared/backendReport';
import { cpuBackend } from './backends/cpu';
import { tensorflowCpuBackend, tensorflowGpuBackend } from './backends/tensorflow';
import type { TrainingBackend } from './backends/types';
import { wasmBackend } from './backends/wasm';
import { releaseStaleGpuBuffers, webgpuBackend, webgpuFault } from './backends/webgpu';

export { BACKENDS, describeBackend, type BackendAttempt, type BackendName, type BackendReport } from '../shared/backendReport';
export { defaultWasmDir } from './backends/wasm';

const LADDER: Record<BackendName, TrainingBackend> = {
  'tensorflow-gpu': tensorflowGpuBackend,
  webgpu: webgpuBackend,
  tensorflow: tensorflowCpuBackend,
  wasm: wasmBackend,
  cpu: cpuBackend,
};

export interface SelectOptions {
  /** Skip the faster backends and use this one (or fail saying why). Default: BERT_TUNE_BACKEND, else the fastest. */
  prefer?: BackendName;
  wasmDir?: string;
  /** Folders holding a node_modules with tfjs-node(-gpu); also BERT_TUNE_NATIVE_MODULES (path-delimited). */
  nativeModuleDirs?: string[];
}

/** The backend asked for through the environment (the extension passes its setting so), if any. */
export function backendFromEnvironment(): BackendName | undefined {
  const v = process.env[BACKEND_ENV];
  return isBackendName(v) ? v : undefined;
}

export async function selectBackend(options: SelectOptions = {}): Promise<BackendReport> {
  // No debug checks, and no "install tfjs-node" banner on stdout: we report backends ourselves.
  tf.enableProdMode();
  const prefer = options.prefer ?? backendFromEnvironment();
  const start = prefer ? BACKENDS.indexOf(prefer) : 0;
  const attempts: BackendAttempt[] = BACKENDS.slice(0, start).map(b => ({ backend: b, ok: false, reason: 'skipped: another backend was asked for' }));
  const nativeModuleDirs = [...(options.nativeModuleDirs ?? []), ...(process.env.BERT_TUNE_NATIVE_MODULES?.split(path.delimiter).filter(Boolean) ?? [])];
  let passedOverGpu: BackendReport['gpu'];
  for (const name of BACKENDS.slice(start)) {
    const loaded = await LADDER[name].load({ forced: name === prefer, wasmDir: options.wasmDir, nativeModuleDirs });
    if ('reason' in loaded) {
      attempts.push({ backend: name, ok: false, reason: loaded.reason });
      passedOverGpu ??= loaded.gpu;
      continue;
    }
    const report: BackendReport = { ...loaded.report, attempts: [...attempts, ...(loaded.attempts ?? [{ backend: name, ok: true }])] };
    // A GPU passed over (a software adapter) is still worth naming in "Show training backend".
    return !report.gpu && passedOverGpu ? { ...report, passedOverGpu } : report;
  }
  throw new Error('no TensorFlow.js backend could be loaded');
}

/** Runs `f` with another registered tfjs backend active (tensors it makes stay there), then switches back. */
export async function onBackend<T>(name: string, f: () => T): Promise<T> {
  const active = tf.getBackend();
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend did not start`);
  try {
    return f();
  } finally {
    await tf.setBackend(active);
  }
}

/**
 * Throws, with what happened, once the backend can no longer be trusted to compute: a WebGPU
 * device lost or out of memory. Called after each step and before every save, so that a run ends
 * as failed with its last good checkpoint rather than writing one from a dead device.
 */
export function assertBackendHealthy(): void {
  const message = backendFaultMessage();
  if (message) throw new Error(message);
}

/** What went wrong with the backend, as a run's failure message; undefined while it is fine. */
export function backendFaultMessage(): string | undefined {
  const fault = tf.getBackend() === 'webgpu' ? webgpuFault() : undefined;
  return fault && `Training stopped: ${fault}. The last checkpoint is kept; Resume continues from it.`;
}

/** Once per training step, evaluation or prediction batch: lets the backend free what it keeps from earlier shapes (WebGPU's buffer pool). */
export function afterBatch(): void {
  releaseStaleGpuBuffers();
}
