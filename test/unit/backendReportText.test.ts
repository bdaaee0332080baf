import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendReportMarkdown, nativeBackendWouldHelp } from '../../src/extension/backend/backendReportText';
import type { BackendReport } from '../../src/shared/backendReport';

const machine = { cpu: 'Intel Xeon', threads: 2, memoryGiB: 24, platform: 'linux-x64', gpus: 'none found', workers: 2 };
const software = {
  description: 'llvmpipe (LLVM 15.0.6, 256 bits): Mesa 23',
  driver: 'Mesa 23',
  vendor: 'mesa',
  architecture: '',
  device: 'llvmpipe',
  software: true,
  features: [],
  limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 27 },
};

describe('Show training backend, as a document', () => {
  it('says what runs, each faster backend with why not, the machine once (the software adapter named once), and the next step', () => {
    const report = {
      backend: 'wasm',
      tfBackend: 'wasm',
      simd: true,
      nativeKernels: { isa: 'AVX-512' },
      passedOverGpu: software,
      attempts: [
        { backend: 'tensorflow-gpu', ok: false, reason: 'not installed' },
        { backend: 'webgpu', ok: false, reason: 'only a software adapter, slower than training on the CPU' },
        { backend: 'tensorflow', ok: false, reason: 'not installed' },
        { backend: 'wasm', ok: true },
      ],
    } as unknown as BackendReport;
    const md = backendReportMarkdown(report, machine);
    assert.match(md, /^\*\*wasm \(SIMD\), native AVX-512 matmul\*\*, with 2 gradient workers/m);
    assert.match(md, /^\| webgpu \| .* \| only a software adapter, slower than training on the CPU \|$/m);
    assert.match(md, /^\| tensorflow-gpu \| .* \| not installed \|$/m);
    assert.equal(md.match(/llvmpipe/g)?.length, 1, 'the adapter named once');
    assert.match(md, /^- WebGPU adapter \(found, not used\): llvmpipe/m);
    assert.match(md, /## Next step\n\nNothing to install: this is the fastest backend here/);
    assert.equal(nativeBackendWouldHelp(report), false, 'our own native kernels run');
  });

  it('offers the native backend where neither a GPU nor our native kernels run, and nothing on a GPU', () => {
    const plain = { backend: 'wasm', tfBackend: 'wasm', simd: true, nativeKernels: { reason: 'no clang' }, attempts: [] } as unknown as BackendReport;
    assert.ok(nativeBackendWouldHelp(plain));
    assert.match(backendReportMarkdown(plain, machine), /Install TensorFlow's native backend/);
    assert.match(backendReportMarkdown(plain, machine), /Native matrix-product kernels: not used \(no clang\)/);
    const gpu = {
      backend: 'webgpu',
      tfBackend: 'webgpu',
      gpu: { ...software, software: false, description: 'NVIDIA H100', driver: '' },
      attempts: [],
    } as unknown as BackendReport;
    assert.match(backendReportMarkdown(gpu, machine), /Nothing to do: training runs on the GPU/);
  });
});
