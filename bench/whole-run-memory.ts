/**
 * A whole training run, ours against Hugging Face's: the bundled CLI (`node dist/trainer.js
 * train`: read the CSV, tokenise, train, evaluate each epoch, save the best and last
 * checkpoints) beside the script `export-script` writes for the same recipe, run by transformers'
 * own Trainer on pip's torch (.cache/venv, `npm run setup:python`). Same data (the first rows of
 * SST-2's train.tsv from ../shared), same split, model shape, batch, max length, epochs and
 * cores; random weights of each shape (no download here). Prints each side's peak resident
 * memory (the process's ru_maxrss, read by the same Python wrapper for both) and wall time, and
 * their ratios. Needs `npm run build` first. Asserts nothing.
 *   npx tsx bench/whole-run-memory.ts [--rows 2000] [--epochs 1] [--bert-base]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initCheckpoint } from '../src/trainer/checkpoint/hfCheckpoint';
import { BERT_BASE, SHAPES, shapeConfig, type Shape } from './shapes';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROWS = Number(arg('rows', '2000'));
const EPOCHS = arg('epochs', '1');
const BATCH = '16';
const MAX_LENGTH = '128';
const ROOT = path.join(__dirname, '..');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');
const TRAINER = path.join(ROOT, 'dist', 'trainer.js');
const SST2 = path.join(ROOT, '..', 'shared', 'data', 'sst2', 'train.tsv');
const VOCAB = path.join(ROOT, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

/** Runs a command to its end and gives its peak RSS (ru_maxrss of the child, in MB) and wall seconds. */
const MEASURE = `
import resource, subprocess, sys, time, json
t0 = time.time()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.time() - t0
print(json.dumps({"status": r.returncode, "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "seconds": wall, "stderr": r.stderr.decode()[-2000:]}))
`;

interface Measured {
  peakMb: number;
  seconds: number;
}

function measured(command: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Measured {
  const r = spawnSync(PYTHON, ['-c', MEASURE, ...command], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`the measuring wrapper failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  if (out.status !== 0) throw new Error(`${path.basename(command[0])} ${command[1] ?? ''} failed: ${out.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return { peakMb: out.peak_mb, seconds: out.seconds };
}

async function main() {
  for (const [file, what] of [
    [PYTHON, 'no Python peer: run `npm run setup:python` first'],
    [TRAINER, 'no bundled trainer: run `npm run build` first'],
    [SST2, `no SST-2 at ${SST2} (../shared/data)`],
  ])
    if (!fs.existsSync(file)) throw new Error(what);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-whole-run-'));
  const cores = os.cpus().length;
  try {
    const data = path.join(work, 'sst2.tsv');
    fs.writeFileSync(
      data,
      fs
        .readFileSync(SST2, 'utf8')
        .split('\n')
        .slice(0, ROWS + 1)
        .join('\n') + '\n',
    );
    const versions = execFileSync(PYTHON, ['-c', 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'], {
      encoding: 'utf8',
    }).trim();
    console.log(
      `${cores} cores (${os.cpus()[0]?.model ?? 'cpu'}); ${ROWS} SST-2 rows (80/20 split), ${EPOCHS} epoch(s), batch ${BATCH}, max length ${MAX_LENGTH}; ours: node dist/trainer.js train; theirs: export-script's train.py (Trainer) on ${versions}, ${cores} threads`,
    );
    console.log('| shape | BERT Tune peak RSS (MB) | transformers peak RSS (MB) | RSS ratio | BERT Tune wall (s) | transformers wall (s) | time ratio |');
    console.log('|---|---|---|---|---|---|---|');
    const shapes: Shape[] = [...SHAPES, ...(process.argv.includes('--bert-base') ? [BERT_BASE] : [])];
    for (const shape of shapes) {
      const model = path.join(work, `model-${shape.layers}-${shape.hidden}`);
      await initCheckpoint(shapeConfig(shape), VOCAB, model, 1);
      const recipe = [
        '--data',
        data,
        '--text-col',
        'text',
        '--label-col',
        'label',
        '--model',
        model,
        '--epochs',
        EPOCHS,
        '--batch-size',
        BATCH,
        '--max-length',
        MAX_LENGTH,
      ];
      try {
        const ours = measured(['node', TRAINER, 'train', ...recipe, '--out', path.join(work, `run-${shape.layers}-${shape.hidden}`)], work);
        const exported = path.join(work, `export-${shape.layers}-${shape.hidden}`);
        execFileSync('node', [TRAINER, 'export-script', ...recipe, '--out', exported], { stdio: 'ignore' });
        const theirs = measured([PYTHON, 'train.py'], exported, { OMP_NUM_THREADS: String(cores), HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' });
        console.log(
          `| ${shape.name} | ${ours.peakMb.toFixed(0)} | ${theirs.peakMb.toFixed(0)} | ${(ours.peakMb / theirs.peakMb).toFixed(2)} | ${ours.seconds.toFixed(0)} | ${theirs.seconds.toFixed(0)} | ${(ours.seconds / theirs.seconds).toFixed(2)} |`,
        );
      } catch (e) {
        console.log(`| ${shape.name} | ${(e as Error).message} | | | | | |`);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
