/**
 * Our native GEMM (src/trainer/kernels/native/gemm.c) on each of bert-base's products, against
 * PyTorch's torch.mm (MKL) on the same shapes in the same run: one thread each, and PyTorch on
 * every core for scale. The backward pass's transposed products are taken as they come (no
 * copies on either side). Prints GFLOP/s and ratios; asserts nothing.
 *   npx tsx bench/gemm-shapes.ts [--seconds 2] [--rows 2048]
 * (--rows: the tokens of one product, 2048 = batch 16 × 128; each of the two workers of a
 * 2-core machine runs half of them.)
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { ISA_NAMES, loadNativeKernels } from '../src/trainer/kernels/nativeKernels';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', '2'));
const rows = Number(arg('rows', '2048'));
const PYTHON = path.join(__dirname, '..', '.cache', 'venv', 'bin', 'python');

interface Case {
  name: string;
  m: number;
  n: number;
  k: number;
  ta: 0 | 1;
  tb: 0 | 1;
}

const H = 768;
const I = 3072;
/** bert-base's dense products: forward x·W, backward dy·Wᵀ (dx) and xᵀ·dy (dW). */
const CASES: Case[] = [
  { name: 'x·W (Q, K, V, out)', m: rows, n: H, k: H, ta: 0, tb: 0 },
  { name: 'x·W (intermediate)', m: rows, n: I, k: H, ta: 0, tb: 0 },
  { name: 'x·W (output, 3072→768)', m: rows, n: H, k: I, ta: 0, tb: 0 },
  { name: 'dy·Wᵀ (Q, K, V, out)', m: rows, n: H, k: H, ta: 0, tb: 1 },
  { name: 'dy·Wᵀ (intermediate)', m: rows, n: H, k: I, ta: 0, tb: 1 },
  { name: 'dy·Wᵀ (output)', m: rows, n: I, k: H, ta: 0, tb: 1 },
  { name: 'xᵀ·dy (Q, K, V, out)', m: H, n: H, k: rows, ta: 1, tb: 0 },
  { name: 'xᵀ·dy (intermediate)', m: H, n: I, k: rows, ta: 1, tb: 0 },
  { name: 'xᵀ·dy (output)', m: I, n: H, k: rows, ta: 1, tb: 0 },
];

function main() {
  const load = loadNativeKernels();
  if (!load.kernels) throw new Error(`no native kernels: ${load.reason}`);
  const native = load.kernels;
  const isas = native.supported();
  const floats = (c: Case) => [c.m * c.k, c.k * c.n, c.m * c.n];
  const largest = Math.max(...CASES.map(c => floats(c).reduce((x, y) => x + y)));
  const memory = new ArrayBuffer(largest * 4);
  const view = new Float32Array(memory);
  for (let i = 0; i < view.length; i++) view[i] = Math.sin(i) * 0.5;

  const ours = (c: Case): number => {
    const [fa, fb] = floats(c);
    const run = () => native.batchMatmul(memory, 0, fa * 4, (fa + fb) * 4, 1, c.m, c.n, c.k, c.ta, c.tb, 0, 0);
    run();
    let count = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      run();
      count++;
    }
    return (2 * c.m * c.n * c.k * count) / (performance.now() - t0) / 1e6;
  };
  const figures: Record<string, number[]> = {};
  for (const isa of isas) {
    native.useIsa(isa);
    figures[isa] = CASES.map(ours);
  }
  native.useIsa(isas[0]);
  const cores = os.cpus().length;
  const torch = JSON.parse(
    execFileSync(PYTHON, [path.join(__dirname, 'gemm_shapes_torch.py'), JSON.stringify(CASES), String(seconds)], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: String(cores) },
    }),
  ) as Record<string, number>[];

  console.log(`${cores} cores (${os.cpus()[0]?.model ?? 'cpu'}); GFLOP/s, one thread unless said; ${seconds} s a figure; rows = ${rows}`);
  const ourHeads = isas.map(i => `ours ${ISA_NAMES[i] ?? i}`);
  console.log(`| product | M×N×K | ${ourHeads.join(' | ')} | PyTorch | ${ourHeads.map(h => `${h} / PyTorch`).join(' | ')} | PyTorch on ${cores} |`);
  console.log(`|---|---|${isas.map(() => '---|').join('')}---|${isas.map(() => '---|').join('')}---|`);
  CASES.forEach((c, i) => {
    const t1 = torch[i]['1'];
    const ourFigures = isas.map(isa => figures[isa][i]);
    console.log(
      `| ${c.name} | ${c.m}×${c.n}×${c.k} | ${ourFigures.map(f => f.toFixed(1)).join(' | ')} | ${t1.toFixed(1)} | ${ourFigures.map(f => (f / t1).toFixed(2)).join(' | ')} | ${torch[i][String(cores)].toFixed(1)} |`,
    );
  });
}

main();
