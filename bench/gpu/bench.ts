/**
 * Training on a GPU: BERT Tune on WebGPU against Hugging Face transformers on PyTorch (fp32, and
 * bf16 autocast) on the same GPU and the same batches, and our CPU path on the same machine, in
 * one run. Prints samples/s, ratios, peak GPU memory, and our WebGPU logits against our CPU
 * backend's. A benchmark, not a test: it asserts nothing.
 *
 * It runs where Node and npm may be missing (the lent GPU machine), so it is bundled with the
 * trainer by bench/gpu/prepare.sh into .gpubench/ and started by bench/gpu/run-on-device.sh:
 *   node .gpubench/bench.js all [--seconds 10] [--rehearse]
 * `--rehearse`: here, on Mesa's software adapter, with bert-tiny and a few seconds, to check the
 * script end to end before a GPU's minutes are spent on it. Each measurement runs in a process
 * of its own (a backend, and the GPU's memory peak, are per process).
 *   node .gpubench/bench.js prepare       (with tsx, here: the batches, from ../shared's SST-2)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend, type BackendName } from '../../src/trainer/backend';
import { isDecayed } from '../../src/trainer/model/parameters';
import { ADAMW_DEFAULTS } from '../../src/trainer/step/adamwMath';
import { startOptimisation } from '../../src/trainer/train/optimisation';
import { batchTensors, disposeInputs, type Batch } from '../../src/trainer/step/batch';
import { Random } from '../../src/trainer/util/random';
import { fixedBatches, sst2Batches } from '../batches';
import { BERT_BASE, randomModel, SHAPES, type Shape } from '../shapes';

const BATCH = 32;
const HERE = __dirname;
const BATCHES_FILE = path.join(HERE, 'batches.json');
const SHAPE_BY_KEY: Record<string, Shape> = { tiny: SHAPES[0], mini: SHAPES[1], base: BERT_BASE };
type Setting = '128' | 'sst2';

const arg = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** Here only: 4 batches of 32 × 128 tokens, and 24 of 32 SST-2 training sentences as they come (padded to each batch's longest). */
function prepare(): void {
  const strip = (b: Batch) => ({ inputIds: b.inputIds, tokenTypeIds: b.tokenTypeIds, attentionMask: b.attentionMask, labels: b.labels });
  fs.writeFileSync(process.argv[3] ?? BATCHES_FILE, JSON.stringify({ '128': fixedBatches(4, 128, BATCH).map(strip), sst2: sst2Batches(24, BATCH).map(strip) }));
}

function batchesOf(setting: Setting): Batch[] {
  return JSON.parse(fs.readFileSync(BATCHES_FILE, 'utf8'))[setting];
}

interface TrainResult {
  backend: string;
  samplesPerSecond: number;
  steps: number;
  meanTokens: number;
  threads: number;
  peakGpuBytes?: number;
  firstStepSeconds: number;
}

/** Steps as a run takes them (runTraining's Optimisation) for `seconds`, after a warm-up step that compiles the kernels. */
async function train(backendName: BackendName, shape: Shape, setting: Setting, seconds: number): Promise<TrainResult> {
  const report = await selectBackend({ prefer: backendName });
  if (report.backend !== backendName) throw new Error(`${backendName} did not load: ${report.attempts.find(a => a.backend === backendName)?.reason}`);
  const batches = batchesOf(setting);
  const model = randomModel(shape);
  const optimizer = await startOptimisation(model, new Set(model.specs.filter(isDecayed).map(s => s.name)), ADAMW_DEFAULTS, report, {
    warn: m => console.error(m),
  });
  const random = new Random(1);
  const options = { lr: 1e-4, maxGradNorm: 1, nextSeed: () => Math.floor(random.next() * 2 ** 31) };
  const gpuBytes = () => (tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU;
  let peak = gpuBytes();
  try {
    const t0 = performance.now();
    // Every padded length once: each new shape compiles its kernels.
    const warm = [...new Map(batches.map(b => [b.inputIds[0].length, b])).values()];
    for (const b of warm) await optimizer.step([b], options);
    const firstStepSeconds = (performance.now() - t0) / 1000;
    let samples = 0;
    let steps = 0;
    let tokens = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000 || steps < 3) {
      const b = batches[steps % batches.length];
      await optimizer.step([b], options);
      samples += b.labels.length;
      tokens += b.inputIds[0].length;
      steps++;
      peak = Math.max(peak ?? 0, gpuBytes() ?? 0) || undefined;
    }
    return {
      backend: describeBackend(report),
      samplesPerSecond: (samples * 1000) / (performance.now() - start),
      steps,
      meanTokens: tokens / steps,
      threads: optimizer.threads,
      peakGpuBytes: peak,
      firstStepSeconds,
    };
  } finally {
    await optimizer.dispose();
    model.dispose();
  }
}

