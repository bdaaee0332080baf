/**
 * tfjs-node-gpu and tfjs-node: TensorFlow's own kernels, optional packages installed by
 * "Install native backend" into the extension's storage (or wherever Node resolves them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describeLoadError, type LoadContext, type TrainingBackend } from './types';

const PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

/** Loads a package from the folders given, else from wherever Node resolves it; a reason when it does not load. */
function tryPackage(name: string, dirs: string[]): string | undefined {
  let reason: string | undefined;
  for (const dir of dirs) {
    try {
      createRequire(path.join(dir, 'resolve-from-here.js'))(name);
      return undefined;
    } catch (e) {
      const r = describeLoadError(e);
      if (r !== 'not installed') return r;
      reason = r;
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(name);
    return undefined;
  } catch (e) {
    return reason && describeLoadError(e) === 'not installed' ? reason : describeLoadError(e);
  }
}

/** tfjs-node-gpu falls back to the CPU, with only a log line, when CUDA 11.2 / cuDNN 8.1 are missing. */
function usesGpu(): boolean {
  return Boolean((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
}

function tensorflowBackend(which: keyof typeof PACKAGES): TrainingBackend {
  return {
    name: which,
    async load(context: LoadContext) {
      const reason = tryPackage(PACKAGES[which], context.nativeModuleDirs);
      if (reason !== undefined) return { reason };
      if (!(await tf.setBackend('tensorflow').catch(() => false))) return { reason: 'loaded, but tfjs did not register its "tensorflow" backend' };
      if (which === 'tensorflow-gpu' && !usesGpu()) {
        // Loaded, but on the CPU: still TensorFlow's native CPU kernels, better than WASM.
        return {
          report: { backend: 'tensorflow', tfBackend: 'tensorflow' },
          attempts: [
            {
              backend: which,
              ok: false,
              reason: 'loaded, but it sees no CUDA device (tfjs-node-gpu 4.x needs CUDA 11.2 and cuDNN 8.1); running its CPU kernels',
            },
            { backend: 'tensorflow', ok: true },
          ],
        };
      }
      return { report: { backend: which, tfBackend: 'tensorflow' } };
    },
  };
}

export const tensorflowGpuBackend = tensorflowBackend('tensorflow-gpu');
export const tensorflowCpuBackend = tensorflowBackend('tensorflow');
