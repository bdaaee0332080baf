/**
 * TensorFlow.js's WebAssembly backend (SIMD, one core per instance), with our kernels
 * (../kernels/wasmKernels.ts) and, where built, native matrix products (../kernels/nativeKernels.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import { installWasmKernels, WASM_KERNELS } from '../kernels/wasmKernels';
import { ISA_NAMES, loadNativeKernels } from '../kernels/nativeKernels';
import { describeLoadError, type TrainingBackend } from './types';

/** Where the bundled trainer finds the .wasm files: copied beside it by esbuild.mjs. */
export function defaultWasmDir(): string {
  return __dirname;
}

/** The heap of one WASM instance: 4 GiB, the 32-bit address space. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** The folder the WASM backend was first initialised from: later calls reuse that instance. */
let wasmDirInUse: string | undefined;

export const wasmBackend: TrainingBackend = {
  name: 'wasm',
  async load(context) {
    try {
      const wasmDir = wasmDirInUse ?? context.wasmDir ?? defaultWasmDir();
      setWasmPaths(path.join(wasmDir, path.sep));
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      wasmDirInUse = wasmDir;
      const kernels = installWasmKernels() ? WASM_KERNELS : [];
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      const native = loadNativeKernels();
      const isa = native.kernels?.isa();
      const nativeKernels = isa ? { isa: ISA_NAMES[isa] ?? isa } : { reason: native.reason ?? 'unknown' };
      return { report: { backend: 'wasm', tfBackend: 'wasm', simd, wasmDir, nativeKernels, kernels, maxTensorBytes: WASM_HEAP_BYTES } };
    } catch (e) {
      return { reason: describeLoadError(e) };
    }
  },
};
