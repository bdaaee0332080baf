/**
 * Picks the fastest TensorFlow.js backend that loads here, in the order
 * tfjs-node-gpu → tfjs-node → wasm (SIMD) → cpu, and records why each faster one was passed
 * over, so the user can be told exactly what to install or fix.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';

/** Fastest first: the order in which backends are tried. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was not used: not installed, the load error, no device. */
  reason?: string;
}

export interface BackendReport {
  backend: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  simd?: boolean;
  attempts: BackendAttempt[];
}

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

function tryNative(which: 'tensorflow-gpu' | 'tensorflow'): string | undefined {
  try {
    // Native packages are optional and never bundled: resolved at run time, or absent.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(NATIVE_PACKAGES[which]);
    return undefined;
  } catch (e) {
    return describe(e);
  }
}

export interface SelectOptions {
  /** Skip the faster backends and use this one (or fail saying why). */
  prefer?: BackendName;
  wasmDir?: string;
}

export async function selectBackend(options: SelectOptions = {}): Promise<BackendReport> {
  const order = BACKENDS;
  const start = options.prefer ? order.indexOf(options.prefer) : 0;
  const attempts: BackendAttempt[] = order.slice(0, start).map(b => ({ backend: b, ok: false, reason: 'skipped: another backend was asked for' }));

  for (const backend of order.slice(start)) {
    if (backend === 'tensorflow-gpu' || backend === 'tensorflow') {
      const reason = tryNative(backend);
      if (reason === undefined && (await tf.setBackend('tensorflow').catch(() => false))) {
        attempts.push({ backend, ok: true });
        return { backend, tfBackend: 'tensorflow', attempts };
      }
      attempts.push({ backend, ok: false, reason: reason ?? 'loaded, but tfjs did not register its "tensorflow" backend' });
      continue;
    }
    if (backend === 'wasm') {
      try {
        setWasmPaths(path.join(options.wasmDir ?? defaultWasmDir(), path.sep));
        if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
        await tf.ready();
        const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        attempts.push({ backend, ok: true });
        return { backend, tfBackend: 'wasm', simd, attempts };
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
