/**
 * Where a training step's time goes, ours: every WASM kernel of one worker's forward and
 * backward pass timed and grouped (GEMM by shape and transpose case, attention, LayerNorm,
 * GELU, dropout, element-wise, copies), what is left of the pass's wall time (tfjs dispatch,
 * the tape, allocation), then the whole step with the gradient workers a run uses, whose
 * surplus over one pass is the optimizer, the gradient reduction and the weight loads.
 * torch's side of the same table: bench/profile_step_torch.py. Prints a table; asserts nothing.
 *   npx tsx bench/profile-step.ts [--shape bert-base] [--tokens 128] [--batch 16] [--passes 3]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend } from '../src/trainer/backend';
import { timeGradients } from '../src/trainer/train/step';
import { fixedBatches } from './batches';
import { BERT_BASE, FAMILY_SHAPES, randomModel, SHAPES, type Shape } from './shapes';
import { measure } from './train-throughput';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const WASM_DIR = path.join(__dirname, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const shapeName = arg('shape', 'bert-base');
const tokens = Number(arg('tokens', '128'));
const batchSize = Number(arg('batch', '16'));
const passes = Number(arg('passes', '3'));

/** The group a kernel call's time is counted in. */
function groupOf(name: string, inputs: tf.TensorInfo[], attrs: Record<string, unknown>): string {
  if (name === 'BatchMatMul' || name === '_FusedMatMul') {
    const [a, b] = inputs;
    const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const ta = Boolean(attrs.transposeA);
    const tb = Boolean(attrs.transposeB);
    const m = ta ? a.shape.at(-1)! : a.shape.at(-2)!;
    const k = ta ? a.shape.at(-2)! : a.shape.at(-1)!;
    const n = tb ? b.shape.at(-2)! : b.shape.at(-1)!;
    const flag = `${ta ? 'ᵀ' : ''}·${tb ? 'ᵀ' : ''}`;
    return batch > 1 ? `attention products (batched, ${flag})` : `GEMM ${m}×${n}×${k} ${ta ? 'xᵀ·dy' : tb ? 'dy·Wᵀ' : 'x·W'}`;
  }
  if (name.startsWith('BertTuneLayerNorm')) return 'LayerNorm (fused kernels)';
  if (name === 'Softmax') return 'softmax';
  if (name === 'Erf' || name.startsWith('BertTuneGelu')) return 'GELU and its gradient';
  if (name === 'BertTuneDropout') return 'dropout';
  if (
    name === 'Transpose' ||
    name === 'Identity' ||
    name === 'Reshape' ||
    name === 'Cast' ||
    name === 'Tile' ||
    name === 'Concat' ||
    name === 'Slice' ||
    name === 'Pad'
  )
    return `copies and layout (${name})`;
  if (name === 'Mean' || name === 'Sum' || name === 'Max' || name === 'Rsqrt' || name === 'Sqrt') return `reductions (${name})`;
  if (name === 'GatherV2' || name === 'ScatterNd') return 'embeddings (gather, scatter)';
  return `element-wise (${name})`;
}

async function main() {
  const shape: Shape | undefined = [...SHAPES, BERT_BASE, ...FAMILY_SHAPES].find(s => s.name.startsWith(shapeName));
  if (!shape) throw new Error(`no shape named ${shapeName}`);
  const report = await selectBackend({ prefer: 'wasm', wasmDir: WASM_DIR });
  if (report.tfBackend !== 'wasm') throw new Error('the profile is of the WASM backend, which did not load');
  const workers = os.cpus().length;
  const share = Math.ceil(batchSize / workers);

  // Every kernel of the backend, timed where it is called from outside another kernel.
  const totals = new Map<string, { ms: number; calls: number }>();
  let depth = 0;
  let profiling = false;
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: args => {
        if (!profiling || depth > 0) return inner(args);
        depth++;
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const ms = performance.now() - t0;
          depth--;
          const group = groupOf(config.kernelName, Object.values(args.inputs) as tf.TensorInfo[], (args.attrs ?? {}) as Record<string, unknown>);
          const t = totals.get(group) ?? { ms: 0, calls: 0 };
          t.ms += ms;
          t.calls++;
          totals.set(group, t);
        }
      },
    });
  }

  const model = randomModel(shape);
  const [batch] = fixedBatches(1, tokens, share);
  await timeGradients(model, batch); // warm-up: packing space, the heap's growth
  profiling = true;
  let wall = 0;
  for (let i = 0; i < passes; i++) wall += await timeGradients(model, batch);
  profiling = false;
  model.dispose();
  wall = (wall * 1000) / passes;
  for (const t of totals.values()) {
    t.ms /= passes;
    t.calls /= passes;
  }

  // The whole step as a run takes it: a worker per core, each a share of the batch, then the
  // reduction of their gradients and AdamW over the shared arrays.
  const step = await measure(shape, fixedBatches(4, tokens, batchSize), 15, report);
  const stepMs = (batchSize * 1000) / step.samplesPerSecond;

  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, t]) => s + t.ms, 0);
  console.log(
    `${shape.name}, ${tokens} tokens; one pass: forward and backward of ${share} rows (a worker's share of ${batchSize} on ${workers} cores) on ${describeBackend(report)}, mean of ${passes}; ${os.cpus()[0]?.model ?? 'cpu'}`,
  );
  console.log('| where | calls | ms | share of the pass |');
  console.log('|---|---|---|---|');
  // Groups under half a percent are summed into one row.
  const small = rows.filter(([, t]) => t.ms < wall / 200);
  for (const [group, t] of rows.filter(r => !small.includes(r)))
    console.log(`| ${group} | ${t.calls} | ${t.ms.toFixed(1)} | ${((100 * t.ms) / wall).toFixed(1)} % |`);
  const smallMs = small.reduce((s, [, t]) => s + t.ms, 0);
  const smallCalls = small.reduce((s, [, t]) => s + t.calls, 0);
  console.log(`| ${small.length} smaller groups (each under 0.5 %) | ${smallCalls} | ${smallMs.toFixed(1)} | ${((100 * smallMs) / wall).toFixed(1)} % |`);
  console.log(
    `| tfjs dispatch, the tape, allocation (the pass less its kernels) | | ${(wall - kernelMs).toFixed(1)} | ${((100 * (wall - kernelMs)) / wall).toFixed(1)} % |`,
  );
  console.log(`| **the pass** | | **${wall.toFixed(1)}** | 100 % |`);
  console.log(
    `\nThe whole step with ${step.threads} worker${step.threads > 1 ? 's' : ''}: ${stepMs.toFixed(0)} ms (${step.samplesPerSecond.toFixed(2)} samples/s); beyond one pass (the workers' passes run side by side): ${(stepMs - wall).toFixed(0)} ms for the weight loads, the gradient reduction, clipping and AdamW, and the cores' contention.`,
  );
}

void main();
