/**
 * Faster kernels for the tfjs WASM backend, from our own SIMD module (kernels.c), which imports
 * the backend's WebAssembly memory and reads and writes its tensors in place:
 * - BatchMatMul: the backend sends only plain 2-D products to XNNPACK (~43 GFLOP/s here);
 *   batched ones (attention's Q·Kᵀ and P·V) and any with a transpose flag (every layer's
 *   gradients) fall to a scalar loop at a few GFLOP/s. Our blocked GEMM (~60 GFLOP/s) takes
 *   all of them but plain products of a few rows, where XNNPACK's cached weight packing wins.
 *   Where the native addon loads (./nativeKernels.ts: AVX-512 or AVX2 with FMA, ~230 or ~125
 *   GFLOP/s a core), it takes every product instead, on the same memory.
 * - GatherV2 of rows (embedding lookups): the backend's takes ~7 ms for 2048 rows of 128.
 * - Sum over the rows of a matrix (every bias gradient): the backend transposes first.
 * - Slice (and SplitV, concat's gradient) of up to four dimensions in one pass over the heap:
 *   the backend's copies all of x out of the heap first.
 * - Dropout with a mask hashed from (seed, index) (../model/dropout.ts), which the backend lacks.
 * - GELU and its gradient, each in one pass, with PyTorch's erf (../model/ops.ts): the backend's
 *   erf is scalar, and GELU took four kernels more; ~10 % of a bert-base pass went to it.
 * - LayerNorm in five kernels of one pass each (statistics, the normalisation, dx, dγ, dβ), as
 *   the WebGPU backend has them: some fifteen of the backend's ops before, and the backward
 *   pass keeps [rows, 2] statistics where it kept x̂, a [rows, hidden] matrix a LayerNorm.
 * - Identity (tf.clone) over the same memory, as the pure-JS backend does: the backend's copies,
 *   and autodiff clones every tensor it saves for the backward pass, so training held a second
 *   copy of every weight matrix and of every saved activation.
 * Each wraps the backend's kernel and hands it every case it does not cover.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KERNELS_WASM } from './kernelsWasm';
import { loadNativeKernels } from './nativeKernels';
import { DROPOUT_KERNEL, GELU_GRAD_KERNEL, GELU_KERNELS, LAYER_NORM_KERNELS, type DropoutAttrs } from './kernelNames';

/** The WebAssembly API, typed here: the project's TypeScript lib (ES2022, no DOM) does not declare it. */
const wasmApi = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: abstract new (...args: never[]) => object;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

/** The parts of tfjs-backend-wasm's BackendWasm these kernels rely on (not public API). */
interface WasmBackendInternals {
  wasm: { asm: { memory: { buffer: ArrayBuffer } }; _malloc(bytes: number): number };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}

interface KernelExports {
  scratch_floats(): number;
  batch_matmul(
    a: number,
    b: number,
    out: number,
    scratch: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    ta: number,
    tb: number,
    aStride: number,
    bStride: number,
  ): void;
  gather_rows(table: number, ids: number, out: number, n: number, width: number, rows: number): number;
  column_sums(x: number, out: number, rows: number, cols: number): void;
  dropout(x: number, out: number, n: number, seed: number, rate24: number, scale: number): void;
  gelu_grad(x: number, cdf: number, dy: number, out: number, n: number): void;
  gelu(x: number, out: number, n: number): void;
  gelu_backward(x: number, dy: number, out: number, n: number): void;
  ln_stats(x: number, stats: number, rows: number, width: number, eps: number): void;
  ln_apply(x: number, stats: number, gamma: number, beta: number, out: number, rows: number, width: number): void;
  ln_dx(x: number, stats: number, gamma: number, dy: number, out: number, rows: number, width: number): void;
  ln_dgamma(x: number, stats: number, dy: number, out: number, rows: number, width: number): void;
  slice4(x: number, out: number, d1: number, d2: number, d3: number, ...beginAndSize: number[]): void;
}

const installed = new WeakSet<object>();

let nativeMatmul = true;

/**
 * Whether the native kernels may run where they load (matrix products, and GELU with AVX-512;
 * default yes); the tests and the benchmarks turn them off to run ours in WASM beside them.
 */
export function setNativeMatmul(enabled: boolean): void {
  nativeMatmul = enabled;
}

const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

function replaceKernel(name: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm')!;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
}

/** The kernels installWasmKernels puts in, as the backend report lists them. */
export const WASM_KERNELS = ['gemm', 'gather', 'column-sums', 'slice', 'dropout', 'gelu', 'gelu-grad', 'layer-norm', 'shared-identity'];

/**
 * Puts our kernels in front of the WASM backend's; false (and nothing changed) when the backend
 * is not WASM, the runtime lacks WebAssembly SIMD, or the backend's internals are not what this
 * was written against.
 */
