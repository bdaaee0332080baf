import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TRAIN_DEFAULTS, fromTrainerSchema, type FromTrainer, type TrainConfig } from '../../src/shared/trainerProtocol';
import { initCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseSafetensors, toFloat32 } from '../../src/trainer/checkpoint/safetensors';
import { parseModelConfig } from '../../src/trainer/model/config';
import { runTraining, type Estimate } from '../../src/trainer/train/runTraining';
import { useBackend } from './backendSetup';
import { runCollecting } from './runHelpers';
import { fixture, tempDir, tempFile } from './helpers';

const VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
let baseModel: string;

before(async () => {
  await useBackend('wasm');
  baseModel = path.join(tempDir(), 'base');
  const config = parseModelConfig({
    model_type: 'bert',
    vocab_size: 30522,
    num_hidden_layers: 1,
    hidden_size: 16,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 128,
    id2label: { 0: 'a', 1: 'b' },
  });
  await initCheckpoint(config, VOCAB, baseModel, 1);
});

function config(out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...TRAIN_DEFAULTS,
    data: fixture('sst2-dev-200.tsv'),
    textCol: 'text',
    labelCol: 'label',
    model: baseModel,
    out,
    epochs: 2,
    batchSize: 16,
    learningRate: 1e-3,
    ...overrides,
  };
}

const run = runCollecting;

const weights = (dir: string) => {
  const parsed = parseSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors')));
  return new Map([...parsed.tensors].map(([k, e]) => [k, toFloat32(e)]));
};

