/**
 * Picks the fastest TensorFlow.js backend that loads here, in the order
 * tfjs-node-gpu → tfjs-node → wasm (SIMD) → cpu, and records why each faster one was passed
 * over, so the user can be told exactly what to install or fix. On WASM, also whether our
 * native matrix products run (./kernels/nativeKernels.ts) and why not.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { installWasmKernels } from './kernels/wasmKernels';
import { ISA_NAMES, loadNativeKernels } from './kernels/nativeKernels';
import { BACKENDS, type BackendAttempt, type BackendName, type BackendReport } from '../shared/backendReport';
import * as path from 'node:path';

export { BACKENDS, describeBackend, type BackendAttempt, type BackendName, type BackendReport } from '../shared/backendReport';

const NATIVE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** Where the bundled trainer finds the .wasm files: copied beside it by esbuild.mjs. */
export function defaultWasmDir(): string {
  return __dirname;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'MODULE_NOT_FOUND') return 'not installed';
  return `failed to load: ${err?.message?.split('\n')[0] ?? String(e)}`;
}

/**
 * Loads a native package: from the folders given (where "Install native backend" puts it), else
 * from wherever Node resolves it. Native packages are optional and never bundled.
 */
function tryNative(which: 'tensorflow-gpu' | 'tensorflow', dirs: string[]): string | undefined {
  const name = NATIVE_PACKAGES[which];
  let reason: string | undefined;
  for (const dir of dirs) {
    try {
      createRequire(path.join(dir, 'resolve-from-here.js'))(name);
      return undefined;
    } catch (e) {
      const r = describe(e);
      if (r !== 'not installed') return r;
      reason = r;
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(name);
    return undefined;
  } catch (e) {
    return reason && describe(e) === 'not installed' ? reason : describe(e);
  }
}

/** tfjs-node-gpu falls back to the CPU, with only a log line, when CUDA 11.2 / cuDNN 8.1 are missing. */
function usesGpu(): boolean {
  return Boolean((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
}

export interface SelectOptions {
  /** Skip the faster backends and use this one (or fail saying why). */
  prefer?: BackendName;
  wasmDir?: string;
  /** Folders holding a node_modules with tfjs-node(-gpu); also BERT_TUNE_NATIVE_MODULES (path-delimited). */
  nativeModuleDirs?: string[];
}

/** The folder the WASM backend was first initialised from: later calls reuse that instance. */
let wasmDirInUse: string | undefined;

export async function selectBackend(options: SelectOptions = {}): Promise<BackendReport> {
  // No debug checks, and no "install tfjs-node" banner on stdout: we report backends ourselves.
  tf.enableProdMode();
  const order = BACKENDS;
  const start = options.prefer ? order.indexOf(options.prefer) : 0;
  const attempts: BackendAttempt[] = order.slice(0, start).map(b => ({ backend: b, ok: false, reason: 'skipped: another backend was asked for' }));

  const dirs = [...(options.nativeModuleDirs ?? []), ...(process.env.BERT_TUNE_NATIVE_MODULES?.split(path.delimiter).filter(Boolean) ?? [])];
  for (const backend of order.slice(start)) {
    if (backend === 'tensorflow-gpu' || backend === 'tensorflow') {
      const reason = tryNative(backend, dirs);
      if (reason === undefined && (await tf.setBackend('tensorflow').catch(() => false))) {
        if (backend === 'tensorflow-gpu' && !usesGpu()) {
          // Loaded, but on the CPU: still TensorFlow's native CPU kernels, better than WASM.
          attempts.push(
            { backend, ok: false, reason: 'loaded, but it sees no CUDA device (tfjs-node-gpu 4.x needs CUDA 11.2 and cuDNN 8.1); running its CPU kernels' },
            { backend: 'tensorflow', ok: true },
          );
          return { backend: 'tensorflow', tfBackend: 'tensorflow', attempts };
        }
        attempts.push({ backend, ok: true });
        return { backend, tfBackend: 'tensorflow', attempts };
      }
      attempts.push({ backend, ok: false, reason: reason ?? 'loaded, but tfjs did not register its "tensorflow" backend' });
      continue;
    }
    if (backend === 'wasm') {
      try {
        const wasmDir = wasmDirInUse ?? options.wasmDir ?? defaultWasmDir();
        setWasmPaths(path.join(wasmDir, path.sep));
        if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
        await tf.ready();
        wasmDirInUse = wasmDir;
        installWasmKernels();
        const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        attempts.push({ backend, ok: true });
        const native = loadNativeKernels();
        const isa = native.kernels?.isa();
        const nativeKernels = isa ? { isa: ISA_NAMES[isa] ?? isa } : { reason: native.reason ?? 'unknown' };
        return { backend, tfBackend: 'wasm', simd, wasmDir, nativeKernels, attempts };
      } catch (e) {
        attempts.push({ backend, ok: false, reason: describe(e) });
        continue;
      }
    }
    await tf.setBackend('cpu');
    await tf.ready();
    attempts.push({ backend, ok: true });
    return { backend, tfBackend: 'cpu', attempts };
  }
  throw new Error('no TensorFlow.js backend could be loaded');
}