/** Evaluation-mode logits of the first SST-2 batch, with the bench's random weights. */
async function logits(backendName: BackendName, shape: Shape): Promise<number[][]> {
  await selectBackend({ prefer: backendName });
  const model = randomModel(shape);
  const x = batchTensors(batchesOf('sst2')[0]);
  const out = model.forward(x, { training: false });
  const values = (await out.logits.array()) as number[][];
  tf.dispose([out.logits, out.pooled, out.clsHidden]);
  disposeInputs(x);
  model.dispose();
  return values;
}

/** Runs this script's `command` in a process of its own and returns the JSON it prints last. */
function child(args: string[], env: NodeJS.ProcessEnv = {}): { ok: true; value: unknown } | { ok: false; error: string } {
  const r = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  const last = r.stdout.trim().split('\n').pop();
  if (r.status === 0 && last) return { ok: true, value: JSON.parse(last) };
  return {
    ok: false,
    error: (
      r.stderr
        .trim()
        .split('\n')
        .filter(l => !l.startsWith('Warning: max'))
        .pop() ?? `exit ${r.status}`
    ).slice(0, 300),
  };
}

interface TorchResult {
  samples_per_second: number;
  peak_gpu_bytes?: number | null;
  device: string;
  torch: string;
  transformers: string;
}

