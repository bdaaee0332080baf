/**
 * What `bert-tune backend` prints (as JSON) and the extension shows: which TensorFlow.js backend
 * the trainer loads and why each faster one was passed over. Declared once for both sides.
 */

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
  /** Where the WASM backend's binaries were loaded from (gradient workers load the same). */
  wasmDir?: string;
  /** On WASM: the native matrix-product kernels in use (`AVX-512`), or why there are none. */
  nativeKernels?: { isa: string } | { reason: string };
  attempts: BackendAttempt[];
}

/** How a report names the WASM backend's kernels: `wasm (SIMD), native AVX-512 matmul`. */
export function describeBackend(report: Pick<BackendReport, 'backend' | 'simd' | 'nativeKernels'>): string {
  const native = report.nativeKernels && 'isa' in report.nativeKernels ? `, native ${report.nativeKernels.isa} matmul` : '';
  return `${report.backend}${report.simd ? ' (SIMD)' : ''}${native}`;
}
