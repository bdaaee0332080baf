/**
 * The round trip against the real Hugging Face stack (torch + transformers in a venv; see
 * test/interop/hf_side.py): models as transformers writes them load in BERT Tune with the same
 * token ids and logits, and a run BERT Tune fine-tuned loads in transformers with the same ids,
 * logits, labels and pipeline answers.
 *
 * Needs Python with torch and transformers: `.cache/venv/bin/python` (README: *Set up and test*)
 * or BERT_TUNE_PYTHON. Without one every test here is reported as skipped, with the reason;
 * with BERT_TUNE_EXPECT_INTEROP=1 (CI) a missing stack fails instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import { initCheckpoint, loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseModelConfig } from '../../src/trainer/model/config';
import { runTraining } from '../../src/trainer/train/runTraining';
import { padBatch } from '../../src/trainer/train/batches';
import { batchTensors, disposeInputs } from '../../src/trainer/step/batch';
import { Predictor } from '../../src/trainer/predict/predictor';
import { useBackend } from '../unit/backendSetup';
import { found, runPython, skip } from './python';

const ROOT = path.join(__dirname, '..', '..');
const TOLERANCE = 1e-4;

/** A random 2-layer, 32-wide BERT classifier for the round trips: small, but with every part. */
async function smallBert(out: string, seed: number, id2label?: Record<number, string>): Promise<void> {
  const config = parseModelConfig({
    model_type: 'bert',
    vocab_size: 30522,
    num_hidden_layers: 2,
    hidden_size: 32,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
    ...(id2label && { id2label }),
  });
  await initCheckpoint(config, path.join(ROOT, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt'), out, seed);
}

function python(args: string[]): string {
  return runPython('hf_side.py', args);
}

function logitsOf(dir: string, cases: { text: string; pair?: string | null }[]) {
  const loaded = loadCheckpoint(dir);
  try {
    const encoded = cases.map(c => loaded.tokenizer.encode(c.text, c.pair ?? undefined, 64));
    const logits = encoded.map(e => {
      const inputs = batchTensors(padBatch([{ inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label: 0, line: 1 }], loaded.tokenizer.padId));
      const row = tf.tidy(() => (loaded.model.forward(inputs, { training: false }).logits.arraySync() as number[][])[0]);
      disposeInputs(inputs);
      return row;
    });
    return { encoded, logits, labels: loaded.config.id2label, notices: loaded.notices, tokenizer: loaded.tokenizer.source };
  } finally {
    loaded.model.dispose();
  }
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < TOLERANCE, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

describe('Hugging Face → BERT Tune, on the real transformers', { skip }, () => {
  let made: string;
  before(async () => {
    await useBackend('wasm');
    made = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-interop-'));
    python(['make', made]);
  });
  after(() => fs.rmSync(made, { recursive: true, force: true }));

  const variants: [string, string][] = [
    ['safetensors', 'save_pretrained: model.safetensors'],
    ['sharded', 'sharded safetensors with their index'],
    ['float16', 'float16 weights'],
    ['bfloat16', 'bfloat16 weights'],
    ['tokenizer-json-only', 'a folder with tokenizer.json and no vocab.txt'],
    ['vocab-txt-only', 'a folder with vocab.txt and no tokenizer.json'],
    ['cased', 'a cased tokenizer (no lower-casing, no accent stripping)'],
    ['chinese', 'the Chinese vocabulary'],
    ['torch-save-bin', 'torch.save(model.state_dict()) as pytorch_model.bin'],
  ];
  for (const [name, what] of variants) {
    it(`${what}: the same token ids, and logits within ${TOLERANCE}`, () => {
      const ref = JSON.parse(fs.readFileSync(path.join(made, name, 'reference.json'), 'utf8')) as {
        transformers: string;
        cases: { text: string; pair: string | null; input_ids: number[]; token_type_ids: number[]; logits: number[] }[];
      };
      assert.match(ref.transformers, /^5\./);
      const ours = logitsOf(path.join(made, name), ref.cases);
      assert.deepEqual(ours.labels, ['negative', 'positive', 'mixed']);
      if (name === 'tokenizer-json-only') assert.equal(ours.tokenizer, 'tokenizer.json');
      if (name === 'vocab-txt-only') assert.equal(ours.tokenizer, 'vocab.txt');
      ref.cases.forEach((c, i) => {
        assert.deepEqual(ours.encoded[i].inputIds, c.input_ids, `ids of ${JSON.stringify(c.text)}`);
        assert.deepEqual(ours.encoded[i].tokenTypeIds, c.token_type_ids, `token types of ${JSON.stringify(c.text)}`);
        assertClose(ours.logits[i], c.logits, `logits of ${JSON.stringify(c.text)}`);
      });
    });
  }
});

describe('BERT Tune → Hugging Face, on the real transformers', { skip }, () => {
  let dir: string;
  before(async () => {
    await useBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-interop-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a fine-tuned run's checkpoints/best loads with AutoTokenizer and AutoModelForSequenceClassification: same ids, logits, labels, pipeline", async () => {
    const base = path.join(dir, 'base');
    await smallBert(base, 3);
    const data = path.join(dir, 'reviews.csv');
    const rows = [
      'a wonderful, moving film,great',
      'dull and far too long,awful',
      'I loved every minute,great',
      'a waste of an evening,awful',
      'not bad at all,meh',
    ];
    fs.writeFileSync(
      data,
      'text,verdict\n' +
        Array.from({ length: 60 }, (_, i) => `"${rows[i % 5].split(',').slice(0, -1).join(',')} ${i}",${rows[i % 5].split(',').at(-1)}\n`).join(''),
    );
    const out = path.join(dir, 'run');
    const done = await runTraining(
      { ...TRAIN_DEFAULTS, data, textCol: 'text', labelCol: 'verdict', model: base, out, epochs: 2, batchSize: 8, learningRate: 1e-3, maxLength: 64 },
      { emit: () => {}, shouldStop: () => false },
    );
    assert.equal(done.status, 'completed', done.reason);
    const best = path.join(out, 'checkpoints', 'best');

    const texts = ['I loved this wonderful film', 'dull, dull, dull', 'Ünïcödé and CAPITALS!', 'x '.repeat(100)];
    const textsFile = path.join(dir, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(texts));
    const hf = JSON.parse(python(['check', best, textsFile])) as {
      id2label: Record<string, string>;
      cases: { input_ids: number[]; logits: number[] }[];
      pipeline: string[];
    };
    assert.deepEqual(hf.id2label, { 0: 'awful', 1: 'great', 2: 'meh' });

    const ours = logitsOf(
      best,
      texts.map(text => ({ text })),
    );
    texts.forEach((t, i) => {
      assert.deepEqual(hf.cases[i].input_ids, ours.encoded[i].inputIds, `ids of ${JSON.stringify(t)}`);
      assertClose(hf.cases[i].logits, ours.logits[i], `logits of ${JSON.stringify(t)}`);
    });
    const predictor = new Predictor();
    try {
      const { results } = await predictor.predict(
        best,
        texts.map(text => ({ text })),
        64,
      );
      assert.deepEqual(
        hf.pipeline,
        results.map(r => r.label),
        'the pipeline gives our labels',
      );
    } finally {
      predictor.dispose();
    }
  });
});

describe('Export training script → a distributed Trainer run → Import run, on the real stack', { skip }, () => {
  let dir: string;
  let base: string;
  before(async () => {
    await useBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-export-'));
    base = path.join(dir, 'base');
    await smallBert(base, 5);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const launchers: [string, (bin: string) => string[]][] = [
    ['torchrun --nproc_per_node 2 (gloo on the CPU)', bin => [path.join(bin, 'torchrun'), '--nproc_per_node', '2', 'train.py']],
    [
      // not --cpu: without a config file, Accelerate then starts one process whatever --num_processes says
      'accelerate launch --multi_gpu --num_processes 2 (on the CPU)',
      bin => [
        path.join(bin, 'accelerate'),
        'launch',
        '--multi_gpu',
        '--num_processes',
        '2',
        '--num_machines',
        '1',
        '--mixed_precision',
        'no',
        '--dynamo_backend',
        'no',
        'train.py',
      ],
    ],
  ];
  for (const [name, command] of launchers) {
    it(`${name}: trains the exported recipe with two processes; the result imports as a run and predicts`, async () => {
      const label = name.split(' ')[0];
      const script = path.join(dir, `script-${label}`);
      const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
      const { importRun } = await import('../../src/trainer/export/importRun');
      const config = {
        ...TRAIN_DEFAULTS,
        data: path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
        textCol: 'text',
        labelCol: 'label',
        model: base,
        out: script,
        maxSteps: 6,
        evalSteps: 3,
        batchSize: 8,
        learningRate: 1e-3,
        maxLength: 64,
        classWeights: 'balanced' as const,
      };
      await exportTrainingScript(config, script);
      const [bin, ...args] = command(path.dirname(found.python!));
      const r = spawnSync(bin, args, {
        cwd: script,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
      });
      assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
      assert.match(r.stdout + r.stderr, /saved the model to/);
      // two ranks, each with half of the global batch of 8
      for (const rank of [0, 1]) assert.match(r.stdout, new RegExp(`rank ${rank} of 2 processes: 4 rows a step on this process, a global batch of 8`));
      const model = path.join(script, 'output', 'model');
      const state = JSON.parse(fs.readFileSync(path.join(model, 'trainer_state.json'), 'utf8'));
      assert.equal(state.global_step, 6);
      // two processes of 4 rows: the run's global batch of 8, so 20 steps make an epoch of its 160 rows
      assert.ok(Math.abs(state.log_history.find((h: { step: number }) => h.step === 1).epoch - 0.05) < 1e-9, JSON.stringify(state.log_history[0]));

      const run = path.join(dir, '.bert-tune', 'runs', `imported-${label}`);
      await importRun(model, run);
      const { readMessages, summarizeRun } = await import('../../src/extension/runs/runStore');
      assert.equal(summarizeRun(run, false).status, 'completed');
      const kinds = readMessages(run).map(m => m.type);
      assert.equal(kinds.filter(k => k === 'progress').length, 6);
      assert.equal(kinds.filter(k => k === 'evaluation').length, 2);
      const predictor = new Predictor();
      try {
        const { labels, results } = await predictor.predict(path.join(run, 'checkpoints', 'best'), [{ text: 'a great film' }, { text: 'a dull film' }], 64);
        assert.deepEqual(labels, ['0', '1']);
        assert.equal(results.length, 2);
      } finally {
        predictor.dispose();
      }
    });
  }

  const python = (script: string, args: string[] = ['train.py']) =>
    spawnSync(args[0] === 'train.py' ? found.python! : path.join(path.dirname(found.python!), args[0]), args[0] === 'train.py' ? args : args.slice(1), {
      cwd: script,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
    });

  it("the loss and gradient norm are the global batch's: equal at step 1 with 1 process, 2 processes and accumulation 2", async () => {
    const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
    const step1 = async (name: string, o: Partial<typeof TRAIN_DEFAULTS>, launch: string[]) => {
      const script = path.join(dir, `step1-${name}`);
      const config = {
        ...TRAIN_DEFAULTS,
        data: path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
        textCol: 'text',
        labelCol: 'label',
        model: base,
        out: script,
        maxSteps: 1,
        evalSteps: 1,
        batchSize: 8,
        learningRate: 1e-3,
        maxLength: 64,
        dropout: 0, // the same forward pass on every process
        ...o,
      };
      await exportTrainingScript(config, script);
      const r = python(script, launch);
      assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
      const state = JSON.parse(fs.readFileSync(path.join(script, 'output', 'model', 'trainer_state.json'), 'utf8'));
      const first = state.log_history.find((h: { step: number; loss?: number }) => h.step === 1 && h.loss !== undefined);
      return { loss: first.loss as number, gradNorm: first.grad_norm as number };
    };
    const one = await step1('one', {}, ['train.py']);
    const two = await step1('two', {}, ['torchrun', '--nproc_per_node', '2', 'train.py']);
    const accumulated = await step1('accumulated', { batchSize: 4, gradientAccumulation: 2 }, ['train.py']);
    for (const [what, other] of [
      ['2 processes', two],
      ['accumulation 2', accumulated],
    ] as const) {
      assert.ok(Math.abs(other.loss - one.loss) < 1e-4 * one.loss, `${what}: loss ${other.loss} against ${one.loss}`);
      assert.ok(Math.abs(other.gradNorm - one.gradNorm) < 1e-3 * one.gradNorm, `${what}: grad norm ${other.gradNorm} against ${one.gradNorm}`);
    }
  });

  it('train.py as written stops at once, saying what to do, when the base model folder is not on the machine; the recipe holds absolute paths', async () => {
    const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
    const script = path.join(dir, 'moved');
    const config = {
      ...TRAIN_DEFAULTS,
      data: path.relative(process.cwd(), path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv')),
      textCol: 'text',
      labelCol: 'label',
      model: path.relative(process.cwd(), base),
      out: script,
      maxSteps: 1,
    };
    const { recipe } = await exportTrainingScript(config, script);
    assert.equal(recipe.model, base);
    assert.ok(path.isAbsolute(recipe.source_data));
    const moved = { ...recipe, model: path.join(dir, 'not-here') };
    fs.writeFileSync(path.join(script, 'recipe.json'), JSON.stringify(moved));
    const r = python(script);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /The base model folder .*not-here is not on this machine\. Copy it here and set "model" in recipe\.json/);
  });

  /** The CSV of these rows as BERT Tune reads it (the export's train.csv escapes formulas). */
  const rowsFile = (rows: { text: string; label: string }[]) => {
    const file = path.join(dir, `rows-${Math.random().toString(36).slice(2)}.csv`);
    fs.writeFileSync(file, ['text,label', ...rows.map(r => `"${r.text.replace(/"/g, '""')}",${r.label}`)].join('\n') + '\n');
    return file;
  };

  it('no shuffle trains on the rows in file order, and a head trained for the same labels is kept: step 1 is the loss of the first 8 rows', async () => {
    const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
    const { loadRunRows } = await import('../../src/trainer/train/runRows');
    const { evaluateFile } = await import('../../src/trainer/predict/evaluateFile');
    const labelled = path.join(dir, 'labelled-base');
    await smallBert(labelled, 7, { 0: '0', 1: '1' });
    const script = path.join(dir, 'in-order');
    const config = {
      ...TRAIN_DEFAULTS,
      data: path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
      textCol: 'text',
      labelCol: 'label',
      model: labelled,
      out: script,
      maxSteps: 1,
      evalSteps: 1,
      batchSize: 8,
      maxLength: 64,
      dropout: 0,
      shuffle: false,
    };
    const { recipe } = await exportTrainingScript(config, script);
    assert.equal(recipe.shuffle, false);
    const r = python(script);
    assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
    assert.doesNotMatch(r.stdout, /the classifier is new/);
    const state = JSON.parse(fs.readFileSync(path.join(script, 'output', 'model', 'trainer_state.json'), 'utf8'));
    const logged = state.log_history.find((h: { step: number; loss?: number }) => h.step === 1 && h.loss !== undefined).loss as number;
    const first8 = (await loadRunRows(config)).train.slice(0, 8);
    const loaded = loadCheckpoint(labelled);
    try {
      const ours = await evaluateFile(loaded, { file: rowsFile(first8), textCol: 'text', labelCol: 'label', maxLength: 64 });
      assert.ok(Math.abs(ours.loss - logged) < 1e-4, `train.py's step 1 ${logged}, the first 8 rows ${ours.loss}`);
    } finally {
      loaded.model.dispose();
    }
  });

  it("another family's run: train.py reads its parts from the recipe: head-only trains RoBERTa's head alone, freezing keeps its embeddings and first layer, its dropout keys take the run's dropout", async () => {
    const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
    const { parseSafetensors, toFloat32 } = await import('../../src/trainer/checkpoint/safetensors');
    const roberta = path.join(ROOT, 'test', 'fixtures', 'families', 'tiny-roberta');
    const weights = (folder: string) => {
      const parsed = parseSafetensors(fs.readFileSync(path.join(folder, 'model.safetensors')));
      return new Map([...parsed.tensors].map(([k, e]) => [k, toFloat32(e)]));
    };
    const unchanged = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]) < 1e-7);
    const base = weights(roberta);
    for (const [name, o] of [
      ['roberta-head-only', { headOnly: true }],
      ['roberta-frozen', { freezeLayers: 1 }],
    ] as const) {
      const script = path.join(dir, name);
      const config = {
        ...TRAIN_DEFAULTS,
        data: path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
        textCol: 'text',
        labelCol: 'label',
        model: roberta,
        out: script,
        maxSteps: 2,
        evalSteps: 2,
        batchSize: 8,
        learningRate: 1e-2,
        maxLength: 64,
        dropout: 0,
        ...o,
      };
      const { recipe } = await exportTrainingScript(config, script);
      assert.deepEqual(recipe.family, {
        model_type: 'roberta',
        head: ['classifier.'],
        embeddings: ['roberta.embeddings.'],
        layer: 'roberta.encoder.layer.{l}.',
        output_layer: 'classifier.out_proj',
        dropout_keys: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout'],
      });
      const r = python(script);
      assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
      const model = path.join(script, 'output', 'model');
      const saved = JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8'));
      assert.equal(saved.hidden_dropout_prob, 0);
      assert.equal(saved.classifier_dropout, 0);
      const after = weights(model);
      for (const [param, v] of after) {
        const kept =
          name === 'roberta-head-only'
            ? !param.startsWith('classifier.')
            : param.startsWith('roberta.embeddings.') || param.startsWith('roberta.encoder.layer.0.');
        if (kept) assert.ok(unchanged(v, base.get(param)!), `${name}: ${param} must stay`);
      }
      const trained = name === 'roberta-head-only' ? 'classifier.dense.weight' : 'roberta.encoder.layer.1.output.dense.weight';
      assert.ok(!unchanged(after.get(trained)!, base.get(trained)!), `${name}: ${trained} must train`);
      const loaded = loadCheckpoint(model);
      assert.equal(loaded.config.family, 'roberta');
      loaded.model.dispose();
    }
  });

  for (const [task, labelCol, classWeights] of [
    ['multi_label_classification', 'toxic,insult', 'balanced'],
    ['regression', 'score', 'none'],
  ] as const) {
    it(`${task}: train.py trains the task as BERT Tune does: step 1 is BERT Tune's loss of the first 8 rows${classWeights === 'balanced' ? ' with pos_weight' : ''}, its metrics import under BERT Tune's names`, async () => {
      const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
      const { importRun } = await import('../../src/trainer/export/importRun');
      const { loadRunRows } = await import('../../src/trainer/train/runRows');
      const { exampleTarget, lossSpecFor } = await import('../../src/trainer/task/targets');
      const { batchLoss } = await import('../../src/trainer/step/loss');
      // A base model whose head is this task's already: train.py keeps it, so both sides start from the same weights.
      const labelled = path.join(dir, `${task}-base`);
      await smallBert(labelled, 9, task === 'regression' ? { 0: 'score' } : { 0: 'toxic', 1: 'insult' });
      const cfgFile = path.join(labelled, 'config.json');
      fs.writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfgFile, 'utf8')), problem_type: task }));
      const sst = fs
        .readFileSync(path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1, 81);
      const data = path.join(dir, `${task}.csv`);
      fs.writeFileSync(
        data,
        ['text,toxic,insult,score', ...sst.map((l, i) => `"${l.split('\t')[0].replace(/"/g, '""')}",${i % 2},${+(i % 3 === 0)},${(i % 9) / 4 - 1}`)].join(
          '\n',
        ) + '\n',
      );
      const script = path.join(dir, `${task}-script`);
      const config = {
        ...TRAIN_DEFAULTS,
        data,
        textCol: 'text',
        labelCol,
        problemType: task,
        model: labelled,
        out: script,
        maxSteps: 2,
        evalSteps: 1,
        batchSize: 8,
        maxLength: 64,
        dropout: 0,
        shuffle: false,
        classWeights,
        // regression learns its target standardised, as --standardize-target: train.py too
        standardizeTarget: task === 'regression' ? true : undefined,
      };
      const { recipe } = await exportTrainingScript(config, script);
      assert.equal(recipe.problem_type, task);
      assert.equal(Boolean(recipe.target_scale), task === 'regression');
      const r = python(script);
      assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
      assert.doesNotMatch(r.stdout, /the classifier is new/);
      const state = JSON.parse(fs.readFileSync(path.join(script, 'output', 'model', 'trainer_state.json'), 'utf8'));
      const logged = state.log_history.find((h: { step: number; loss?: number }) => h.step === 1 && h.loss !== undefined).loss as number;

      const rows = await loadRunRows(config, task);
      const labels = rows.data.labels;
      const ids = new Map(labels.map((l, i) => [l, i]));
      const loaded = loadCheckpoint(labelled, { dropout: 0 });
      try {
        const examples = rows.train.map(row => {
          const e = loaded.tokenizer.encode(row.text, undefined, 64);
          return { inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, line: row.line, ...exampleTarget(task, row, ids, data) };
        });
        const spec = lossSpecFor(config, task, labels, examples);
        assert.equal(spec.posWeight?.length, classWeights === 'balanced' ? 2 : undefined);
        const { standardised, targetScaleOf } = await import('../../src/trainer/task/targetScale');
        const learnt = task === 'regression' ? standardised(examples, targetScaleOf(examples.map(e => e.target![0]))) : examples;
        const batch = padBatch(learnt.slice(0, 8), loaded.tokenizer.padId);
        const inputs = batchTensors(batch);
        const ours = tf.tidy(() => batchLoss(spec, loaded.model.forward(inputs, { training: false }).logits, batch).arraySync() as number);
        disposeInputs(inputs);
        assert.ok(Math.abs(ours - logged) < 1e-4 * Math.max(1, logged), `train.py's step 1 ${logged}, BERT Tune's ${ours}`);
      } finally {
        loaded.model.dispose();
      }

      const run = path.join(dir, `${task}-imported`);
      await importRun(path.join(script, 'output', 'model'), run);
      const messages = fs
        .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(l => JSON.parse(l));
      const started = messages.find(m => m.type === 'started');
      assert.equal(started.task, task);
      const evaluation = messages.find(m => m.type === 'evaluation');
      assert.equal(evaluation.task, task);
      for (const field of task === 'regression'
        ? ['mse', 'rmse', 'mae', 'r2', 'pearson', 'spearman']
        : ['microF1', 'macroF1', 'weightedF1', 'subsetAccuracy', 'hammingLoss'])
        assert.ok(Number.isFinite(evaluation[field]), `${field} in ${JSON.stringify(evaluation)}`);
    });
  }

  it('class weights weigh the training loss only: the logged evaluation loss is the unweighted one BERT Tune reports; an evaluation after each epoch too', async () => {
    const { exportTrainingScript } = await import('../../src/trainer/export/exportScript');
    const { loadRunRows } = await import('../../src/trainer/train/runRows');
    const { evaluateFile } = await import('../../src/trainer/predict/evaluateFile');
    const script = path.join(dir, 'weighted');
    const config = {
      ...TRAIN_DEFAULTS,
      data: path.join(ROOT, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
      textCol: 'text',
      labelCol: 'label',
      model: base,
      out: script,
      epochs: 1,
      maxSteps: 6,
      evalSteps: 4,
      batchSize: 32, // 160 rows: 5 steps an epoch, so an evaluation at 4 (eval_steps) and 5 (the epoch's end)
      learningRate: 1e-3,
      maxLength: 64,
      classWeights: [1, 5],
    };
    await exportTrainingScript(config, script);
    const r = python(script);
    assert.equal(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
    const state = JSON.parse(fs.readFileSync(path.join(script, 'output', 'model', 'trainer_state.json'), 'utf8'));
    const evals = state.log_history.filter((h: { eval_loss?: number }) => h.eval_loss !== undefined) as { step: number; eval_loss: number }[];
    for (const step of [4, 5])
      assert.ok(
        evals.some(e => e.step === step),
        `an evaluation at step ${step}: ${JSON.stringify(evals.map(e => e.step))}`,
      );
    const bestStep = state.best_global_step as number;
    const logged = evals.find(e => e.step === bestStep)!.eval_loss;
    const validation = (await loadRunRows(config)).validation;
    const loaded = loadCheckpoint(path.join(script, 'output', 'model'));
    try {
      const ours = await evaluateFile(loaded, { file: rowsFile(validation), textCol: 'text', labelCol: 'label', maxLength: 64 });
      assert.ok(Math.abs(ours.loss - logged) < 1e-4, `train.py's evaluation loss ${logged}, BERT Tune's unweighted ${ours.loss}`);
    } finally {
      loaded.model.dispose();
    }
  });
});
