/**
 * Training speed per backend and BERT shape: samples/s of full optimisation steps (forward,
 * backward, clipping, AdamW), batch 16, at 128 tokens, and at SST-2's real lengths with
 * dynamic padding. Prints figures; asserts nothing. Reads ../shared/data for SST-2 texts.
 *   npx tsx bench/train-throughput.ts [--backends wasm,cpu] [--seconds 20] [--shapes 3] [--freeze N|half]
 * (--freeze: also each shape with its embeddings and lowest N layers, or half its layers, frozen, as --freeze-layers.)
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, describeBackend, onBackend, selectBackend, type BackendName, type BackendReport } from '../src/trainer/backend';
import { frozenParameters, isDecayed } from '../src/trainer/model/parameters';
import { ADAMW_DEFAULTS } from '../src/trainer/step/adamwMath';
import { seedsWorkers, startOptimisation } from '../src/trainer/train/optimisation';
import { Random } from '../src/trainer/util/random';
import type { Batch } from '../src/trainer/step/batch';
import { fixedBatches, sst2Batches } from './batches';
import { randomModel, SHAPES } from './shapes';

const WASM_DIR = path.join(__dirname, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', '20'));
const wanted = arg('backends', BACKENDS.join(',')).split(',') as BackendName[];
/** e.g. --shapes 1 for bert-tiny only: the pure-JS backend needs minutes per bert-small step. */
const shapeCount = Number(arg('shapes', String(SHAPES.length)));
const BATCH = 16;
const freezeArg = arg('freeze', '0');
const frozenLayers = (layers: number) => (freezeArg === 'half' ? Math.floor(layers / 2) : Math.min(Number(freezeArg) || 0, layers));

/**
 * Samples/s of full optimisation steps the way a run takes them (runTraining's Optimisation):
 * gradient workers on `threads` cores on WASM and the pure-JS backend, else the main thread.
 */
export async function measure(
  shape: (typeof SHAPES)[number],
  batches: Batch[],
  seconds: number,
  backend: BackendReport,
  threads?: number,
  freezeLayers = 0,
): Promise<{ samplesPerSecond: number; steps: number; meanTokens: number; threads: number }> {
  // As a run holds it (runTraining.ts): with workers, the main thread's copy only seeds them.
  const model = seedsWorkers(backend, threads) ? await onBackend('cpu', () => randomModel(shape)) : randomModel(shape);
  if (freezeLayers) model.freeze(frozenParameters(model.config, freezeLayers));
  const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
  const optimizer = await startOptimisation(model, decayed, ADAMW_DEFAULTS, backend, { threads, warn: m => console.log(`  ${m}`) });
  if (optimizer.ownsWeights) model.releaseWeights();
  const random = new Random(1);
  const options = { lr: 1e-4, maxGradNorm: 1, nextSeed: () => Math.floor(random.next() * 2 ** 31) };
  try {
    await optimizer.step([batches[0]], options); // warm-up
    let samples = 0;
    let steps = 0;
    let tokens = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000 || steps < 2) {
      const b = batches[(steps + 1) % batches.length];
      await optimizer.step([b], options);
      samples += b.labels.length;
      tokens += b.inputIds[0].length;
      steps++;
    }
    return { samplesPerSecond: (samples * 1000) / (performance.now() - t0), steps, meanTokens: tokens / steps, threads: optimizer.threads };
  } finally {
    await optimizer.dispose();
    model.dispose();
  }
}

async function main() {
  console.log(`node ${process.version}, ${os.cpus().length} cores, batch ${BATCH}, ${seconds} s per measurement`);
  console.log('| backend | shape | threads | samples/s at 128 tokens | samples/s at SST-2 lengths (mean padded length) |');
  console.log('|---|---|---|---|---|');
  const sst2 = sst2Batches(40, BATCH);
  const fixed = fixedBatches(4, 128, BATCH);
  for (const prefer of wanted) {
    const report = await selectBackend({ prefer, wasmDir: WASM_DIR });
    if (report.backend !== prefer) {
      console.log(`| ${prefer} | – | not available: ${report.attempts.find(a => a.backend === prefer)?.reason ?? 'skipped'} | |`);
      continue;
    }
    for (const shape of SHAPES.slice(0, shapeCount)) {
      // one thread, then what a run uses by default (a gradient worker per core)
      for (const threads of [1, undefined]) {
        for (const frozen of frozenLayers(shape.layers) ? [0, frozenLayers(shape.layers)] : [0]) {
          const at128 = await measure(shape, fixed, seconds, report, threads, frozen);
          const real = await measure(shape, sst2, seconds, report, threads, frozen);
          if (threads === undefined && at128.threads === 1) break;
          const name = frozen ? `${shape.name}, ${frozen} of ${shape.layers} layers frozen` : shape.name;
          console.log(
            `| ${describeBackend(report)} | ${name} | ${at128.threads} | ${at128.samplesPerSecond.toFixed(2)} | ${real.samplesPerSecond.toFixed(2)} (${real.meanTokens.toFixed(0)}) |`,
          );
        }
      }
      if (tf.memory().numTensors > 10) console.log(`  (tensors left: ${tf.memory().numTensors})`);
    }
  }
}

// Run only as a script, not when another bench imports the helpers.
if (require.main === module) void main();
