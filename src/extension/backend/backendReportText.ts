/**
 * "Show training backend" as a document a person reads and can copy: what training runs on and
 * with how many workers, each faster backend and why it is not used, this machine, and the next
 * step. Plain Markdown from the trainer's report, apart from VS Code (unit-tested).
 */
import { BACKEND_SUMMARIES, BACKENDS, describeAdapter, describeBackend, gpuFacts, type BackendReport } from '../../shared/backendReport';

export interface MachineFacts {
  cpu: string;
  threads: number;
  memoryGiB: number;
  platform: string;
  /** What the OS says of GPUs (nvidia-smi, lspci), or that it found none. */
  gpus: string;
  /** Gradient workers a run on WASM or the pure-JS backend gets. */
  workers: number;
}

/** Whether installing TensorFlow's native backend could help: only where neither a GPU nor our own native kernels run. */
export function nativeBackendWouldHelp(report: BackendReport): boolean {
  const fast = report.backend === 'tensorflow' || report.backend === 'tensorflow-gpu' || report.backend === 'webgpu';
  const ownKernels = report.nativeKernels !== undefined && !('reason' in report.nativeKernels);
  return !fast && !ownKernels;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function backendReportMarkdown(report: BackendReport, machine: MachineFacts): string {
  const onCpu = report.backend === 'wasm' || report.backend === 'cpu';
  const faster = BACKENDS.slice(0, BACKENDS.indexOf(report.backend));
  const why = new Map(report.attempts.filter(a => !a.ok).map(a => [a.backend, a.reason]));
  const lines = [
    '# BERT Tune: where training runs',
    '',
    `**${describeBackend(report)}**${onCpu ? `, with ${machine.workers} gradient worker${machine.workers === 1 ? '' : 's'} (one per core; the setting \`bertTune.training.threads\` changes it)` : ''}.`,
    '',
    BACKEND_SUMMARIES[report.backend] + '.',
  ];
  if (report.kernels?.length) lines.push('', `BERT Tune's own kernels on it: ${report.kernels.join(', ')}.`);
  if (report.nativeKernels && 'reason' in report.nativeKernels) lines.push('', `Native matrix-product kernels: not used (${report.nativeKernels.reason}).`);
  if (faster.length) {
    lines.push('', '## Faster backends, and why they are not used', '', '| backend | what it is | why not here |', '|---|---|---|');
    for (const b of faster) lines.push(`| ${b} | ${cell(BACKEND_SUMMARIES[b])} | ${cell(why.get(b) ?? 'not tried')} |`);
  }
  const adapter = report.gpu ?? report.passedOverGpu;
  lines.push(
    '',
    '## This machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.threads} threads`,
    `- Memory: ${machine.memoryGiB.toFixed(0)} GiB`,
    `- System: ${machine.platform}`,
    `- GPU: ${machine.gpus}`,
    ...(adapter ? [`- WebGPU adapter${report.gpu ? '' : ' (found, not used)'}: ${describeAdapter(adapter)}; ${gpuFacts(adapter)}`] : []),
  );
  lines.push('', '## Next step', '');
  if (report.backend === 'webgpu' || report.backend === 'tensorflow-gpu') lines.push('Nothing to do: training runs on the GPU.');
  else if (nativeBackendWouldHelp(report))
    lines.push(
      "Install TensorFlow's native backend (*BERT Tune: Install native backend for training*): it can train faster here. It needs internet access and downloads libtensorflow (a large download).",
    );
  else
    lines.push(
      'Nothing to install: this is the fastest backend here. For more speed, train a smaller model, freeze layers or train the head only (*Fine-tune on this CSV*, settings), or export the run for a GPU server (*Export training script*).',
    );
  return lines.join('\n') + '\n';
}
