/**
 * Training speed and peak memory of BERT Tune's trainer against Hugging Face transformers' own
 * BertForSequenceClassification on pip's torch (the .cache/venv of `npm run setup:python`), same
 * shape, same batches, same cores, AdamW with clipping as its Trainer runs it. Each measurement
 * runs in a fresh process of its own, ours and theirs, so that each peak RSS is that one
 * training loop's. Prints samples/s, peak RSS, and ours/theirs ratios; asserts nothing.
 *   npx tsx bench/train-vs-pytorch/run.ts [--seconds 20] [--shapes 3] [--bert-base] [--families]
 * (--bert-base adds L12 H768 at 128 tokens and at SST-2 lengths: about a minute per side each; --families adds
 * distilbert-base, roberta-base, deberta-v3-base and ModernBERT-base at both lengths, each
 * against transformers' own class of the family: some ten minutes; --only NAME,NAME keeps the
 * rows whose shape names contain one of them.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend } from '../../src/trainer/backend';
import { setNativeMatmul } from '../../src/trainer/kernels/wasmKernels';
import { BERT_BASE, FAMILY_SHAPES, SHAPES, type Shape } from '../shapes';
import { fixedBatches, sst2Batches } from '../batches';
import { measure } from '../train-throughput';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', '20'));
const shapeCount = Number(arg('shapes', '3'));
const ROOT = path.join(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');
/** transformers' model, trained on the CPU here (bench/gpu's peer on CUDA). */
const HF_PEER = path.join(ROOT, 'bench', 'gpu', 'torch_gpu.py');
const WASM_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

const SETTINGS = {
  '128': () => fixedBatches(4, 128, 16),
  'SST-2 lengths': () => sst2Batches(40, 16),
};
type Setting = keyof typeof SETTINGS;

interface Side {
  samplesPerSecond: number;
  peakRssMb: number;
}

/** In a child process: our side of one measurement, as one JSON line. */
async function child(shape: Shape, setting: Setting): Promise<void> {
  const report = await selectBackend({ wasmDir: WASM_DIR });
  const r = await measure(shape, SETTINGS[setting](), seconds, report);
  console.log(JSON.stringify({ samplesPerSecond: r.samplesPerSecond, peakRssMb: process.resourceUsage().maxRSS / 1024 } satisfies Side));
}

function ours(shape: Shape, setting: Setting): Side {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--seconds', String(seconds)], {
    env: { ...process.env, BERT_TUNE_BENCH_CHILD: JSON.stringify({ shape, setting }) },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`our side failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function theirs(shape: Shape, setting: Setting, batchesFile: string): Side {
  const args = [
    HF_PEER,
    '--layers',
    String(shape.layers),
    '--hidden',
    String(shape.hidden),
    '--heads',
    String(shape.heads),
    '--intermediate',
    String(shape.intermediate),
    '--batches',
    batchesFile,
    '--setting',
    setting,
    '--seconds',
    String(seconds),
  ];
  if (shape.config) {
    const file = path.join(path.dirname(batchesFile), `${shape.name}.json`);
    fs.writeFileSync(file, JSON.stringify(shape.config));
    args.push('--config', file);
  }
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(os.cpus().length) } });
  if (r.status !== 0) throw new Error(`transformers failed: ${r.stderr.trim().split('\n').pop()}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { samplesPerSecond: out.samples_per_second, peakRssMb: out.peak_rss_mb };
}

async function main() {
  if (!fs.existsSync(PYTHON)) throw new Error('no Python peer: run `npm run setup:python` first (torch and transformers in .cache/venv)');
  const report = await selectBackend({ wasmDir: WASM_DIR });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-vs-torch-'));
  const cores = os.cpus().length;
  const versions = execFileSync(PYTHON, ['-c', 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'], {
    encoding: 'utf8',
  }).trim();
  console.log(
    `${cores} cores (${os.cpus()[0]?.model ?? 'cpu'}); ours on ${describeBackend(report)}${report.nativeKernels && 'reason' in report.nativeKernels ? ` (native kernels: ${report.nativeKernels.reason})` : ''}; transformers' ...ForSequenceClassification of each family on ${versions}, ${cores} threads; batch 16; ${seconds} s a measurement, each side in a fresh process`,
  );
  console.log(
    '| shape | tokens | BERT Tune samples/s | transformers samples/s | speed ratio | peak RSS BERT Tune (MB) | peak RSS transformers (MB) | RSS ratio |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  try {
    const batchesFile = path.join(work, 'batches.json');
    fs.writeFileSync(batchesFile, JSON.stringify(Object.fromEntries(Object.entries(SETTINGS).map(([name, make]) => [name, make()]))));
    const runs: [Shape, Setting][] = SHAPES.slice(0, shapeCount).flatMap(shape =>
      (Object.keys(SETTINGS) as Setting[]).map((s): [Shape, Setting] => [shape, s]),
    );
    if (process.argv.includes('--bert-base')) runs.push([BERT_BASE, '128'], [BERT_BASE, 'SST-2 lengths']);
    if (process.argv.includes('--families'))
      runs.push(...FAMILY_SHAPES.flatMap(shape => (Object.keys(SETTINGS) as Setting[]).map((s): [Shape, Setting] => [shape, s])));
    // --only deberta,ModernBERT: the rows whose shape names contain one of these
    const only = arg('only', '').split(',').filter(Boolean);
    if (only.length) runs.splice(0, runs.length, ...runs.filter(([shape]) => only.some(o => shape.name.includes(o))));
    for (const [shape, setting] of runs) {
      try {
        const a = ours(shape, setting);
        const b = theirs(shape, setting, batchesFile);
        console.log(
          `| ${shape.name} | ${setting} | ${a.samplesPerSecond.toFixed(2)} | ${b.samplesPerSecond.toFixed(2)} | ${(a.samplesPerSecond / b.samplesPerSecond).toFixed(2)} | ${a.peakRssMb.toFixed(0)} | ${b.peakRssMb.toFixed(0)} | ${(a.peakRssMb / b.peakRssMb).toFixed(2)} |`,
        );
      } catch (e) {
        console.log(`| ${shape.name} | ${setting} | ${(e as Error).message} | | | | | |`);
      }
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
    // bench:gemm's peer, on this one shape.
    const [torchGemm] = JSON.parse(
      execFileSync(PYTHON, [path.join(__dirname, '..', 'gemm_shapes_torch.py'), JSON.stringify([{ m, n, k, ta: 0, tb: 0 }]), '3'], {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: String(cores) },
      }).trim(),
    ) as Record<string, number>[];
    console.log(
      `\nOne matmul [${m}×${k}]·[${k}×${n}], GFLOP/s: BERT Tune ${nativeFlops ? `native ${native} ${nativeFlops.toFixed(1)}, ` : ''}WASM SIMD ${wasmFlops.toFixed(1)} (one core); PyTorch ${torchGemm['1'].toFixed(1)} on one thread, ${torchGemm[String(cores)].toFixed(1)} on ${cores}.`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const childSpec = process.env.BERT_TUNE_BENCH_CHILD;
if (childSpec) {
  const { shape, setting } = JSON.parse(childSpec) as { shape: Shape; setting: Setting };
  void child(shape, setting);
} else void main();
