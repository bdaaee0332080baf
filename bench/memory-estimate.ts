/**
 * How close the estimate's memory figure (src/shared/memoryFit.ts) comes to a run's real peak:
 * for each shape, one process trains 10 steps (batch 16 × 128 tokens, 2 evaluations) with the
 * confirmation the extension asks for, and prints the estimate beside the peak resident memory
 * polled every 20 ms, and their ratio. A fresh process per shape: a peak is a process's.
 * Prints figures; asserts nothing.
 *   npx tsx bench/memory-estimate.ts [L2/H128 L4/H256 L4/H512 L12/H768 …]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TRAIN_DEFAULTS } from '../src/shared/trainerProtocol';
import { initCheckpoint } from '../src/trainer/checkpoint/hfCheckpoint';
import { parseModelConfig } from '../src/trainer/model/config';
import { runTraining } from '../src/trainer/train/runTraining';
import { useBackend } from '../test/unit/backendSetup';

const ROOT = path.join(__dirname, '..');

async function measure(layers: number, hidden: number): Promise<void> {
  await useBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-memory-'));
  try {
    const config = parseModelConfig({
      model_type: 'bert',
      vocab_size: 30522,
      num_hidden_layers: layers,
      hidden_size: hidden,
      num_attention_heads: Math.max(1, hidden / 64),
      intermediate_size: 4 * hidden,
      max_position_embeddings: 512,
      id2label: { 0: 'a', 1: 'b' },
    });
    await initCheckpoint(config, path.join(ROOT, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt'), path.join(dir, 'base'), 1);
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let estimate = 0;
    const done = await runTraining(
      {
        ...TRAIN_DEFAULTS,
        data: path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
        textCol: 'text',
        labelCol: 'label',
        model: path.join(dir, 'base'),
        out: path.join(dir, 'run'),
        batchSize: 16,
        maxLength: 128,
        maxSteps: 10,
        evalSteps: 5,
      },
      { emit: () => {}, shouldStop: () => false, confirm: async e => ((estimate = e.peakMemoryBytes ?? 0), true) },
    );
    clearInterval(poll);
    const gb = (b: number) => (b / 2 ** 30).toFixed(2);
    console.log(`L${layers}/H${hidden}\t${done.status}\testimate ${gb(estimate)} GB\tpeak ${gb(peak)} GB\testimate/peak ${(estimate / peak).toFixed(2)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const one = process.env.BERT_TUNE_MEMORY_SHAPE;
if (one) {
  const [, layers, hidden] = /^L(\d+)\/H(\d+)$/.exec(one)!.map(Number);
  void measure(layers, hidden);
} else {
  const shapes = process.argv.slice(2).length ? process.argv.slice(2) : ['L2/H128', 'L4/H256', 'L4/H512'];
  console.log(`shape\tstatus\testimate\tpeak RSS\tratio (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} threads)`);
  for (const shape of shapes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename], { env: { ...process.env, BERT_TUNE_MEMORY_SHAPE: shape }, encoding: 'utf8' });
    process.stdout.write(
      r.stdout
        .split('\n')
        .filter(l => l.startsWith('L'))
        .join('\n') + '\n',
    );
    if (r.status !== 0) process.stderr.write(r.stderr);
  }
}
