import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi } from './util';

describe('Training backend commands', () => {
  it('"Show training backend" says which backend trains and why each faster one does not', async function () {
    await extensionApi();
    const report = (await vscode.commands.executeCommand('bertTune.showBackend', { silent: true })) as {
      backend: string;
      attempts: { backend: string; reason?: string }[];
      lines: string[];
    };
    // A machine with a hardware GPU trains on it; this suite asserts the CPU ladder.
    if (report.backend === 'webgpu') return this.skip();
    assert.equal(report.backend, 'wasm'); // tfjs-node cannot be installed on this machine
    assert.match(
      report.lines[0],
      /^Training runs on: wasm \(SIMD\)(, native (AVX-512|AVX2\+FMA) matmul)?, with \d+ gradient workers? \(setting bertTune\.training\.threads\)$/,
    );
    // CI builds the native kernels (npm install does, with a C compiler): there the line names them.
    if (process.env.BERT_TUNE_EXPECT_NATIVE_KERNELS) assert.match(report.lines[0], /native (AVX-512|AVX2\+FMA) matmul/);
    else if (!/native/.test(report.lines[0]))
      assert.ok(
        report.lines.some(l => l.startsWith('native matmul kernels: ')),
        'says why the native kernels do not run',
      );
    assert.equal(report.lines[1], 'tensorflow-gpu: not installed');
    // No GPU here: WebGPU finds at most Mesa's software adapter (CI installs it), which auto passes over, and names it.
    assert.match(report.lines[2], /^webgpu: (only a software adapter \(llvmpipe.*\), slower than training on the CPU|no GPU adapter)/);
    assert.equal(report.lines[3], 'tensorflow: not installed');
    if (/software adapter/.test(report.lines[2]))
      assert.match(report.lines.find(l => l.startsWith('WebGPU adapter:')) ?? '', /llvmpipe.*largest binding \d+ MiB/);
    assert.match(report.lines.find(l => l.startsWith('CPU:')) ?? '', /\d+ threads/);
    assert.match(report.lines.find(l => l.startsWith('GPU:')) ?? '', /GPU/);
  });

  it('the backend setting reaches the trainer: "webgpu" uses even a software adapter, and says which', async function () {
    this.timeout(120_000);
    await extensionApi();
    const config = vscode.workspace.getConfiguration('bertTune');
    await config.update('backend', 'webgpu', vscode.ConfigurationTarget.Global);
    try {
      const report = (await vscode.commands.executeCommand('bertTune.showBackend', { silent: true })) as {
        backend: string;
        kernels?: string[];
        lines: string[];
      };
      // CI installs Mesa's software Vulkan; elsewhere without any adapter the ladder says why and goes on.
      if (process.env.BERT_TUNE_EXPECT_WEBGPU || report.backend === 'webgpu') {
        assert.equal(report.backend, 'webgpu');
        assert.match(report.lines[0], /^Training runs on: webgpu on .+$/);
        assert.ok(
          report.lines.some(l => /^WebGPU adapter: .*largest binding \d+ MiB$/.test(l)),
          report.lines.join('\n'),
        );
        assert.ok(report.kernels?.includes('dropout'), `kernels: ${report.kernels}`);
        assert.ok(report.lines.includes(`our kernels on webgpu: ${report.kernels!.join(', ')}`), report.lines.join('\n'));
      } else assert.match(report.lines.find(l => l.startsWith('webgpu: ')) ?? '', /no GPU adapter|not shipped|failed to load/);
    } finally {
      await config.update('backend', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('"Install native backend" says plainly when the download fails', async function () {
    this.timeout(120_000);
    // An unreachable registry, and no retries: the failure comes in seconds.
    const env = { npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0', npm_config_fetch_timeout: '3000' };
    const before = Object.fromEntries(Object.keys(env).map(k => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const ok = await vscode.commands.executeCommand('bertTune.installNativeBackend', { pkg: '@tensorflow/tfjs-node' });
      assert.equal(ok, false);
    } finally {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
