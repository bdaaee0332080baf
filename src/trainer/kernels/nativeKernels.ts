/**
 * The native GEMM addon (native/gemm.c): loads it if it was built for this platform and the CPU
 * has a micro-kernel for it, or says why not. Optional by design: without it the WASM kernels
 * run every product, only slower (a quarter of the speed on AVX-512 cores).
 *
 * BERT_TUNE_NATIVE_KERNELS picks: unset or `auto` (the best this CPU runs), `off`, or one by
 * name (`avx512`, `avx2`), which the tests use to run each micro-kernel on one machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface NativeKernels {
  /** The micro-kernel in use. */
  isa(): string | null;
  /** Every micro-kernel this CPU runs, best first. */
  supported(): string[];
  useIsa(name: string): boolean;
  /** out = x·Φ(x) over n floats at byte offsets of `memory` (AVX-512 only; throws elsewhere). */
  gelu(memory: ArrayBuffer, x: number, out: number, n: number): void;
  /** out = dy·(Φ(x) + x·φ(x)), as gelu. */
  geluBackward(memory: ArrayBuffer, x: number, dy: number, out: number, n: number): void;
  /** dst[i] += src[i] in order (the same floats as the loop), either array shared or not. */
  addInto(dst: Float32Array, src: Float32Array): void;
  /**
   * out = op(a)·op(b) over `batch` entries, inside `memory`; a, b, out are byte offsets; strides
   * in floats, 0 broadcasting one matrix. Throws a RangeError for anything outside `memory`.
   */
  batchMatmul(
    memory: ArrayBuffer,
    a: number,
    b: number,
    out: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: number,
    transposeB: number,
    aBatchStride: number,
    bBatchStride: number,
  ): void;
}

export interface NativeKernelsLoad {
  kernels?: NativeKernels;
  /** Why there are none: not built here, failed to load, no kernel for this CPU, turned off. */
  reason?: string;
}

/**
 * Its name beside the bundled trainer (esbuild.mjs copies it to dist/): named for the platform
 * it was built on, so a package built on one platform and opened on another says "not built
 * for" rather than failing to load a foreign binary.
 */
export const NATIVE_KERNELS_FILE = `bert_tune_kernels-${process.platform}-${process.arch}.node`;

/** Beside the bundled trainer, or where node-gyp builds it (the tests run the sources). */
export function nativeKernelsCandidates(): string[] {
  return [path.join(__dirname, NATIVE_KERNELS_FILE), path.join(__dirname, 'native', 'build', 'Release', 'bert_tune_kernels.node')];
}

/** Names of the micro-kernels for messages. */
export const ISA_NAMES: Record<string, string> = { avx512: 'AVX-512', avx2: 'AVX2+FMA' };

/**
 * dst[i] += src[i]: the native addon's loop where it loads (six times JavaScript's on a 440 MB
 * gradient), else JavaScript's. Either gives the same floats.
 */
export function addInto(dst: Float32Array, src: Float32Array): void {
  const native = loadNativeKernels().kernels;
  if (native) native.addInto(dst, src);
  else for (let j = 0; j < dst.length; j++) dst[j] += src[j];
}

let loaded: NativeKernelsLoad | undefined;

export function loadNativeKernels(): NativeKernelsLoad {
  if (!loaded) loaded = load(process.env.BERT_TUNE_NATIVE_KERNELS?.trim().toLowerCase() || 'auto');
  return loaded;
}

function load(wanted: string): NativeKernelsLoad {
  if (wanted === 'off' || wanted === '0') return { reason: 'turned off (BERT_TUNE_NATIVE_KERNELS=off)' };
  const file = nativeKernelsCandidates().find(f => fs.existsSync(f));
  if (!file) return { reason: `not built for ${process.platform}-${process.arch} (npm run build:native builds it; needs a C compiler)` };
  let kernels: NativeKernels;
  try {
    // process.dlopen rather than require: the bundler must not try to follow it.
    const module = { exports: {} as NativeKernels };
    process.dlopen(module, file);
    kernels = module.exports;
  } catch (e) {
    return { reason: `${file} failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  if (wanted !== 'auto' && !kernels.useIsa(wanted)) {
    return { reason: `BERT_TUNE_NATIVE_KERNELS=${wanted}, which this CPU does not run (it runs: ${kernels.supported().join(', ') || 'none'})` };
  }
  if (!kernels.isa()) {
    return {
      reason:
        process.arch === 'x64'
          ? 'this CPU has neither AVX-512 nor AVX2 with FMA, which the native kernels need'
          : `no native kernel for ${process.arch} yet (they are written for x86-64: AVX-512, AVX2 with FMA)`,
    };
  }
  return { kernels };
}
