import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  AUTO_BACKEND_SUMMARY,
  BACKEND_SETTING_VALUES,
  BACKEND_SUMMARIES,
  BACKENDS,
  describeBackend,
  isBackendName,
  type GpuAdapterReport,
} from '../../src/shared/backendReport';
import { trainConfigSchema, TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import { isSoftwareAdapter } from '../../src/trainer/backends/webgpu';
import { TRAIN_USAGE } from '../../src/trainer/cli/trainCommand';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

describe('backend names, declared once', () => {
  it("package.json's bertTune.backend offers exactly auto and the shared list, in its order, with its summaries", () => {
    const setting = manifest.contributes.configuration.properties['bertTune.backend'];
    assert.deepEqual(setting.enum, [...BACKEND_SETTING_VALUES]);
    assert.deepEqual(setting.enumDescriptions, [AUTO_BACKEND_SUMMARY, ...BACKENDS.map(b => BACKEND_SUMMARIES[b])]);
    assert.equal(setting.default, 'auto');
  });

  it('the protocol takes every backend and nothing else; the CLI usage names each', () => {
    const base = { ...TRAIN_DEFAULTS, data: 'a.csv', textCol: 't', labelCol: 'l', model: 'm', out: 'o' };
    for (const b of BACKENDS) {
      assert.ok(trainConfigSchema.safeParse({ ...base, backend: b }).success, b);
      assert.ok(TRAIN_USAGE.includes(b), `train usage names ${b}`);
    }
    assert.ok(!trainConfigSchema.safeParse({ ...base, backend: 'cuda' }).success);
    assert.ok(!isBackendName('auto') && isBackendName('webgpu'));
  });

  it('the ladder puts webgpu after tfjs-node-gpu and before the CPU backends', () => {
    assert.deepEqual([...BACKENDS], ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
  });
});

describe('WebGPU adapters', () => {
  const adapter = (o: Partial<GpuAdapterReport>): GpuAdapterReport => ({
    vendor: '',
    architecture: '',
    description: '',
    device: '',
    software: false,
    features: [],
    limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 },
    ...o,
  });

  it('knows a software adapter by its architecture or its description', () => {
    assert.ok(isSoftwareAdapter(adapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' })));
    assert.ok(isSoftwareAdapter(adapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' })));
    assert.ok(isSoftwareAdapter(adapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })));
    assert.ok(!isSoftwareAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200: 580.65.06' })));
    assert.ok(!isSoftwareAdapter(adapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M3 Pro' })));
    assert.ok(!isSoftwareAdapter(adapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })));
  });

  it('names the adapter in the backend line, without the driver, and says when it is a software one', () => {
    assert.equal(
      describeBackend({
        backend: 'webgpu',
        gpu: adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200: 580.65.06', driver: '580.65.06' }),
      }),
      'webgpu on NVIDIA H200 (nvidia hopper)',
    );
    assert.equal(
      describeBackend({
        backend: 'webgpu',
        gpu: adapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7', driver: 'Mesa 25.0.7', software: true }),
      }),
      'webgpu on llvmpipe (mesa software), a software adapter',
    );
  });
});
