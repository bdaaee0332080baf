/**
 * TensorFlow.js's WebGPU backend on Dawn (./dawn.ts): training and prediction on any current GPU
 * (NVIDIA and AMD through Vulkan, Apple through Metal, Windows through D3D12), with nothing to
 * install but the GPU's driver. We ask for the adapter and the device ourselves, so that the
 * report says what the adapter is, a software adapter is passed over unless asked for, and a
 * lost device or a GPU error (out of memory) ends a run with a message rather than wrong numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describeAdapter, type GpuAdapterReport } from '../../shared/backendReport';
import { installWebGpuKernels } from '../kernels/webgpuKernels';
import { NO_ADAPTER, dawnLoadedHere, loadDawn, probeAdapter, type ProbedAdapter } from './dawn';
import type { TrainingBackend } from './types';

/** Features our kernels use where the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

const ADAPTER_TIMEOUT_MS = 20_000;

/** Mesa's llvmpipe/lavapipe, SwiftShader, Microsoft's WARP: a CPU behind the WebGPU API. */
export function isSoftwareAdapter(info: Pick<GpuAdapterReport, 'vendor' | 'architecture' | 'description' | 'device'>): boolean {
  const text = `${info.architecture} ${info.description} ${info.device} ${info.vendor}`.toLowerCase();
  return /\bsoftware\b|llvmpipe|lavapipe|swiftshader|\bwarp\b|microsoft basic render/.test(text) || info.architecture.toLowerCase() === 'cpu';
}

export function adapterReport(adapter: GPUAdapter): GpuAdapterReport {
  const info = adapter.info;
  return reportOfFacts({
    info: { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', device: info.device ?? '' },
    features: [...adapter.features],
    limits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
  });
}

/** The report of an adapter from its facts: asked here, or by a probe in another process. */
export function reportOfFacts(facts: ProbedAdapter): GpuAdapterReport {
  const base = facts.info;
  // Dawn's Vulkan description reads "<device>: <driver>" (llvmpipe: "llvmpipe: Mesa 25.0.7 (LLVM 19.1.7)").
  const driver = base.description.includes(': ') ? base.description.slice(base.description.indexOf(': ') + 2) : undefined;
  return {
    ...base,
    driver,
    software: isSoftwareAdapter(base),
    features: WANTED_FEATURES.filter(f => facts.features.includes(f)),
    limits: facts.limits,
  };
}

/** Why the device stopped, once it has: set by `device.lost` and by the first uncaptured GPU error. */
let fault: string | undefined;
let activeDevice: GPUDevice | undefined;

/** Undefined while the GPU is fine; else what happened, in words a user can act on. */
export function webgpuFault(): string | undefined {
  return fault;
}

/** For tests: the device in use, to lose it on purpose. */
export function webgpuDevice(): GPUDevice | undefined {
  return activeDevice;
}

/** Why `auto` does not train on a software adapter. */
function passedOver(gpu: GpuAdapterReport): string {
  return `only a software adapter (${describeAdapter(gpu)}), slower than training on the CPU; --backend webgpu (or the setting) uses it anyway`;
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms).unref())),
  ]).finally(() => clearTimeout(timer));
}

