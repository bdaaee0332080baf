// `npm run demo`: BERT Tune from the command line, start to finish. Builds the trainer, writes a
// freshly initialised bert-tiny-sized model (L2 H128), fine-tunes it on 6,000 SST-2 sentences,
// evaluates on the 872 dev sentences after each epoch, and prints the metrics. Seconds on
// two cores (about 10 s here); the run folder is kept in .cache/demo/ for a look afterwards.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const trainer = path.join(root, 'dist', 'trainer.js');
const work = path.join(root, '.cache', 'demo');
const model = path.join(work, 'model');
const run = path.join(work, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);

execFileSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'ignore' });
fs.rmSync(model, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
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
    path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt'),
    '--labels',
    '0,1',
    '--seed',
    '42',
    '--out',
    model,
  ],
  { stdio: 'inherit' },
);

const args = [
  'train',
  '--data',
  path.join(root, 'samples', 'sst2', 'train-6000.tsv'),
  '--validation-data',
  path.join(root, 'samples', 'sst2', 'dev.tsv'),
  '--text-col',
  'text',
  '--label-col',
  'label',
  '--model',
  model,
  '--out',
  run,
  '--epochs',
  '2',
  '--batch-size',
  '32',
  '--lr',
  '5e-4',
  '--warmup-ratio',
  '0.1',
  '--max-length',
  '64',
  '--seed',
  '42',
];
console.log(`\nbert-tune ${args.join(' ')}\n`);
const child = spawn(process.execPath, [trainer, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let last;
let buffer = '';
child.stdout.on('data', chunk => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const m = JSON.parse(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
    if (m.type === 'started')
      console.log(
        `backend ${m.backend}; ${m.trainRows} training rows, ${m.validationRows} validation rows; ${m.totalSteps} steps; ${m.parameters.toLocaleString('en-US')} parameters`,
      );
    if (m.type === 'progress' && (m.step % 25 === 0 || m.step === m.totalSteps)) {
      console.log(
        `step ${String(m.step).padStart(3)}/${m.totalSteps}  loss ${m.loss.toFixed(4)}  lr ${m.learningRate.toExponential(2)}  ${m.samplesPerSecond.toFixed(0)} samples/s  ETA ${m.etaSeconds.toFixed(0)} s`,
      );
    }
    if (m.type === 'evaluation') {
      last = m;
      console.log(
        `\nevaluation after epoch ${m.epoch.toFixed(0)}: accuracy ${(100 * m.accuracy).toFixed(2)}%, macro-F1 ${(100 * m.macroF1).toFixed(2)}%, loss ${m.loss.toFixed(4)}${m.isBest ? ' (best so far)' : ''}\n`,
      );
    }
    if (m.type === 'warning' || m.type === 'error') console.log(`${m.type}: ${m.message}`);
    if (m.type === 'done') {
      console.log(`run ${m.status}${m.reason ? ` (${m.reason})` : ''}`);
      if (last) {
        console.log('\nper class (0 = negative, 1 = positive):');
        for (const c of last.perClass)
          console.log(
            `  ${c.label}: precision ${(100 * c.precision).toFixed(1)}%  recall ${(100 * c.recall).toFixed(1)}%  F1 ${(100 * c.f1).toFixed(1)}%  support ${c.support}`,
          );
        console.log(`confusion (rows: true 0/1, columns: predicted 0/1): ${JSON.stringify(last.confusion)}`);
        const w = last.misclassified[0];
        if (w)
          console.log(
            `most confident mistake (dev line ${w.line}): "${w.text.trim()}" is ${w.truth}, predicted ${w.predicted} at ${(100 * w.confidence).toFixed(0)}%`,
          );
      }
      console.log(`\nbest model (Hugging Face layout): ${path.join(run, 'checkpoints', 'best')}`);
    }
  }
});
child.on('exit', code => process.exit(code ?? 1));
