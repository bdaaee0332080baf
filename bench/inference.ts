/**
 * Inference speed per backend and BERT shape: latency (p50/p95) of one short text of ~16 tokens,
 * and examples/s for batches of 32 such texts. Prints figures; asserts nothing.
 *   npx tsx bench/inference.ts [--backends wasm,cpu] [--seconds 3]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, describeBackend, selectBackend, type BackendName } from '../src/trainer/backend';
import { percentile, randomModel, SHAPES } from './shapes';

const WASM_DIR = path.join(__dirname, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', '3'));
const wanted = arg('backends', BACKENDS.join(',')).split(',') as BackendName[];

/** ~16 tokens: [CLS] + 14 word pieces + [SEP], ids from the uncased vocab's ordinary range. */
function inputs(batch: number, tokens = 16) {
  const ids = Array.from({ length: batch }, (_, b) => [101, ...Array.from({ length: tokens - 2 }, (_, i) => 2000 + ((b * 31 + i * 17) % 5000)), 102]);
  return {
    inputIds: tf.tensor2d(ids, undefined, 'int32'),
    tokenTypeIds: tf.zeros([batch, tokens], 'int32') as tf.Tensor2D,
    attentionMask: tf.ones([batch, tokens], 'int32') as tf.Tensor2D,
  };
}

async function timeRuns(fn: () => Promise<void>, budgetMs: number, minRuns: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (times.length < minRuns || (performance.now() < end && times.length < 2000)) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${seconds} s per measurement`);
  console.log('| backend | shape | p50 ms (1 × 16 tok) | p95 ms | examples/s (32 × 16 tok) |');
  console.log('|---|---|---|---|---|');
  for (const prefer of wanted) {
    const report = await selectBackend({ prefer, wasmDir: WASM_DIR });
    if (report.backend !== prefer) {
      console.log(`| ${prefer} | – | not available: ${report.attempts.find(a => a.backend === prefer)?.reason ?? 'skipped'} | | |`);
      continue;
    }
    for (const shape of SHAPES) {
      const model = randomModel(shape);
      const one = inputs(1);
      const batch = inputs(32);
      const run = async (x: ReturnType<typeof inputs>) => {
        const out = model.forward(x, { training: false });
        await out.logits.data();
        tf.dispose([out.logits, out.clsHidden, out.pooled]);
      };
      await run(one); // warm-up: kernels compiled, memory allocated
      await run(batch);
      const single = await timeRuns(() => run(one), seconds * 1000, 5);
      const batched = await timeRuns(() => run(batch), seconds * 1000, 2);
      const perSecond = (32 * 1000) / percentile(batched, 50);
      console.log(
        `| ${describeBackend(report)} | ${shape.name} | ${percentile(single, 50).toFixed(1)} | ${percentile(single, 95).toFixed(1)} | ${perSecond.toFixed(1)} |`,
      );
      tf.dispose([one.inputIds, one.tokenTypeIds, one.attentionMask, batch.inputIds, batch.tokenTypeIds, batch.attentionMask]);
      model.dispose();
    }
  }
}

void main();
