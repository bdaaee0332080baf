/** #14: the exported training script's recipe and rows, and Import run, without Python (test/interop runs the script itself). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { TRAIN_DEFAULTS, type TrainConfig } from '../../src/shared/trainerProtocol';
import { RUN_FILES, readRunConfig } from '../../src/shared/runFolder';
import { initCheckpoint, saveCheckpoint, loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { exportTrainingScript, type Recipe } from '../../src/trainer/export/exportScript';
import { importRun } from '../../src/trainer/export/importRun';
import { parseModelConfig } from '../../src/trainer/model/config';
import { loadRunRows } from '../../src/trainer/train/runRows';
import { summarizeRun, readMessages } from '../../src/extension/runs/runStore';
import { useBackend } from './backendSetup';
import { fixture, tempDir } from './helpers';

const VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

describe('Export training script', () => {
  let base: string;
  before(async () => {
    await useBackend('wasm');
    base = path.join(tempDir(), 'base');
    await initCheckpoint(
      parseModelConfig({
        model_type: 'bert',
        vocab_size: 30522,
        num_hidden_layers: 1,
        hidden_size: 16,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 64,
      }),
      VOCAB,
      base,
      1,
    );
  });

  const config = (out: string, o: Partial<TrainConfig> = {}): TrainConfig => ({
    ...TRAIN_DEFAULTS,
    data: fixture('sst2-dev-200.tsv'),
    textCol: 'text',
    labelCol: 'label',
    model: base,
    out,
    epochs: 2,
    batchSize: 16,
    gradientAccumulation: 2,
    warmupRatio: 0.25,
    classWeights: 'balanced',
    earlyStoppingPatience: 3,
    freezeLayers: 1,
    ...o,
  });

  it("writes the run's exact recipe, and the very rows of its split", async () => {
    const out = path.join(tempDir(), 'script');
    const cfg = config(out);
    const { recipe, files } = await exportTrainingScript(cfg, out);
    assert.deepEqual(files.sort(), ['README.md', 'recipe.json', 'requirements.txt', 'train.csv', 'train.py', 'validation.csv']);
    const written = JSON.parse(fs.readFileSync(path.join(out, 'recipe.json'), 'utf8')) as Recipe;
    assert.deepEqual(written, recipe);
    // 160 training rows / 16 = 10 batches, 2 accumulated: 5 steps an epoch, 10 in all, 3 of warmup (ceil 2.5)
    assert.equal(recipe.total_steps, 10);
    assert.equal(recipe.eval_steps, 5);
    assert.equal(recipe.warmup_steps, 3);
    assert.deepEqual(recipe.labels, ['0', '1']);
    assert.equal(recipe.class_weights!.length, 2);
    assert.equal(recipe.freeze_layers, 1);
    assert.equal(recipe.early_stopping_patience, 3);
    assert.equal(recipe.model_is_local_folder, true);
    const rows = await loadRunRows(cfg);
    const csv = (f: string) => parse(fs.readFileSync(path.join(out, f), 'utf8'), { columns: true }) as { text: string; label: string }[];
    assert.deepEqual(
      csv('validation.csv'),
      rows.validation.map(r => ({ text: r.text, label: r.label })),
    );
    assert.deepEqual(
      csv('train.csv'),
      rows.train.map(r => ({ text: r.text, label: r.label })),
    );
    assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /torchrun --nproc_per_node[\s\S]*accelerate launch[\s\S]*--nnodes 2[\s\S]*import-run/);
    assert.match(fs.readFileSync(path.join(out, 'train.py'), 'utf8'), /schema version 1/);
    await assert.rejects(exportTrainingScript(cfg, out), /exists and is not empty/);
  });

  it("escapes cells a spreadsheet would run as formulas, and train.py's unescape gives the rows back exactly", async () => {
    const texts = ['=HYPERLINK("http://x","y")', '+1 great', '-2 awful', '@SUM(A1)', '\tindented', "'quoted", "''=twice", 'plain text', '\rreturn'];
    const labels = ['=cmd', 'ok'];
    const data = path.join(tempDir(), 'formulas.csv');
    fs.writeFileSync(data, stringify([['text', 'label'], ...Array.from({ length: 40 }, (_, i) => [texts[i % texts.length], labels[i % 2]])]));
    const out = path.join(tempDir(), 'script');
    const cfg = config(out, { data, classWeights: 'none', validationSplit: 0.25, freezeLayers: 0 });
    await exportTrainingScript(cfg, out);
    const rows = await loadRunRows(cfg);
    const cells = (parse(fs.readFileSync(path.join(out, 'train.csv'), 'utf8')) as string[][]).slice(1);
    for (const c of cells.flat()) assert.ok(!/^[=+\-@\t\r]/.test(c), `${JSON.stringify(c)} would run as a formula`);
    const unescape = /^def unescape[\s\S]*?\n\n/m.exec(fs.readFileSync(path.join(out, 'train.py'), 'utf8'))![0];
    const py = spawnSync('python3', ['-c', `import json, sys\n${unescape}\nprint(json.dumps([[unescape(c) for c in r] for r in json.load(sys.stdin)]))`], {
      input: JSON.stringify(cells),
      encoding: 'utf8',
    });
    assert.equal(py.status, 0, py.stderr);
    assert.deepEqual(
      JSON.parse(py.stdout),
      rows.train.map(r => [r.text, r.label]),
    );
  });

  it("export-script --config: the wizard's recipe before any run exists; a bad one is told as a sentence", async () => {
    const { exportScriptCommand } = await import('../../src/trainer/cli/exportCommands');
    const dir = tempDir();
    const file = path.join(dir, 'train-config.json');
    fs.writeFileSync(file, JSON.stringify(config(path.join(dir, 'unused'))));
    assert.equal(await exportScriptCommand(['--config', file, '--out', path.join(dir, 'script')]), 0);
    assert.ok(fs.existsSync(path.join(dir, 'script', 'train.py')));
    fs.writeFileSync(file, JSON.stringify({ ...config(path.join(dir, 'unused')), batchSize: 0 }));
    await assert.rejects(
      exportScriptCommand(['--config', file, '--out', path.join(dir, 'other')]),
      /train-config\.json: batchSize must be more than 0, not 0\. Fix it and run again\./,
    );
  });

  it('Import run: a Hugging Face folder with its trainer_state.json becomes a completed run with curves, ready for predictions', async () => {
    const dir = tempDir();
    const from = path.join(dir, 'model');
    const loaded = loadCheckpoint(base, { labels: ['neg', 'pos'] });
    await saveCheckpoint(loaded.model, base, from);
    loaded.model.dispose();
    const recipe = (await exportTrainingScript(config(path.join(dir, 's')), path.join(dir, 's'))).recipe;
    fs.writeFileSync(path.join(from, 'bert_tune_recipe.json'), JSON.stringify(recipe));
    fs.writeFileSync(path.join(from, 'training_args.bin'), 'a pickle we never copy');
    fs.writeFileSync(
      path.join(from, 'trainer_state.json'),
      JSON.stringify({
        global_step: 4,
        max_steps: 4,
        best_global_step: 2,
        best_metric: 0.75,
        log_history: [
          { step: 1, epoch: 0.5, loss: 0.7, grad_norm: 1.2, learning_rate: 1e-3 },
          { step: 2, epoch: 1, loss: 0.6, grad_norm: 1.1, learning_rate: 8e-4 },
          { step: 2, epoch: 1, eval_loss: 0.65, eval_accuracy: 0.75, eval_macro_f1: 0.7 },
          { step: 4, epoch: 2, loss: 0.5, grad_norm: 0.9, learning_rate: 0 },
          { step: 4, epoch: 2, eval_loss: 0.66, eval_accuracy: 0.7, eval_macro_f1: 0.69 },
          { step: 4, epoch: 2, eval_loss: 0.65, eval_accuracy: 0.75, eval_macro_f1: 0.7 },
          { step: 4, epoch: 2, train_runtime: 3.2 },
        ],
      }),
    );
    const run = path.join(dir, '.bert-tune', 'runs', 'imported');
    await importRun(from, run);
    const messages = readMessages(run);
    assert.deepEqual(
      messages.filter(m => m.type === 'progress').map(m => m.type === 'progress' && m.step),
      [1, 2, 4],
    );
    assert.deepEqual(
      messages.filter(m => m.type === 'evaluation').map(m => m.type === 'evaluation' && [m.step, m.isBest]),
      [
        [2, true],
        [4, false],
      ],
    );
    const summary = summarizeRun(run, false);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.family, 'bert', 'the imported run names its family, as a trained one does');
    assert.deepEqual(summary.best, { metric: 'accuracy', value: 0.75, step: 2 });
    assert.equal(readRunConfig(run).learningRate, recipe.learning_rate);
    // the run's own epochs and order, not the defaults
    assert.equal(recipe.epochs, 2);
    assert.equal(readRunConfig(run).epochs, 2);
    assert.equal(readRunConfig(run).shuffle, true);
    assert.ok(!fs.existsSync(path.join(run, RUN_FILES.checkpoints, 'best', 'training_args.bin')));
    const best = loadCheckpoint(path.join(run, RUN_FILES.checkpoints, 'best'));
    assert.deepEqual(best.config.id2label, ['neg', 'pos']);
    best.model.dispose();
    await assert.rejects(importRun(from, run), /exists already/);
    await assert.rejects(importRun(dir, path.join(dir, 'other')), /no config\.json/);
  });

  it('Import run of a plain model folder (no trainer_state.json) says it has no curves; eval and predict take a run folder', async () => {
    const dir = tempDir();
    const from = path.join(dir, 'plain');
    const loaded = loadCheckpoint(base, { labels: ['neg', 'pos'] });
    await saveCheckpoint(loaded.model, base, from);
    loaded.model.dispose();
    const run = path.join(dir, '.bert-tune', 'runs', 'plain-import');
    const r = await importRun(from, run);
    assert.match(r.notices.join('\n'), /has no trainer_state\.json: imported as a model without curves/);
    const summary = summarizeRun(run, false);
    assert.equal(summary.label, 'plain-import');
    assert.match(summary.reason ?? '', /without curves \(no trainer_state\.json\)/);
    // a run folder stands for its best checkpoint
    const { resolveModel } = await import('../../src/trainer/hub/resolveModel');
    const resolved = await resolveModel(run);
    assert.equal(resolved.dir, path.join(run, RUN_FILES.checkpoints, 'best'));
    assert.match(resolved.notices[0], /is a run: using its best checkpoint/);
    const empty = path.join(dir, '.bert-tune', 'runs', 'empty');
    fs.mkdirSync(empty, { recursive: true });
    fs.writeFileSync(path.join(empty, RUN_FILES.config), '{}');
    await assert.rejects(resolveModel(empty), /is a run with no saved model yet/);
    const { importRunCommand } = await import('../../src/trainer/cli/exportCommands');
    await assert.rejects(importRunCommand([]), /--from and --out are required/);
  });
});