export const webgpuBackend: TrainingBackend = {
  name: 'webgpu',
  async load(context) {
    if (activeDevice && !fault && tf.findBackend('webgpu')) {
      // A second selection in this process (prediction after training): the same device, and the same rule.
      if (lastReport!.software && !context.forced) return { reason: passedOver(lastReport!), gpu: lastReport };
      await tf.setBackend('webgpu');
      return { report: reportOf(lastReport!) };
    }
    if (!context.forced && !dawnLoadedHere() && process.env.BERT_TUNE_GPU_PROBE !== 'in-process') {
      // Auto: ask in a short-lived process first, and load Dawn here only for a GPU to use.
      const probed = await probeAdapter(ADAPTER_TIMEOUT_MS);
      if (probed && 'reason' in probed) return { reason: probed.reason };
      if (probed) {
        const gpu = reportOfFacts(probed);
        if (gpu.software) return { reason: passedOver(gpu), gpu };
      }
    }
    const dawn = loadDawn();
    if ('reason' in dawn) return { reason: dawn.reason };
    let adapter: GPUAdapter | null;
    try {
      adapter = await timeout(dawn.gpu.requestAdapter({ powerPreference: 'high-performance' }), ADAPTER_TIMEOUT_MS, 'asking for a GPU adapter');
    } catch (e) {
      return { reason: `no GPU adapter: ${(e as Error).message}` };
    }
    if (!adapter) return { reason: NO_ADAPTER };
    const gpu = adapterReport(adapter);
    if (gpu.software && !context.forced) {
      return { reason: passedOver(gpu), gpu };
    }
    let device: GPUDevice;
    try {
      const limits = adapter.limits;
      device = await timeout(
        adapter.requestDevice({
          requiredFeatures: gpu.features as GPUFeatureName[],
          requiredLimits: {
            maxBufferSize: limits.maxBufferSize,
            maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
            maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
            maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
            maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
          },
        }),
        ADAPTER_TIMEOUT_MS,
        'opening the GPU device',
      );
    } catch (e) {
      return { reason: `the GPU adapter (${describeAdapter(gpu)}) gave no device: ${(e as Error).message}`, gpu };
    }
    // Faults are this device's from here on; an earlier device's no longer count.
    fault = undefined;
    activeDevice = device;
    void device.lost.then(info => {
      if (device !== activeDevice) return;
      fault ??= `the GPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}); a driver reset, the GPU's sleep or another program can cause it`;
    });
    device.addEventListener('uncapturederror', event => {
      if (device !== activeDevice) return;
      const error = (event as GPUUncapturedErrorEvent).error;
      const oom = error instanceof GPUOutOfMemoryError || /out of memory/i.test(error.message);
      fault ??= oom
        ? `the GPU ran out of memory (${error.message.split('\n')[0]}); lower the batch size or the max length`
        : `a GPU error: ${error.message.split('\n')[0]}`;
    });
    const info = adapter.info;
    if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, info));
    // Small ops would otherwise run on the CPU after reading their inputs back: one read-back
    // each, which in training is every step.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    if (!(await tf.setBackend('webgpu'))) {
      activeDevice = undefined;
      return { reason: 'tfjs could not start its WebGPU backend on the device', gpu };
    }
    await tf.ready();
    lastReport = gpu;
    return { report: reportOf(gpu) };
  },
};

let lastReport: GpuAdapterReport | undefined;

function reportOf(gpu: GpuAdapterReport) {
  return {
    backend: 'webgpu' as const,
    tfBackend: 'webgpu',
    gpu,
    kernels: installWebGpuKernels(),
    maxTensorBytes: Math.min(gpu.limits.maxBufferSize, gpu.limits.maxStorageBufferBindingSize),
  };
}

interface BufferPool {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
}

const poolGeneration = new WeakMap<BufferPool, { generation: number; lastUse: Map<string, number> }>();

/**
 * tfjs-webgpu keeps every buffer it frees, by size, for reuse, and never lets one go: each new
 * padded length (every batch of real text, every prediction) adds its activations' buffers to a
 * pool that only grows (bert-tiny on SST-2 batches: 1.6 GB). Called once a step or batch: frees
 * the pooled buffers of sizes not asked for in the last two, and keeps those a repeating shape
 * reuses.
 */
export function releaseStaleGpuBuffers(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const pool = (tf.backend() as unknown as { bufferManager?: BufferPool }).bufferManager;
  if (!pool?.freeBuffers || typeof pool.acquireBuffer !== 'function') return;
  let state = poolGeneration.get(pool);
  if (!state) {
    const s = { generation: 0, lastUse: new Map<string, number>() };
    const acquire = pool.acquireBuffer.bind(pool);
    pool.acquireBuffer = (size, usage, mappedAtCreation, reuse) => {
      s.lastUse.set(`${size}_${usage}`, s.generation);
      return acquire(size, usage, mappedAtCreation, reuse);
    };
    poolGeneration.set(pool, (state = s));
  }
  for (const [key, buffers] of pool.freeBuffers) {
    if ((state.lastUse.get(key) ?? -1) >= state.generation - 1) continue;
    for (const b of buffers) {
      pool.numBytesAllocated -= b.size;
      b.destroy();
    }
    pool.numFreeBuffers -= buffers.length;
    buffers.length = 0;
  }
  state.generation++;
}
