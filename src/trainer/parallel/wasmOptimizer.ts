/**
 * The workers' reduce and AdamW in SIMD (optimizer.c) on the trainer's shared WebAssembly.Memory:
 * three to four times the JavaScript loops' speed, which matters when a step's compute is short
 * (small models, short texts) and the optimizer walks every parameter each step.
 */
import { adamwConstants, adamwKeep, type AdamWOptions } from '../step/adamwMath';
import { OPTIMIZER_WASM } from '../kernels/optimizerWasm';
import type { FlatAdamWStep } from './flatAdamW';
import type { FlatArrays, FlatLayout } from './flatParameters';

const wasmApi = (
  globalThis as unknown as {
    WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: Record<string, unknown> } };
  }
).WebAssembly;

interface OptimizerExports {
  accumulate(dst: number, src: number, n: number): void;
  accumulate_squares(dst: number, src: number, n: number): number;
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    scale: number,
    keep: number,
    beta1: number,
    c1: number,
    beta2: number,
    c2: number,
    bc2: number,
    eps: number,
    step: number,
  ): void;
}

export interface SliceOptimizer {
  /** Σ of every worker's gradients into grads[0] over [from, to); returns Σ g² there. */
  reduce(from: number, to: number): number;
  /** AdamW over [from, to) with grads[0]. */
  update(from: number, to: number, s: FlatAdamWStep): void;
}

/** The SIMD versions, or undefined when the arrays are not in a shared WebAssembly.Memory. */
export function wasmSliceOptimizer(arrays: FlatArrays, layout: FlatLayout, options: AdamWOptions): SliceOptimizer | undefined {
  if (!arrays.memory) return undefined;
  let k: OptimizerExports;
  try {
    k = new wasmApi.Instance(new wasmApi.Module(Buffer.from(OPTIMIZER_WASM, 'base64')), { env: { memory: arrays.memory } })
      .exports as unknown as OptimizerExports;
  } catch {
    return undefined; // no WebAssembly SIMD or threads here: the JavaScript versions
  }
  const ptr = (a: Float32Array, index: number) => a.byteOffset + index * 4;
  const [sum, ...others] = arrays.grads;
  return {
    reduce(from, to) {
      const n = to - from;
      if (n <= 0) return 0;
      const last = others.pop();
      for (const o of others) k.accumulate(ptr(sum, from), ptr(o, from), n);
      if (last) others.push(last);
      return k.accumulate_squares(ptr(sum, from), ptr(last ?? sum, from), n);
    },
    update(from, to, s) {
      const { stepSize, bc2Sqrt, c1, c2 } = adamwConstants(options, s.lr, s.step);
      for (let i = 0; i < layout.names.length; i++) {
        const lo = Math.max(from, layout.offsets[i]);
        const hi = Math.min(to, layout.offsets[i] + layout.sizes[i]);
        if (lo >= hi || layout.frozen[i]) continue;
        const keep = adamwKeep(options, s.lr, layout.decayed[i]);
        k.adamw(
          ptr(arrays.weights, lo),
          ptr(sum, lo),
          ptr(arrays.m, lo),
          ptr(arrays.v, lo),
          hi - lo,
          s.gradScale,
          keep,
          options.beta1,
          c1,
          options.beta2,
          c2,
          bc2Sqrt,
          options.eps,
          stepSize,
        );
      }
    },
  };
}