describe('a training run', () => {
  it('trains to the end, evaluates, and leaves a run folder with best and last checkpoints', async () => {
    const out = path.join(tempDir(), 'run');
    const { done, messages } = await run(config(out));
    assert.equal(done.status, 'completed');
    const started = messages.find(m => m.type === 'started');
    assert.ok(started && started.type === 'started');
    assert.deepEqual(started.labels, ['0', '1']);
    assert.equal(started.trainRows + started.validationRows, 200);
    assert.equal(started.validationRows, 40); // 20%, stratified
    assert.equal(messages.filter(m => m.type === 'progress').length, started.totalSteps);
    const evals = messages.filter(m => m.type === 'evaluation');
    assert.equal(evals.length, 2); // after each epoch
    for (const e of evals)
      if (e.type === 'evaluation')
        assert.equal(
          e.perClass.reduce((a, c) => a + c.support, 0),
          40,
        );
    for (const f of ['train-config.json', 'log.txt', 'metrics.jsonl']) assert.ok(fs.existsSync(path.join(out, f)), f);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'best', 'config.json'), 'utf8'));
    assert.deepEqual(saved.id2label, { 0: '0', 1: '1' });
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'last', 'optimizer.safetensors')));
    const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(JSON.parse(lines.at(-1)!).type, 'done');
    // log.txt reads as sentences; the JSON is metrics.jsonl's
    const log = fs.readFileSync(path.join(out, 'log.txt'), 'utf8');
    assert.doesNotMatch(log, /\{"type"/);
    assert.match(log, /started: 160 training and 40 validation rows, labels 0, 1/);
    assert.match(log, /step 1\/\d+ {2}epoch 0\.\d+ {2}loss \d\.\d{4}/);
    assert.match(log, /eval at step \d+: accuracy \d+\.\d\d% {2}macro-F1 \d+\.\d\d% {2}loss \d\.\d{4}/);
    assert.match(log, /done: completed at step \d+$/m);
  });

  for (const [what, variant] of [
    ['1 thread', { threads: 1 }],
    ['2 threads', { threads: 2 }],
    ['head only', { headOnly: true }],
  ] as const) {
    it(`stopped midway and resumed, ends with exactly the weights of an uninterrupted run (dropout on, ${what})`, async () => {
      const straight = path.join(tempDir(), 'straight');
      const interrupted = path.join(tempDir(), 'interrupted');
      const cfg = (out: string) => config(out, { dropout: 0.1, epochs: 1.5, ...variant });
      await run(cfg(straight));
      const first = await run(cfg(interrupted), { stopAfter: 7 });
      assert.equal(first.done.status, 'stopped');
      assert.equal(first.done.step, 7);
      const second = await run({ out: interrupted } as TrainConfig, { resume: true });
      assert.equal(second.done.status, 'completed');
      const started = second.messages.find(m => m.type === 'started');
      assert.equal(started?.type === 'started' && started.resumedFromStep, 7);
      const a = weights(path.join(straight, 'checkpoints', 'last'));
      const b = weights(path.join(interrupted, 'checkpoints', 'last'));
      for (const [name, t] of a) assert.ok(Buffer.from(t.buffer).equals(Buffer.from(b.get(name)!.buffer)), `${name} differs after resume`);
    });
  }

  it('reports the elapsed training time of the whole run, going on from the checkpoint after a resume', async () => {
    const out = path.join(tempDir(), 'run');
    const first = await run(config(out, { epochs: 3 }), { stopAfter: 3 });
    const elapsed = (ms: FromTrainer[]) => ms.filter(m => m.type === 'progress').map(m => (m.type === 'progress' ? m.elapsedSeconds! : 0));
    const before = elapsed(first.messages);
    assert.ok(
      before.every((v, i) => v > 0 && (i === 0 || v >= before[i - 1])),
      before.join(),
    );
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'last', 'trainer_state.json'), 'utf8')).elapsedSeconds;
    assert.ok(saved >= before.at(-1)!);
    const after = elapsed((await run({ out } as TrainConfig, { resume: true })).messages);
    assert.ok(after[0] > saved, `${after[0]} goes on from ${saved}`);
  });

  it('freezes the embeddings and the lowest layers when asked, says so, and refuses more layers than there are', async () => {
    const out = path.join(tempDir(), 'frozen');
    const { done, messages } = await run(config(out, { freezeLayers: 1, epochs: 1 }));
    assert.equal(done.status, 'completed');
    assert.ok(messages.some(m => m.type === 'log' && /^Frozen: the embeddings and encoder layers 0-0; \d+ of \d+ parameters train\.$/.test(m.message)));
    const base = weights(baseModel);
    const trained = weights(path.join(out, 'checkpoints', 'last'));
    const same = (name: string) => Buffer.from(base.get(name)!.buffer).equals(Buffer.from(trained.get(name)!.buffer));
    assert.ok(same('bert.embeddings.word_embeddings.weight') && same('bert.encoder.layer.0.output.dense.weight'));
    assert.ok(!same('classifier.weight') && !same('bert.pooler.dense.weight'));
    const bad = await run(config(path.join(tempDir(), 'too-many'), { freezeLayers: 2 }));
    assert.equal(bad.done.status, 'failed');
    assert.ok(bad.messages.some(m => m.type === 'error' && /cannot freeze 2 layers: the model has 1/.test(m.message)));
  });

  it('trains the head only on features computed once: the encoder stays bit for bit, the estimate counts the feature pass', async () => {
    const out = path.join(tempDir(), 'head-only');
    const estimates: { estimatedSeconds: number; secondsPerStep: number }[] = [];
    const messages: FromTrainer[] = [];
    const done = await runTraining(config(out, { headOnly: true, epochs: 2 }), {
      emit: m => messages.push(fromTrainerSchema.parse(m)),
      shouldStop: () => false,
      confirm: async e => {
        estimates.push(e);
        return true;
      },
    });
    assert.equal(done.status, 'completed');
    assert.ok(messages.some(m => m.type === 'log' && /^Features computed in [\d.]+ s\.$/.test(m.message)));
    assert.ok(estimates[0].estimatedSeconds > 0 && estimates[0].secondsPerStep > 0);
    const base = weights(baseModel);
    const trained = weights(path.join(out, 'checkpoints', 'last'));
    for (const [name, b] of base) {
      const same = Buffer.from(b.buffer).equals(Buffer.from(trained.get(name)!.buffer));
      assert.equal(same, !name.startsWith('bert.pooler.') && !name.startsWith('classifier.'), `${name}: ${same ? 'unchanged' : 'changed'}`);
    }
    const evals = messages.filter(m => m.type === 'evaluation');
    assert.equal(evals.length, 2);
    // optimizer state only for what trains
    const moments = parseSafetensors(fs.readFileSync(path.join(out, 'checkpoints', 'last', 'optimizer.safetensors')));
    assert.ok([...moments.tensors.keys()].every(k => /^[mv]\.(bert\.pooler|classifier)\./.test(k)));
  });

  it('head only: a stop during the feature pass ends the run as stopped, with the last checkpoint saved', async () => {
    const out = path.join(tempDir(), 'head-stop');
    const messages: FromTrainer[] = [];
    const done = await runTraining(config(out, { headOnly: true }), { emit: m => messages.push(fromTrainerSchema.parse(m)), shouldStop: () => true });
    assert.equal(done.status, 'stopped');
    assert.equal(done.step, 0);
    assert.ok(!messages.some(m => m.type === 'progress' || (m.type === 'log' && m.message.startsWith('Features computed'))));
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'last', 'trainer_state.json')));
  });

  it('keeps the tensor count flat from step to step, and leaves none behind', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    await runTraining(config(path.join(tempDir(), 'flat'), { epochs: 1 }), {
      emit: m => {
        if (m.type === 'progress') counts.push(tf.memory().numTensors);
      },
      shouldStop: () => false,
    });
    assert.ok(counts.length >= 5);
    assert.deepEqual(new Set(counts.slice(1)).size, 1, `tensor counts per step: ${counts.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'tensors left after the run');
  });

  it("the estimate carries what the data doctor found, and the preparation's other warnings, each once", async () => {
    // Latin-1 bytes, a text under two labels, a row with cells that do not line up, a max length the model cannot read.
    const lines = ['text,label', 'caf\xe9 au lait,a', 'same words,a', 'same words,b', 'hello, world,b'];
    for (let i = 0; i < 30; i++) lines.push(`${i % 2 ? 'dull' : 'bright'} row ${i},${i % 2 ? 'b' : 'a'}`);
    const data = tempFile('doctor.csv', Buffer.from(lines.join('\n') + '\n', 'latin1'));
    let estimate: Estimate | undefined;
    const warnings: string[] = [];
    await runTraining(config(path.join(tempDir(), 'doctor'), { data, maxLength: 256 }), {
      emit: m => {
        fromTrainerSchema.parse(m);
        if (m.type === 'warning') warnings.push(m.message);
      },
      shouldStop: () => false,
      confirm: async e => {
        estimate = e;
        return false;
      },
    });
    assert.ok(estimate);
    assert.deepEqual(
      estimate.findings!.map(f => [f.kind, f.lines]),
      [
        ['ragged', [5]],
        ['conflictingLabels', [3, 4]],
      ],
    );
    const notes = estimate.notes!.join('\n');
    assert.match(notes, /doctor\.csv is not valid UTF-8; read as Latin-1/);
    assert.match(notes, /max length 256 is more than .* reads \(128 tokens/);
    // Told once each: a finding is not also a note.
    assert.ok(!estimate.notes!.some(n => estimate!.findings!.some(f => f.message === n)));
    assert.equal(new Set(warnings).size, warnings.length, `a warning told twice: ${warnings.join(' | ')}`);
  });

  it('asks for confirmation with an estimate when asked, and can be cancelled before training, leaving no run folder', async () => {
    const estimates: unknown[] = [];
    const cancelledDir = path.join(tempDir(), 'cancel');
    const cancelled = await runTraining(config(cancelledDir), {
      emit: m => fromTrainerSchema.parse(m),
      shouldStop: () => false,
      confirm: async e => {
        estimates.push(e);
        return false;
      },
    });
    assert.equal(cancelled.status, 'stopped');
    assert.equal(cancelled.reason, 'cancelled before training');
    const e = estimates[0] as { labelCounts: [string, number][]; trainRows: number; estimatedSeconds: number; totalSteps: number };
    assert.deepEqual(
      e.labelCounts.map(([l]) => l),
      ['0', '1'],
    );
    assert.equal(
      e.labelCounts.reduce((a, [, n]) => a + n, 0),
      e.trainRows,
    );
    assert.ok(e.estimatedSeconds > 0 && e.totalSteps === 20);
    // The data doctor's part: every row's token length, binned against the max length; the findings listed.
    const doctor = estimates[0] as Estimate;
    assert.ok(Array.isArray(doctor.findings));
    assert.equal(doctor.tokenLengths!.rows.reduce((a, n) => a + n, 0) + doctor.tokenLengths!.truncated, doctor.trainRows + doctor.validationRows);
    assert.equal(doctor.tokenLengths!.edges.at(-1), doctor.tokenLengths!.maxLength);
    const memory = estimates[0] as { peakMemoryBytes: number; availableMemoryBytes: number };
    assert.ok(memory.peakMemoryBytes > process.memoryUsage().rss * 0.5 && memory.availableMemoryBytes > memory.peakMemoryBytes, JSON.stringify(memory));
    assert.ok(!fs.existsSync(cancelledDir), 'a run cancelled at its estimate left a folder that looks like a run');
    const out = path.join(tempDir(), 'go');
    let existedWhileAsked: boolean | undefined;
    const go = await runTraining(config(out, { epochs: 1 }), {
      emit: () => {},
      shouldStop: () => false,
      confirm: async () => {
        existedWhileAsked = fs.existsSync(out);
        return true;
      },
    });
    assert.equal(go.status, 'completed');
    assert.equal(existedWhileAsked, false, 'the run folder was made before the user started the run');
    // What was said before the start is still in the run's files, in order.
    const kinds = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l).type);
    assert.deepEqual(kinds.slice(0, 2), ['started', 'estimate']);
    assert.equal(kinds.at(-1), 'done');
    assert.match(fs.readFileSync(path.join(out, 'log.txt'), 'utf8'), /estimate/i);
    assert.ok(fs.existsSync(path.join(out, 'train-config.json')));
  });

  it('warns before training when the run will not fit the memory available, naming what to lower', async () => {
    process.env.BERT_TUNE_AVAILABLE_MEMORY_BYTES = String(64 * 2 ** 20);
    const warnings: string[] = [];
    try {
      await runTraining(config(path.join(tempDir(), 'small-machine')), {
        emit: m => void (m.type === 'warning' && warnings.push(m.message)),
        shouldStop: () => false,
        confirm: async () => false,
      });
    } finally {
      delete process.env.BERT_TUNE_AVAILABLE_MEMORY_BYTES;
    }
    assert.ok(
      warnings.some(w => /needs about \d+\.\d GB of memory at its peak, and 0\.1 GB are available.*Lower the batch size/.test(w)),
      warnings.join('\n'),
    );
  });

  it('stops early when the metric stops improving', async () => {
    const { done, messages } = await run(
      config(path.join(tempDir(), 'early'), { epochs: 20, evalSteps: 1, learningRate: 1e-9, earlyStoppingPatience: 2, metricForBest: 'loss' }),
    );
    assert.equal(done.status, 'completed');
    assert.match(done.reason ?? '', /early stopping/);
    assert.ok(done.step < 20 * 10, `ran ${done.step} steps`);
    assert.ok(messages.filter(m => m.type === 'evaluation').length <= 4);
  });

  it('fails with a message naming the file and the columns when a column is wrong', async () => {
    const { done, messages } = await run(config(path.join(tempDir(), 'bad'), { labelCol: 'sentiment' }));
    assert.equal(done.status, 'failed');
    const error = messages.find(m => m.type === 'error');
    assert.match(
      error?.type === 'error' ? error.message : '',
      /sst2-dev-200\.tsv: there is no column "sentiment" \(--label-col\)\. Its columns are: "text", "label"/,
    );
  });

  it('refuses to start a new run in a folder that holds one, and leaves that run untouched', async () => {
    const out = path.join(tempDir(), 'taken');
    await run(config(out, { epochs: 1 }));
    const before = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    const { done } = await run(config(out, { epochs: 1 }));
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /already holds a training run/);
    assert.equal(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8'), before);
  });

  it('fails clearly with one class only', async () => {
    const file = tempFile('one.csv', 'text,label\n' + Array.from({ length: 10 }, (_, i) => `row ${i},pos\n`).join(''));
    const { done } = await run(config(path.join(tempDir(), 'one'), { data: file }));
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /one class only \("pos"\)/);
  });
});