export function installWasmKernels(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  if (installed.has(backend)) return true;
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof wasmApi.Memory) || typeof backend.makeOutput !== 'function') return false;
  if (
    ![tf.BatchMatMul, tf.GatherV2, tf.Sum, tf.Identity, tf.Slice, tf.SplitV].every(name => tf.getKernel(name, 'wasm')) ||
    typeof backend.incRef !== 'function'
  )
    return false;
  let k: KernelExports;
  let scratch: number;
  try {
    const module = new wasmApi.Module(Buffer.from(KERNELS_WASM, 'base64'));
    k = new wasmApi.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    // Packing space for the GEMM (~600 KB), held for the backend's lifetime.
    scratch = backend.wasm._malloc(k.scratch_floats() * 4);
  } catch {
    return false;
  }
  const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const loadedNative = loadNativeKernels().kernels;

  replaceKernel(tf.BatchMatMul, original => args => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const native = nativeMatmul ? loadedNative : undefined;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    // Plain products of few rows (inference on a short text) stay with XNNPACK, which keeps
    // constant weights packed; with more rows ours is faster and packing costs under 1 %.
    // The native kernels win at every size.
    const plainAndShort = !native && !transposeA && !transposeB && batchA === 1 && batchB === 1 && a.shape[ra - 2] < 64;
    // Broadcasting beyond "one side has a single matrix" is rare here: leave it to the backend.
    const sameBatch = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
    if (plainAndShort || a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameBatch || batchA === 1 || batchB === 1)) return original(args);
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const inner = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (inner !== (transposeB ? b.shape[rb - 1] : b.shape[rb - 2])) return original(args); // its error message
    const outer = (batchA >= batchB ? a : b).shape.slice(0, -2);
    const out = backend.makeOutput([...outer, m, n], 'float32');
    const operands = [at(a), at(b), at(out)] as const;
    const shape = [
      Math.max(batchA, batchB),
      m,
      n,
      inner,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      batchA === 1 ? 0 : m * inner,
      batchB === 1 ? 0 : inner * n,
    ] as const;
    // The memory's buffer is read after makeOutput, which may have grown (and replaced) it.
    if (native) native.batchMatmul(memory.buffer, ...operands, ...shape);
    else k.batch_matmul(...operands, scratch, ...shape);
    return out;
  });

  replaceKernel(tf.GatherV2, original => args => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    if (x.shape.length !== 2 || x.dtype !== 'float32' || indices.dtype !== 'int32' || (axis !== 0 && axis !== -2) || batchDims) return original(args);
    const n = size(indices.shape);
    const out = backend.makeOutput([...indices.shape, x.shape[1]], 'float32');
    if (k.gather_rows(at(x), at(indices), at(out), n, x.shape[1], x.shape[0]) === 0) return out;
    tf.backend().disposeData(out.dataId);
    return original(args); // out-of-range ids: the backend's kernel says so
  });

  replaceKernel(tf.Sum, original => args => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = (Array.isArray(axis) ? axis : [axis]).map(a => (a < 0 ? a + x.shape.length : a));
    if (x.shape.length !== 2 || x.dtype !== 'float32' || axes.length !== 1 || axes[0] !== 0) return original(args);
    const out = backend.makeOutput(keepDims ? [1, x.shape[1]] : [x.shape[1]], 'float32');
    k.column_sums(at(x), at(out), x.shape[0], x.shape[1]);
    return out;
  });

  // Slices of float32 and int32 tensors of up to four dimensions, in one pass over the heap.
  const sliceable = (x: tf.TensorInfo) => x.shape.length >= 1 && x.shape.length <= 4 && (x.dtype === 'float32' || x.dtype === 'int32');
  const slice = (x: tf.TensorInfo, b: number[], s: number[]): tf.TensorInfo => {
    const out = backend.makeOutput(s, x.dtype);
    if (size(s) === 0) return out;
    const pad = 4 - x.shape.length;
    const ones = (n: number, v: number) => new Array<number>(n).fill(v);
    const dims = [...ones(pad, 1), ...x.shape];
    k.slice4(at(x), at(out), dims[1], dims[2], dims[3], ...ones(pad, 0), ...b, ...ones(pad, 1), ...s);
    return out;
  };
  replaceKernel(tf.Slice, original => args => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size: sizes } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    if (!sliceable(x)) return original(args);
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, sizes);
    return slice(x, b, s);
  });
  // The backend's SplitV (concat's gradient) runs its own Slice once a piece.
  replaceKernel(tf.SplitV, original => args => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    if (!sliceable(x)) return original(args);
    const a = tf.util.parseAxisParam(axis, x.shape)[0];
    const begin = x.shape.map(() => 0);
    return tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a).map(piece => {
      const sizes = x.shape.map((d, i) => (i === a ? piece : d));
      const out = slice(x, begin, sizes);
      begin[a] += piece;
      return out;
    });
  });

  // Tensors never change once written (a variable's assign takes new memory), so a clone may
  // share its source's, counted, as the backend's own Reshape does.
  replaceKernel(tf.Identity, original => args => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });

  // Kernels of our own names, each writing an output of its first input's shape unless told.
  const addKernel = (
    name: string,
    run: (inputs: Record<string, tf.TensorInfo>, out: tf.TensorInfo, attrs: tf.NamedAttrMap) => void,
    shapeOf: (first: number[]) => number[] = first => first,
  ) => {
    if (tf.getKernel(name, 'wasm')) return;
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: args => {
        const inputs = args.inputs as Record<string, tf.TensorInfo>;
        const out = backend.makeOutput(shapeOf(Object.values(inputs)[0].shape), 'float32');
        run(inputs, out, args.attrs ?? {});
        return out;
      },
    });
  };
  addKernel(DROPOUT_KERNEL, ({ x }, out, attrs) => {
    const { seed, rate24, scale } = attrs as unknown as DropoutAttrs;
    k.dropout(at(x), at(out), size(x.shape), seed, rate24, scale);
  });
  addKernel(GELU_GRAD_KERNEL, ({ x, cdf, dy }, out) => k.gelu_grad(at(x), at(cdf), at(dy), at(out), size(x.shape)));
  // GELU with AVX-512 where the native kernels run it (sixteen lanes and FMAs: about a third of
  // the WASM kernels' time in a bert-base pass), else in WebAssembly; the same formulas.
  const nativeGelu = () => (nativeMatmul && loadedNative?.isa() === 'avx512' ? loadedNative : undefined);
  addKernel(GELU_KERNELS.forward, ({ x }, out) => {
    const native = nativeGelu();
    if (native) native.gelu(memory.buffer, at(x), at(out), size(x.shape));
    else k.gelu(at(x), at(out), size(x.shape));
  });
  addKernel(GELU_KERNELS.backward, ({ x, dy }, out) => {
    const native = nativeGelu();
    if (native) native.geluBackward(memory.buffer, at(x), at(dy), at(out), size(x.shape));
    else k.gelu_backward(at(x), at(dy), at(out), size(x.shape));
  });
  // LayerNorm over the last axis of a [rows, width] matrix; statistics [rows, 2] (mean, rstd).
  const rowsOf = (x: tf.TensorInfo) => size(x.shape.slice(0, -1));
  const widthOf = (x: tf.TensorInfo) => x.shape[x.shape.length - 1];
  addKernel(
    LAYER_NORM_KERNELS.stats,
    ({ x }, out, attrs) => k.ln_stats(at(x), at(out), rowsOf(x), widthOf(x), (attrs as unknown as { eps: number }).eps),
    shape => [size(shape.slice(0, -1)), 2],
  );
  addKernel(LAYER_NORM_KERNELS.apply, ({ x, stats, gamma, beta }, out) => k.ln_apply(at(x), at(stats), at(gamma), at(beta), at(out), rowsOf(x), widthOf(x)));
  addKernel(LAYER_NORM_KERNELS.dx, ({ x, stats, gamma, dy }, out) => k.ln_dx(at(x), at(stats), at(gamma), at(dy), at(out), rowsOf(x), widthOf(x)));
  addKernel(
    LAYER_NORM_KERNELS.dgamma,
    ({ x, stats, dy }, out) => k.ln_dgamma(at(x), at(stats), at(dy), at(out), rowsOf(x), widthOf(x)),
    shape => [shape[shape.length - 1]],
  );
  addKernel(
    LAYER_NORM_KERNELS.dbeta,
    ({ dy }, out) => k.column_sums(at(dy), at(out), rowsOf(dy), widthOf(dy)),
    shape => [shape[shape.length - 1]],
  );

  installed.add(backend);
  return true;
}

/**
 * A float32 tensor's values where the WASM backend keeps them, without the copy `data()` makes;
 * valid only until the backend next allocates. Undefined on other backends.
 */
export function wasmHeapView(t: tf.Tensor): Float32Array | undefined {
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return undefined;
  const backend = tf.backend() as unknown as WasmBackendInternals & { wasm: { HEAPF32?: Float32Array } };
  const offset = backend.dataIdMap.get(t.dataId)?.memoryOffset;
  const heap = backend.wasm.HEAPF32;
  if (offset === undefined || !heap) return undefined;
  return heap.subarray(offset / 4, offset / 4 + t.size);
}
