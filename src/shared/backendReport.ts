/**
 * The trainer's backends, declared once: their names (the setting's enum, the CLI's `--backend`,
 * the protocol's `backend` field and the tests read this list), and what `bert-tune backend`
 * prints (as JSON) and the extension shows: which TensorFlow.js backend the trainer loads and
 * why each faster one was passed over.
 */

/** Fastest first: the order in which `auto` tries them. */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What the `bertTune.backend` setting offers: `auto`, then every backend. */
export const BACKEND_SETTING_VALUES = ['auto', ...BACKENDS] as const;

/** One line per backend: the CLI's usage and the setting's description say the same. */
export const BACKEND_SUMMARIES: Record<BackendName, string> = {
  'tensorflow-gpu': 'tfjs-node-gpu: TensorFlow on CUDA 11.2 + cuDNN 8.1 (optional package)',
  webgpu: 'WebGPU through Dawn: any current GPU (Vulkan, Metal, D3D12), nothing to install but a driver',
  tensorflow: "tfjs-node: TensorFlow's native CPU kernels (optional package)",
  wasm: 'WebAssembly SIMD on every core, matrix products in native AVX-512/AVX2 where built',
  cpu: 'plain JavaScript: the last resort',
};

/** What `auto` does, in the same words wherever it is offered. */
export const AUTO_BACKEND_SUMMARY = 'The fastest that loads here (a GPU only through a hardware adapter).';

export function isBackendName(v: unknown): v is BackendName {
  return typeof v === 'string' && (BACKENDS as readonly string[]).includes(v);
}

/** The environment variable through which the extension passes its `bertTune.backend` setting to every trainer process. */
export const BACKEND_ENV = 'BERT_TUNE_BACKEND';

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was not used: not installed, the load error, no device, a software adapter. */
  reason?: string;
}

/** The WebGPU adapter a run uses (or passed over), as the adapter describes itself. */
export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  /** The driver, where the adapter says (Dawn puts it in the description on Vulkan). */
  driver?: string;
  /** A CPU pretending to be a GPU (Mesa llvmpipe/lavapipe, SwiftShader): never picked by `auto`. */
  software: boolean;
  /** Of the features our kernels can use: `shader-f16`, `subgroups`, `timestamp-query`. */
  features: string[];
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}

export interface BackendReport {
  backend: BackendName;
  /** tfjs's own name for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfBackend: string;
  simd?: boolean;
  /** Where the WASM backend's binaries were loaded from (gradient workers load the same). */
  wasmDir?: string;
  /** On WASM: the native matrix-product kernels in use (`AVX-512`), or why there are none. */
  nativeKernels?: { isa: string } | { reason: string };
  /** On WebGPU: the adapter. */
  gpu?: GpuAdapterReport;
  /** On another backend: the WebGPU adapter found but not used (a software one), to name it. */
  passedOverGpu?: GpuAdapterReport;
  /** Our own kernels this backend runs (beside the backend's), by name. */
  kernels?: string[];
  /** The largest single tensor the backend holds, in bytes (a WebGPU binding, the WASM heap). */
  maxTensorBytes?: number;
  attempts: BackendAttempt[];
}

/** `NVIDIA H200 (nvidia hopper)`, or the vendor and architecture where the adapter gives no description. */
export function describeAdapter(gpu: GpuAdapterReport): string {
  // Dawn on Vulkan describes an adapter as "<name>: <driver>"; the driver has its own field.
  const name = gpu.driver ? gpu.description.slice(0, gpu.description.length - gpu.driver.length - 2) : gpu.description;
  const what = name || gpu.device || `${gpu.vendor} GPU`;
  const kind = [gpu.vendor, gpu.architecture].filter(Boolean).join(' ');
  return `${what}${kind && !what.toLowerCase().includes(kind.toLowerCase()) ? ` (${kind})` : ''}${gpu.software ? ', a software adapter' : ''}`;
}

/** How a report names its backend: `wasm (SIMD), native AVX-512 matmul`, `webgpu on NVIDIA H200 (nvidia hopper)`. */
export function describeBackend(report: Pick<BackendReport, 'backend' | 'simd' | 'nativeKernels' | 'gpu'>): string {
  const native = report.nativeKernels && 'isa' in report.nativeKernels ? `, native ${report.nativeKernels.isa} matmul` : '';
  const gpu = report.gpu ? ` on ${describeAdapter(report.gpu)}` : '';
  return `${report.backend}${report.simd ? ' (SIMD)' : ''}${native}${gpu}`;
}

/** The adapter's facts past its name: vendor, architecture, driver, features, buffer limits. */
export function gpuFacts(gpu: GpuAdapterReport): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  return (
    `vendor ${gpu.vendor || '?'}, architecture ${gpu.architecture || '?'}${gpu.driver ? `, driver ${gpu.driver}` : ''}; ` +
    `features ${gpu.features.join(', ') || 'none of shader-f16, subgroups, timestamp-query'}; largest buffer ${mib(gpu.limits.maxBufferSize)}, largest binding ${mib(gpu.limits.maxStorageBufferBindingSize)}`
  );
}

/** The adapter in one line, for "Show training backend" and the run log. */
export function gpuAdapterLine(gpu: GpuAdapterReport): string {
  return `WebGPU adapter: ${describeAdapter(gpu)}; ${gpuFacts(gpu)}`;
}
