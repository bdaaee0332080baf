/**
 * "Show training backend" (which TensorFlow.js backend the trainer loads, and why each faster
 * one does not) and "Install native backend" (tfjs-node or tfjs-node-gpu into the extension's
 * global storage, where the trainer looks for it).
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { backendReportMarkdown, nativeBackendWouldHelp } from './backendReportText';
import { describeNpmFailure } from './npmFailure';
import type { Ctx } from '../context';
import { describeBackend, gpuAdapterLine, type BackendReport } from '../../shared/backendReport';
import { defaultThreads } from '../../shared/trainerProtocol';
import { currentSettings } from '../config';

const run = promisify(execFile);

async function gpuFacts(): Promise<string> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { timeout: 5000 });
    return stdout.trim() || 'nvidia-smi lists no GPU';
  } catch {
    return 'no NVIDIA GPU found (nvidia-smi is not available)';
  }
}

/** Which backend the trainer loads here, and why each faster one does not; `silent` skips the dialog. */
export async function showBackend(ctx: Ctx, options: { silent?: boolean } = {}): Promise<(BackendReport & { lines: string[] }) | undefined> {
  let report: BackendReport;
  try {
    const { stdout } = await run(process.execPath, [ctx.trainerJs, 'backend'], {
      env: { ...process.env, ...ctx.trainerEnv(), ELECTRON_RUN_AS_NODE: '1' },
      timeout: 60_000,
    });
    report = JSON.parse(stdout.trim().split('\n').pop()!);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not start the trainer to check its backend: ${(e as Error).message}`);
    return undefined;
  }
  const cpus = os.cpus();
  const workers = defaultThreads(currentSettings().threads, os.availableParallelism());
  const lines = [
    `Training runs on: ${describeBackend(report)}` +
      (report.backend === 'wasm' || report.backend === 'cpu'
        ? `, with ${workers} gradient worker${workers > 1 ? 's' : ''} (setting bertTune.training.threads)`
        : ''),
    ...report.attempts.filter(a => !a.ok).map(a => `${a.backend}: ${a.reason}`),
    ...(report.nativeKernels && 'reason' in report.nativeKernels ? [`native matmul kernels: ${report.nativeKernels.reason}`] : []),
    ...[report.gpu, report.passedOverGpu].filter(g => g !== undefined).map(gpuAdapterLine),
    ...(report.kernels?.length ? [`our kernels on ${report.backend}: ${report.kernels.join(', ')}`] : []),
    `CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} threads; ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory; ${process.platform}-${process.arch}`,
    `GPU: ${await gpuFacts()}`,
  ];
  lines.forEach(l => ctx.output.info(l));
  if (options.silent) return { ...report, lines };
  // A document to read and copy, not a modal: what runs, why not faster, this machine, the next step.
  const markdown = backendReportMarkdown(report, {
    cpu: cpus[0]?.model ?? 'unknown',
    threads: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    platform: `${process.platform}-${process.arch}`,
    gpus: await gpuFacts(),
    workers,
  });
  // A file of the extension's own storage (an untitled document would ask to be saved on exit), shown as its preview.
  const file = path.join(ctx.extension.globalStorageUri.fsPath, 'training-backend.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, markdown);
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(file));
  if (nativeBackendWouldHelp(report)) {
    const action = await vscode.window.showInformationMessage(
      `BERT Tune trains on ${describeBackend(report)}; a native backend could be faster here.`,
      'Install native backend',
    );
    if (action === 'Install native backend') await vscode.commands.executeCommand('bertTune.installNativeBackend');
  }
  return { ...report, lines };
}

/** tfjs-node-gpu needs Linux or Windows on x64 with CUDA 11.2 and cuDNN 8.1. */
export async function installNativeBackend(ctx: Ctx, options: { pkg?: string } = {}): Promise<boolean> {
  const gpuPossible = (process.platform === 'linux' || process.platform === 'win32') && process.arch === 'x64';
  const choice = options.pkg
    ? { pkg: options.pkg }
    : await vscode.window.showQuickPick(
        [
          {
            label: '@tensorflow/tfjs-node',
            detail: "TensorFlow's native CPU kernels: wider SIMD than WebAssembly's, for wide models on long texts",
            pkg: '@tensorflow/tfjs-node',
          },
          ...(gpuPossible
            ? [{ label: '@tensorflow/tfjs-node-gpu', detail: 'TensorFlow on an NVIDIA GPU: needs CUDA 11.2 and cuDNN 8.1', pkg: '@tensorflow/tfjs-node-gpu' }]
            : []),
        ],
        { title: 'Install a native backend for training' },
      );
  if (!choice) return false;
  const dir = ctx.nativeModulesDir;
  fs.mkdirSync(dir, { recursive: true });
  // npm 11 runs a dependency's install script only when package.json allows it; older npm always does.
  fs.writeFileSync(
    `${dir}/package.json`,
    JSON.stringify({ private: true, allowScripts: { '@tensorflow/tfjs-node': true, '@tensorflow/tfjs-node-gpu': true } }, null, 2) + '\n',
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Installing ${choice.pkg}`, cancellable: true },
    (progress, token) =>
      new Promise<boolean>(resolve => {
        const child = spawn(npm, ['install', '--no-audit', '--no-fund', `${choice.pkg}@4.22.0`], { cwd: dir, shell: process.platform === 'win32' });
        let tail = '';
        const onData = (d: Buffer) => {
          const text = d.toString();
          tail = (tail + text).slice(-2000);
          ctx.output.info(`[npm] ${text.trimEnd()}`);
          const last = text.trim().split('\n').pop();
          if (last) progress.report({ message: last.slice(0, 80) });
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        token.onCancellationRequested(() => child.kill());
        child.on('error', e => {
          void vscode.window.showErrorMessage(
            `Could not run npm to install ${choice.pkg}: ${e.message}. Install Node.js (which brings npm), or run "npm install ${choice.pkg}" in ${dir}.`,
          );
          resolve(false);
        });
        child.on('exit', code => {
          if (code === 0) {
            void vscode.window.showInformationMessage(
              `${choice.pkg} is installed; the next training run uses it. "BERT Tune: Show training backend" says whether it loads.`,
            );
            resolve(true);
          } else {
            void vscode.window.showErrorMessage(describeNpmFailure(choice.pkg, code, tail), 'Show log').then(a => a && ctx.output.show());
            resolve(false);
          }
        });
      }),
  );
}
