/**
 * A faster BatchMatMul for the tfjs WASM backend. The backend sends only plain 2-D products to
 * XNNPACK; batched ones (attention's Q·Kᵀ and P·V) and any with a transpose flag (their
 * gradients) fall to a scalar loop at a few GFLOP/s. This wraps the backend's kernel: plain 2-D
 * products still go to XNNPACK (which keeps constant weights packed: what inference wants), the
 * rest to our blocked SIMD GEMM (batchMatMul.c), which imports the backend's own WebAssembly
 * memory and reads and writes its tensors in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_MATMUL_WASM } from './batchMatMulWasm';

/** The WebAssembly API, typed here: the project's TypeScript lib (ES2022, no DOM) does not declare it. */
const wasmApi = (globalThis as unknown as {
  WebAssembly: {
    Memory: abstract new (...args: never[]) => object;
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  };
}).WebAssembly;

/** The parts of tfjs-backend-wasm's BackendWasm this kernel relies on (not public API). */
interface WasmBackendInternals {
  wasm: { asm: { memory: object }; _malloc(bytes: number): number };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type BatchMatMulFn = (a: number, b: number, out: number, scratch: number, batch: number, m: number, n: number, k: number, ta: number, tb: number, aStride: number, bStride: number) => void;

const installed = new WeakSet<object>();

/**
 * Replaces the WASM backend's BatchMatMul with the wrapper above; false (and nothing changed)
 * when the backend is not WASM or its internals are not what this was written against.
 */
export function installWasmBatchMatMul(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  if (installed.has(backend)) return true;
  const memory = backend.wasm?.asm?.memory;
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!(memory instanceof wasmApi.Memory) || !original || typeof backend.makeOutput !== 'function') return false;
  let run: BatchMatMulFn;
  let scratch: number;
  try {
    const module = new wasmApi.Module(Buffer.from(BATCH_MATMUL_WASM, 'base64'));
    const exports = new wasmApi.Instance(module, { env: { memory } }).exports;
    run = exports.batch_matmul as BatchMatMulFn;
    // Packing space for the kernel (~600 KB), held for the backend's lifetime.
    scratch = backend.wasm._malloc((exports.scratch_floats as () => number)() * 4);
  } catch {
    return false; // a runtime without WebAssembly SIMD: the backend's own kernel stays
  }

  const kernelFunc: tf.KernelFunc = args => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const plain = !transposeA && !transposeB && batchA === 1 && batchB === 1;
    // Broadcasting beyond "one side has a single matrix" is rare here: leave it to the backend.
    const sameBatch = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
    if (plain || a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameBatch || batchA === 1 || batchB === 1)) return original.kernelFunc(args);
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== (transposeB ? b.shape[rb - 1] : b.shape[rb - 2])) return original.kernelFunc(args); // its error message
    const batch = Math.max(batchA, batchB);
    const outer = (batchA >= batchB ? a : b).shape.slice(0, -2);
    const out = backend.makeOutput([...outer, m, n], 'float32');
    const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    run(at(a), at(b), at(out), scratch, batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n);
    return out;
  };
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
  installed.add(backend);
  return true;
}