function torch(
  python: string,
  shape: Shape,
  setting: Setting,
  dtype: 'fp32' | 'bf16',
  seconds: number,
): { ok: true; value: TorchResult } | { ok: false; error: string } {
  const r = spawnSync(
    python,
    [
      path.join(HERE, 'torch_gpu.py'),
      '--batches',
      BATCHES_FILE,
      '--setting',
      setting,
      '--layers',
      String(shape.layers),
      '--hidden',
      String(shape.hidden),
      '--heads',
      String(shape.heads),
      '--intermediate',
      String(shape.intermediate),
      '--dtype',
      dtype,
      '--seconds',
      String(seconds),
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  const last = r.stdout.trim().split('\n').pop();
  if (r.status === 0 && last) return { ok: true, value: JSON.parse(last) };
  return { ok: false, error: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 300) };
}

const mib = (b?: number | null) => (b === undefined || b === null ? '–' : `${(b / 2 ** 20).toFixed(0)}`);

async function all(): Promise<void> {
  const rehearse = process.argv.includes('--rehearse');
  const seconds = Number(arg('seconds', rehearse ? '3' : '10'));
  const python = arg('python', process.env.PYTHON ?? 'python3')!;
  const out = arg('out', process.env.OUT ?? path.join(HERE, 'out'))!;
  fs.mkdirSync(out, { recursive: true });
  const shapes = rehearse ? ['tiny'] : ['mini', 'base'];
  const settings: Setting[] = ['128', 'sst2'];
  const results: Record<string, unknown> = { rehearse, seconds, cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version };
  const backend = child(['backend'], { BERT_TUNE_BACKEND: 'webgpu' });
  results.backend = backend;
  console.log(`# GPU training benchmark${rehearse ? ' (rehearsal on this machine)' : ''}`);
  console.log(`node ${process.version}; ${os.cpus().length} cores (${os.cpus()[0]?.model}); batch ${BATCH}; ${seconds} s a measurement after warm-up`);
  console.log(`ours: ${backend.ok ? (backend.value as { line: string }).line : `webgpu failed: ${backend.error}`}`);
  console.log('');
  console.log(
    '| shape | tokens | ours WebGPU samples/s | PyTorch fp32 | ratio | PyTorch bf16 autocast | ratio | ours CPU (wasm) | GPU vs CPU | peak GPU MiB ours / torch fp32 / bf16 |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const rows: unknown[] = [];
  for (const key of shapes) {
    const shape = SHAPE_BY_KEY[key];
    for (const setting of settings) {
      const gpu = child(['train', '--backend', 'webgpu', '--shape', key, '--setting', setting, '--seconds', String(seconds)]);
      const fp32 = torch(python, shape, setting, 'fp32', seconds);
      const bf16 = torch(python, shape, setting, 'bf16', seconds);
      // Our CPU path at 128 tokens only: bert-base takes seconds a step there.
      const cpu =
        setting === '128' || rehearse ? child(['train', '--backend', 'wasm', '--shape', key, '--setting', setting, '--seconds', String(seconds)]) : undefined;
      const sps = (r?: { ok: boolean; value?: unknown }) =>
        r?.ok
          ? ((r.value as { samplesPerSecond?: number; samples_per_second?: number }).samplesPerSecond ??
            (r.value as { samples_per_second: number }).samples_per_second)
          : undefined;
      const f = (v?: number) => (v === undefined ? 'failed' : v.toFixed(1));
      const ratio = (a?: number, b?: number) => (a !== undefined && b ? (a / b).toFixed(2) : '–');
      const [g, t32, t16, c] = [sps(gpu), sps(fp32), sps(bf16), sps(cpu)];
      const peaks = `${mib(gpu.ok ? (gpu.value as TrainResult).peakGpuBytes : undefined)} / ${mib(fp32.ok ? fp32.value.peak_gpu_bytes : undefined)} / ${mib(bf16.ok ? bf16.value.peak_gpu_bytes : undefined)}`;
      console.log(
        `| ${shape.name} | ${setting === '128' ? '128' : 'SST-2 lengths'} | ${f(g)} | ${f(t32)} | ${ratio(g, t32)} | ${f(t16)} | ${ratio(g, t16)} | ${cpu ? f(c) : '–'} | ${cpu ? ratio(g, c) : '–'} | ${peaks} |`,
      );
      rows.push({ shape: shape.name, setting, gpu, fp32, bf16, cpu });
      for (const [what, r] of [
        ['webgpu', gpu],
        ['torch fp32', fp32],
        ['torch bf16', bf16],
        ['cpu', cpu],
      ] as const)
        if (r && !r.ok) console.log(`  ${what} failed: ${r.error}`);
    }
  }
  results.rows = rows;
  // Our GPU against our CPU backend, same weights and batch.
  const checks: unknown[] = [];
  for (const key of shapes) {
    const a = child(['logits', '--backend', 'webgpu', '--shape', key]);
    const b = child(['logits', '--backend', 'wasm', '--shape', key]);
    if (!a.ok || !b.ok) {
      console.log(`logits ${key}: ${a.ok ? '' : `webgpu failed: ${a.error} `}${b.ok ? '' : `wasm failed: ${b.error}`}`);
      continue;
    }
    const [x, y] = [(a.value as number[][]).flat(), (b.value as number[][]).flat()];
    const worst = Math.max(...x.map((v, i) => Math.abs(v - y[i])));
    const scale = Math.max(...y.map(Math.abs));
    console.log(`logits, ${SHAPE_BY_KEY[key].name}, WebGPU vs our CPU backend: max |Δ| ${worst.toExponential(2)} (largest logit ${scale.toFixed(3)})`);
    checks.push({ shape: key, maxAbsDiff: worst, scale });
  }
  results.logits = checks;
  const t = fp32Info(rows);
  if (t) console.log(`PyTorch: torch ${t.torch}, transformers ${t.transformers} (BertForSequenceClassification, its default attention), on ${t.device}`);
  fs.writeFileSync(path.join(out, 'gpu-bench.json'), JSON.stringify(results, null, 2));
}

function fp32Info(rows: unknown[]): TorchResult | undefined {
  for (const r of rows as { fp32: { ok: boolean; value?: TorchResult } }[]) if (r.fp32.ok) return r.fp32.value;
  return undefined;
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'prepare') return prepare();
  if (command === 'all') return all();
  if (command === 'backend') {
    const report = await selectBackend();
    console.log(
      JSON.stringify({
        report,
        line:
          describeBackend(report) +
          (report.gpu ? ` (driver ${report.gpu.driver ?? '?'}; features ${report.gpu.features.join(', ')}; kernels ${report.kernels?.join(', ')})` : ''),
      }),
    );
    return;
  }
  const shape = SHAPE_BY_KEY[arg('shape', 'mini')!];
  const backend = arg('backend', 'webgpu') as BackendName;
  if (command === 'train') return void console.log(JSON.stringify(await train(backend, shape, arg('setting', '128') as Setting, Number(arg('seconds', '10')))));
  if (command === 'logits') return void console.log(JSON.stringify(await logits(backend, shape)));
  throw new Error(`unknown command ${command}: prepare, all, backend, train, logits`);
}

main().then(
  () => process.exit(0),
  e => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
