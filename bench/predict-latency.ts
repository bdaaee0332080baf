/**
 * Predictions as the editor gets them: end-to-end latency of one ~16-token selection through a
 * warm inference process (IPC included), p50 and p99, and rows/s of "Predict a CSV column" on
 * SST-2 rows, on WASM, for bert-tiny, bert-mini and bert-base; beside each, transformers'
 * `pipeline('text-classification')` on the same model folder, text and rows, on every core
 * (bench/predict_pipeline.py; skipped without `npm run setup:python`). Prints figures; asserts
 * nothing. Goal for bert-mini: p50 under 15 ms.
 *   npx tsx bench/predict-latency.ts [--rows 10000] [--only bert-base]   (reads ../shared/data)
 * (bert-base predicts a fifth of the rows: its CSV figure takes a minute a side as it is.)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceClient } from '../src/extension/predict/inferenceClient';
import { percentile } from './shapes';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROOT = path.join(__dirname, '..');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');
const SHARED = path.join(ROOT, '..', 'shared', 'data');
const trainer = path.join(ROOT, 'dist', 'trainer.js');

async function main() {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-predict-bench-'));
  const vocab = path.join(SHARED, 'vocab', 'bert-base-uncased-vocab.txt');
  const rows = Number(arg('rows', '10000'));
  const only = arg('only', '');
  const shapes = [
    { name: 'bert-tiny (L2 H128)', args: ['2', '128', '2', '512'], rows },
    { name: 'bert-mini (L4 H256)', args: ['4', '256', '4', '1024'], rows },
    { name: 'bert-base (L12 H768)', args: ['12', '768', '12', '3072'], rows: Math.ceil(rows / 5) },
  ].filter(s => !only || s.name.includes(only));
  const peer = fs.existsSync(PYTHON);
  const selection = 'the performances are strong but the script never quite finds its footing';
  const sst2 = fs.readFileSync(path.join(SHARED, 'sst2', 'train.tsv'), 'utf8').split('\n');
  /** The first `count` rows of SST-2's train.tsv, header included. */
  const csvOf = (count: number) => {
    const file = path.join(work, `sst2-${count}.tsv`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, sst2.slice(0, count + 1).join('\n') + '\n');
    return file;
  };
  const cores = os.cpus().length;
  console.log(
    `node ${process.version}, ${cores} cores, ours on wasm (SIMD) in a warm inference process (IPC included); ${peer ? `transformers' pipeline on ${cores} threads` : 'no Python peer (npm run setup:python)'}; selection of 16 tokens, 300 calls`,
  );
  console.log('| shape | p50 ms ours / pipeline | p99 ms ours / pipeline | CSV rows/s ours / pipeline (rows) |');
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
        const csv = csvOf(s.rows);
        const out = path.join(work, `${path.basename(model)}.predictions.csv`);
        const t0 = performance.now();
        const { rows: predicted } = await client.predictFile({ model, file: csv, textCol: 'text', out, probabilities: false }, () => {});
        const perSecond = (predicted * 1000) / (performance.now() - t0);
        client.dispose(); // its cores to the peer
        const theirs = peer
          ? (JSON.parse(
              execFileSync(PYTHON, [path.join(__dirname, 'predict_pipeline.py'), model, selection, csv, 'text'], {
                encoding: 'utf8',
                env: { ...process.env, OMP_NUM_THREADS: String(cores) },
                stdio: ['ignore', 'pipe', 'ignore'],
              })
                .trim()
                .split('\n')
                .pop()!,
            ) as { p50: number; p99: number; rows_per_second: number })
          : undefined;
        const pair = (a: number, b: number | undefined, digits: number) => `${a.toFixed(digits)} / ${b === undefined ? '–' : b.toFixed(digits)}`;
        console.log(
          `| ${s.name} | ${pair(percentile(times, 50), theirs?.p50, 1)} | ${pair(percentile(times, 99), theirs?.p99, 1)} | ${pair(perSecond, theirs?.rows_per_second, 0)} (${predicted}) |`,
        );
      } finally {
        client.dispose();
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
