/**
 * Training speed of BERT Tune's trainer against a plain PyTorch BERT of the same shape, on the
 * same batches, one after the other in one run (issue: "as fast as PyTorch on the same cores").
 * Installs Debian's python3-torch and the OpenMP OpenBLAS when missing (needs root). Prints
 * samples/s of each, their ratio, and peak RSS; asserts nothing.
 *   npx tsx bench/train-vs-pytorch/run.ts [--seconds 20] [--shapes 3] [--bert-base]
 * (--bert-base adds L12 H768 at 128 tokens: about a minute per side.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend } from '../../src/trainer/backend';
import { setNativeMatmul } from '../../src/trainer/kernels/wasmKernels';
import { BERT_BASE, SHAPES } from '../shapes';
import { fixedBatches, sst2Batches } from '../batches';
import { measure } from '../train-throughput';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', '20'));
const shapeCount = Number(arg('shapes', '3'));
const PYTHON = '/usr/bin/python3';

function ensureTorch(): void {
  const ok = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (ok && fs.existsSync('/usr/lib/x86_64-linux-gnu/openblas-openmp')) return;
  console.log('installing python3-torch and libopenblas0-openmp (Debian)…');
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3-torch', 'libopenblas0-openmp'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function main() {
  ensureTorch();
  const report = await selectBackend({ wasmDir: path.join(__dirname, '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-vs-torch-'));
  const cores = os.cpus().length;
  console.log(`${cores} cores; ours on ${describeBackend(report)}${report.nativeKernels && 'reason' in report.nativeKernels ? ` (native kernels: ${report.nativeKernels.reason})` : ''}; PyTorch ${execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)']).toString().trim()} with ${cores} threads; batch 16; ${seconds} s per measurement`);
  console.log('| shape | tokens | BERT Tune samples/s | PyTorch samples/s | ratio | peak RSS ours / PyTorch (MB) |');
  console.log('|---|---|---|---|---|---|');
  const settings = [
    { name: '128', batches: fixedBatches(4, 128, 16) },
    { name: 'SST-2 lengths', batches: sst2Batches(40, 16) },
  ];
  try {
    const runs = SHAPES.slice(0, shapeCount).flatMap(shape => settings.map(setting => ({ shape, setting })));
    if (process.argv.includes('--bert-base')) runs.push({ shape: BERT_BASE, setting: settings[0] });
    for (const { shape, setting } of runs) {
      const ours = await measure(shape, setting.batches, seconds, report);
      const oursRss = process.resourceUsage().maxRSS / 1024;
      const spec = path.join(work, 'spec.json');
      fs.writeFileSync(spec, JSON.stringify({ layers: shape.layers, hidden: shape.hidden, heads: shape.heads, intermediate: shape.intermediate, seconds,
        batches: setting.batches.map(b => ({ input_ids: b.inputIds, attention_mask: b.attentionMask, labels: b.labels })) }));
      const torch = spawnSync(PYTHON, [path.join(__dirname, 'torch_bert.py'), spec], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(cores) } });
      if (torch.status !== 0) {
        console.log(`| ${shape.name} | ${setting.name} | ${ours.samplesPerSecond.toFixed(2)} | failed: ${torch.stderr.trim().split('\n').pop()} | | |`);
        continue;
      }
      const t = JSON.parse(torch.stdout.trim().split('\n').pop()!);
      console.log(`| ${shape.name} | ${setting.name} | ${ours.samplesPerSecond.toFixed(2)} | ${t.samples_per_second.toFixed(2)} | ${(ours.samplesPerSecond / t.samples_per_second).toFixed(2)} | ${oursRss.toFixed(0)} / ${t.peak_rss_mb.toFixed(0)} |`);
    }
    // The bound under all of it: one matmul of a bert-mini feed-forward's shape, GFLOP/s, with
    // each of our GEMMs.
    const [m, k, n] = [2048, 256, 1024];
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const flops = (count: number, ms: number) => (2 * m * k * n * count) / ms / 1e6;
    const time = () => {
      tf.matMul(a, b).dispose();
      let count = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 3000) {
        tf.matMul(a, b).dispose();
        count++;
      }
      return flops(count, performance.now() - t0);
    };
    const native = report.nativeKernels && 'isa' in report.nativeKernels ? report.nativeKernels.isa : undefined;
    const nativeFlops = native ? time() : undefined;
    setNativeMatmul(false);
    const wasmFlops = time();
    setNativeMatmul(true);
    tf.dispose([a, b]);
    const torchGemm = JSON.parse(execFileSync(PYTHON, [path.join(__dirname, 'torch_bert.py'), '--gemm', String(m), String(k), String(n)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(cores) } }).trim());
    console.log(`\nOne matmul [${m}×${k}]·[${k}×${n}], GFLOP/s: BERT Tune ${nativeFlops ? `native ${native} ${nativeFlops.toFixed(1)}, ` : ''}WASM SIMD ${wasmFlops.toFixed(1)} (one core); PyTorch ${torchGemm['1'].toFixed(1)} on one thread, ${torchGemm[String(cores)].toFixed(1)} on ${cores}.`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
