/**
 * Predictions as the editor gets them: end-to-end latency of one ~16-token selection through a
 * warm inference process (IPC included), for bert-tiny and bert-mini shapes on WASM, and rows/s
 * of "Predict a CSV column" on 10,000 SST-2 rows. Prints figures; asserts nothing. Goal for
 * bert-mini: p50 under 15 ms.  npx tsx bench/predict-latency.ts   (reads ../shared/data)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceClient } from '../src/extension/predict/inferenceClient';
import { percentile } from './shapes';

const ROOT = path.join(__dirname, '..');
const SHARED = path.join(ROOT, '..', 'shared', 'data');
const trainer = path.join(ROOT, 'dist', 'trainer.js');

async function main() {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-predict-bench-'));
  const vocab = path.join(SHARED, 'vocab', 'bert-base-uncased-vocab.txt');
  const shapes = [
    { name: 'bert-tiny (L2 H128)', args: ['2', '128', '2', '512'] },
    { name: 'bert-mini (L4 H256)', args: ['4', '256', '4', '1024'] },
  ];
  const selection = 'the performances are strong but the script never quite finds its footing';
  const csv = path.join(work, 'sst2-10000.tsv');
  fs.writeFileSync(
    csv,
    fs
      .readFileSync(path.join(SHARED, 'sst2', 'train.tsv'), 'utf8')
      .split('\n')
      .slice(0, 10001)
      .join('\n') + '\n',
  );
  console.log(`node ${process.version}, ${os.cpus().length} cores, backend wasm (SIMD); selection of 16 tokens`);
  console.log('| shape | p50 ms | p95 ms | CSV rows/s (10,000 rows) |');
  console.log('|---|---|---|---|');
  try {
    for (const s of shapes) {
      const model = path.join(work, s.name.split(' ')[0]);
      const [layers, hidden, heads, intermediate] = s.args;
      execFileSync(
        process.execPath,
        [
          trainer,
          'init-checkpoint',
          '--layers',
          layers,
          '--hidden',
          hidden,
          '--heads',
          heads,
          '--intermediate',
          intermediate,
          '--vocab',
          vocab,
          '--labels',
          'neg,pos',
          '--out',
          model,
        ],
        { stdio: 'ignore' },
      );
      const client = new InferenceClient(trainer, () => ({}));
      try {
        for (let i = 0; i < 20; i++) await client.predict(model, [{ text: selection }]); // warm: model loaded, kernels compiled
        const times: number[] = [];
        for (let i = 0; i < 300; i++) {
          const t = performance.now();
          await client.predict(model, [{ text: selection }]);
          times.push(performance.now() - t);
        }
        times.sort((a, b) => a - b);
        const out = path.join(work, `${path.basename(model)}.predictions.csv`);
        const t0 = performance.now();
        const { rows } = await client.predictFile({ model, file: csv, textCol: 'text', out, probabilities: false }, () => {});
        const perSecond = (rows * 1000) / (performance.now() - t0);
        console.log(`| ${s.name} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} | ${perSecond.toFixed(0)} |`);
      } finally {
        client.dispose();
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
