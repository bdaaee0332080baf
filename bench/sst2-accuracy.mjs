// The accuracy check against Hugging Face's own training code (issue: "on real data"):
// a random-initialised L2/H128/A2/I512 model with the uncased vocab, seed 42, max length 64,
// batch 32, lr 5e-4 (and 1e-4), warmup 10 %, weight decay 0.01, one epoch over the first 20,000
// rows of SST-2 train, evaluated on SST-2 dev. transformers reaches 79.5 % (74.0 % at 1e-4).
// Prints the figures; takes several minutes per learning rate. Reads ../shared/data.
//   node bench/sst2-accuracy.mjs [--lr 5e-4,1e-4]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data');
const i = process.argv.indexOf('--lr');
const rates = (i >= 0 ? process.argv[i + 1] : '5e-4,1e-4').split(',');
const reference = { '5e-4': 79.5, '1e-4': 74.0 };

execFileSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'ignore' });
const trainer = path.join(root, 'dist', 'trainer.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-sst2-'));
const train = path.join(work, 'train-20000.tsv');
fs.writeFileSync(
  train,
  fs
    .readFileSync(path.join(shared, 'sst2', 'train.tsv'), 'utf8')
    .split('\n')
    .slice(0, 20001)
    .join('\n') + '\n',
);
const model = path.join(work, 'model');
execFileSync(process.execPath, [
  trainer,
  'init-checkpoint',
  '--layers',
  '2',
  '--hidden',
  '128',
  '--heads',
  '2',
  '--intermediate',
  '512',
  '--vocab',
  path.join(shared, 'vocab', 'bert-base-uncased-vocab.txt'),
  '--labels',
  '0,1',
  '--seed',
  '42',
  '--out',
  model,
]);

console.log('| lr | dev accuracy, ours | transformers | difference | training samples/s | minutes |');
console.log('|---|---|---|---|---|---|');
for (const lr of rates) {
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      trainer,
      'train',
      '--data',
      train,
      '--validation-data',
      path.join(shared, 'sst2', 'dev.tsv'),
      '--text-col',
      'text',
      '--label-col',
      'label',
      '--model',
      model,
      '--out',
      path.join(work, `run-${lr}`),
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--lr',
      lr,
      '--warmup-ratio',
      '0.1',
      '--weight-decay',
      '0.01',
      '--max-length',
      '64',
      '--seed',
      '42',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  const messages = r.stdout
    .trim()
    .split('\n')
    .map(l => JSON.parse(l));
  const evaluation = messages.filter(m => m.type === 'evaluation').at(-1);
  const progress = messages.filter(m => m.type === 'progress').at(-1);
  if (!evaluation) {
    console.log(`| ${lr} | failed: ${r.stderr.slice(-300)} | | | | |`);
    continue;
  }
  const ours = 100 * evaluation.accuracy;
  const ref = reference[lr];
  console.log(
    `| ${lr} | ${ours.toFixed(2)} % | ${ref ?? '?'} % | ${ref ? (ours - ref).toFixed(2) : '?'} | ${progress.samplesPerSecond.toFixed(0)} | ${((Date.now() - t0) / 60000).toFixed(1)} |`,
  );
}
fs.rmSync(work, { recursive: true, force: true });
