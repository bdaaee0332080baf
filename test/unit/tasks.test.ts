/**
 * #27: multi-label classification and regression, from the data to the prediction. The data's
 * three multi-label forms read alike; each task's loss matches its float64 definition, on the
 * trainer's thread and in the gradient workers; a run evaluates with the task's metrics, keeps
 * problem_type and the tuned thresholds with its checkpoint, resumes, and its model serves the
 * task's answers. (Against transformers and scikit-learn: test/interop/tasks.test.ts.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TRAIN_DEFAULTS, type FromTrainer, type TrainConfig } from '../../src/shared/trainerProtocol';
import { looksLikeRegression, tagSeparatorOf } from '../../src/shared/tasks';
import { loadCheckpoint, taskOf } from '../../src/trainer/checkpoint/hfCheckpoint';
import { loadLabelledData, type LabelledData } from '../../src/trainer/data/loadLabelledData';
import { inspectDataset } from '../../src/trainer/data/inspectDataset';
import { ParallelTrainer } from '../../src/trainer/parallel/parallelTrainer';
import { Predictor } from '../../src/trainer/predict/predictor';
import { predictFile } from '../../src/trainer/predict/predictFile';
import { evaluateFile } from '../../src/trainer/predict/evaluateFile';
import { readWeights } from '../../src/trainer/checkpoint/weightsFiles';
import { lossCoefficients, rowLosses, targetTensor, type LossSpec } from '../../src/trainer/step/loss';
import { bestThreshold, rocAuc } from '../../src/trainer/task/multiLabelMetrics';
import { regressionMetrics } from '../../src/trainer/task/regressionMetrics';
import { lossSpecFor, stratumOf } from '../../src/trainer/task/targets';
import { AdamW } from '../../src/trainer/train/adamw';
import { padBatch, type Example } from '../../src/trainer/train/batches';
import { trainStep } from '../../src/trainer/train/step';
import { isDecayed } from '../../src/trainer/model/parameters';
import { useBackend, WASM_DIR } from './backendSetup';
import { tempDir, tinyCheckpoint } from './helpers';
import { runCollecting } from './runHelpers';

/** A file of `name` with these lines, in a fresh folder. */
function file(name: string, lines: string[]): string {
  const f = path.join(tempDir(), name);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

const WORDS = ['good', 'bad', 'great', 'awful', 'fine', 'boring', 'fun', 'sad', 'happy', 'dull'];

/** 60 rows of two words, their labels (toxic, insult) and a score that follows the words: every form of the same data. */
function rowsOfData() {
  return Array.from({ length: 60 }, (_, i) => {
    const a = WORDS[i % 10];
    const b = WORDS[(i * 7 + Math.floor(i / 10)) % 10];
    const toxic = ['bad', 'awful', 'sad'].includes(a);
    const insult = ['dull', 'boring'].includes(b);
    return { text: `${a} and ${b} film ${i}`, toxic, insult, score: WORDS.indexOf(a) / 3 + (i % 4) * 0.05 };
  });
}

const targetsOf = (d: LabelledData) => d.rows.map(r => [r.line, [...(r.tags ?? [])].sort().join('+')]);

describe('reading the targets of each task', () => {
  const data = rowsOfData();
  const columns = file('columns.csv', ['text,toxic,insult', ...data.map(r => `${r.text},${+r.toxic},${+r.insult}`)]);
  const tagLine = (r: (typeof data)[number]) => [r.toxic ? 'toxic' : '', r.insult ? 'insult' : ''].filter(Boolean).join('|');
  const tags = file('tags.csv', ['text,tags', ...data.map(r => `${r.text},${tagLine(r)}`)]);
  const jsonl = file(
    'rows.jsonl',
    data.map(r => JSON.stringify({ text: r.text, labels: [...(r.toxic ? ['toxic'] : []), ...(r.insult ? ['insult'] : [])] })),
  );
  const jsonFlags = file(
    'flags.jsonl',
    data.map(r => JSON.stringify({ text: r.text, toxic: r.toxic, insult: +r.insult })),
  );

  it('reads 0/1 columns, a column of tags, JSON arrays and JSON 0/1 keys as the same multi-label rows, rows with no label kept', async () => {
    const fromColumns = await loadLabelledData(columns, { textCol: 'text', labelCol: 'toxic,insult' });
    const fromTags = await loadLabelledData(tags, { textCol: 'text', labelCol: 'tags', labelSep: '|' });
    const fromArrays = await loadLabelledData(jsonl, { textCol: 'text', labelCol: 'labels' });
    const fromFlags = await loadLabelledData(jsonFlags, { textCol: 'text', labelCol: 'toxic, insult' });
    for (const d of [fromColumns, fromTags, fromArrays, fromFlags]) assert.equal(d.task, 'multi_label_classification');
    assert.deepEqual(fromColumns.labels, ['toxic', 'insult'], 'the columns in the order given');
    assert.deepEqual(fromTags.labels, ['insult', 'toxic'], 'tags sorted');
    assert.equal(fromColumns.rows.length, 60);
    const none = fromColumns.rows.filter(r => !r.tags!.length).length;
    assert.ok(none > 10, `${none} rows with no label are rows too`);
    assert.ok(fromColumns.findings.some(f => f.kind === 'noLabels' && f.count === none));
    assert.deepEqual(targetsOf(fromTags), targetsOf(fromColumns));
    assert.deepEqual(
      targetsOf(fromArrays),
      targetsOf(fromColumns).map(([line, t]) => [Number(line) - 1, t]),
      'JSON Lines has no header line',
    );
    assert.deepEqual(targetsOf(fromFlags), targetsOf(fromArrays));
    // With the task named, the separator is the first one the column holds.
    const named = await loadLabelledData(tags, { textCol: 'text', labelCol: 'tags', task: 'multi_label_classification' });
    assert.deepEqual(targetsOf(named), targetsOf(fromTags));
    // Without it, a single column of tags stays single-label: "a|b" is one class, as before.
    assert.equal((await loadLabelledData(tags, { textCol: 'text', labelCol: 'tags' })).task, 'single_label_classification');
  });

  it('names the file, line and column of a cell that is not 0/1, and refuses several columns for another task', async () => {
    const bad = file('bad.csv', ['text,toxic,insult', 'a,1,0', 'b,0,maybe']);
    await assert.rejects(loadLabelledData(bad, { textCol: 'text', labelCol: 'toxic,insult' }), /bad\.csv, line 3, column "insult": "maybe" is not 0 or 1/);
    await assert.rejects(
      loadLabelledData(columns, { textCol: 'text', labelCol: 'toxic,insult', task: 'regression' }),
      /names 2 columns \(toxic, insult\), which only multi-label classification reads/,
    );
    await assert.rejects(loadLabelledData(columns, { textCol: 'text', labelCol: 'toxic,nope' }), /there is no column "nope"/);
  });

  it('reads a score column as regression (inferred from many numbers, or asked), skips NA, and names a cell that is no number', async () => {
    const scores = file('scores.csv', ['text,score', ...data.map(r => `${r.text},${r.score}`), 'missing one,NA']);
    const inferred = await loadLabelledData(scores, { textCol: 'text', labelCol: 'score' });
    assert.equal(inferred.task, 'regression');
    assert.match(inferred.inferredTask!, /read as regression, since "score" holds \d+ distinct numbers/);
    assert.deepEqual(inferred.labels, ['score']);
    assert.deepEqual(
      inferred.rows.map(r => r.value),
      data.map(r => r.score),
    );
    assert.equal(inferred.skipped.count, 1, 'NA is a missing target');
    const bad = file('bad-score.csv', ['text,score', 'a,1.5', 'b,2', 'c,high']);
    await assert.rejects(
      loadLabelledData(bad, { textCol: 'text', labelCol: 'score', task: 'regression' }),
      /bad-score\.csv, line 4, column "score": "high" is not a number/,
    );
    const constant = file('constant.csv', ['text,score', 'a,3', 'b,3', 'c,3']);
    await assert.rejects(
      loadLabelledData(constant, { textCol: 'text', labelCol: 'score', task: 'regression' }),
      /every row's "score" is 3: a regression needs targets that differ/,
    );
    // Star ratings stay classes; "too many labels" says regression is there.
    assert.equal(looksLikeRegression(['1', '2', '3', '4', '5']), false);
    assert.equal(looksLikeRegression(['0.0', '1.0']), false);
    assert.equal(looksLikeRegression(Array.from({ length: 12 }, (_, i) => String(i / 4))), true);
    assert.equal(tagSeparatorOf(['a;b', 'c']), ';');
  });

  it('splits keeping label sets and target deciles on both sides', async () => {
    const multi = await loadLabelledData(columns, { textCol: 'text', labelCol: 'toxic,insult' });
    const key = stratumOf('multi_label_classification', multi.rows);
    assert.equal(new Set(multi.rows.map(key)).size, 4);
    const values = Array.from({ length: 100 }, (_, i) => ({ line: i, text: '', label: '', value: i }));
    const decile = stratumOf('regression', values);
    assert.deepEqual([...new Set(values.map(decile))].sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

describe('the Datasets view of each task', () => {
  const data = rowsOfData().map((r, i) => ({ ...r, text: `${r.text} (review ${i})` }));

  it('proposes multi-label for 0/1 columns and for a column of tags, with labels a row and the rows with none (an empty tag cell is no skipped row)', async () => {
    const columns = await inspectDataset(
      file('c.csv', ['text,toxic,insult,obscene', ...data.map((r, i) => `${r.text},${+r.toxic},${+r.insult},${+(i % 7 === 0)}`)]),
    );
    assert.equal(columns.task?.task, 'multi_label_classification');
    assert.deepEqual(columns.task?.labelColumns, ['toxic', 'insult', 'obscene']);
    const given = data.reduce((a, r, i) => a + +r.toxic + +r.insult + +(i % 7 === 0), 0);
    const none = data.filter((r, i) => !r.toxic && !r.insult && i % 7 !== 0).length;
    assert.equal(columns.task?.summary, `${(given / 60).toFixed(2)} labels a row; ${none} rows with none`);
    const tagged = data.map(r => [r.toxic ? 'toxic' : '', r.insult ? 'insult' : ''].filter(Boolean).join('|'));
    const tags = await inspectDataset(file('t.csv', ['text,tags', ...data.map((r, i) => `${r.text},${tagged[i]}`)]));
    assert.equal(tags.task?.task, 'multi_label_classification');
    assert.equal(tags.task?.labelSep, '|');
    assert.ok(!tags.problems.some(p => /training on that column skips/.test(p.message)), tags.problems.map(p => p.message).join('\n'));
    assert.ok(tags.problems.some(p => /have no label .*they teach the model that every label is absent/.test(p.message)));
  });

  it('proposes regression for a column of scores, with its range and the targets far from the others; a label column of two 0/1 values stays single-label', async () => {
    const scores = await inspectDataset(file('s.csv', ['text,score', ...data.map(r => `${r.text},${r.score}`), 'an odd one,950']));
    assert.equal(scores.task?.task, 'regression');
    assert.match(scores.task!.summary!, /^from 0\.\d+ to 950\.0, mean \d+\.\d+$/);
    const far = scores.problems.find(p => /1 target in "score" lies far from the others/.test(p.message));
    assert.equal(far?.line, 62);
    const single = await inspectDataset(file('l.csv', ['text,label,split', ...data.map((r, i) => `${r.text},${+r.toxic},${i % 2}`)]));
    assert.equal(single.task?.task, 'single_label_classification');
    // The Dataset Summary's first rows, with their lines.
    assert.deepEqual(single.sample?.[0], { line: 2, cells: [data[0].text, String(+data[0].toxic), '0'] });
    assert.equal(single.sample?.length, 5);
  });
});

describe('the losses of the tasks', () => {
  before(() => useBackend('wasm'));

  it('multi-label: BCEWithLogits with pos_weight per label, the mean over labels, as its float64 definition', () => {
    const logits = [
      [2.5, -1, 0.3],
      [-30, 40, 0],
    ];
    const y = [
      [1, 0, 1],
      [0, 1, 0],
    ];
    const pw = [3, 0.5, 1];
    const spec: LossSpec = { task: 'multi_label_classification', posWeight: pw };
    const got = tf.tidy(() =>
      rowLosses(spec, tf.tensor2d(logits), targetTensor(spec, { inputIds: [], tokenTypeIds: [], attentionMask: [], labels: [0, 0], targets: y })).arraySync(),
    );
    const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    const want = logits.map((row, i) => row.reduce((a, x, j) => a + (pw[j] * y[i][j] * softplus(-x) + (1 - y[i][j]) * softplus(x)), 0) / row.length);
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-5 * Math.max(1, want[i]), `row ${i}: ${g} vs ${want[i]}`));
    // pos_weight is inside the row's loss: the rows weigh the same.
    assert.deepEqual(lossCoefficients([{ labels: [0, 0] }], spec), [[0.5, 0.5]]);
  });

  it('regression: the squared error of the one output', () => {
    const spec: LossSpec = { task: 'regression' };
    const got = tf.tidy(() =>
      rowLosses(
        spec,
        tf.tensor2d([[1.5], [-2]]),
        targetTensor(spec, { inputIds: [], tokenTypeIds: [], attentionMask: [], labels: [0, 0], targets: [[0.5], [1]] }),
      ).arraySync(),
    );
    assert.deepEqual(got, [1, 9]);
  });

  it('balanced class weights become pos_weight per label for multi-label (negatives / positives); regression refuses class weights', () => {
    const train = [
      [1, 0],
      [1, 1],
      [0, 0],
      [1, 0],
    ].map((target, i): Example => ({ inputIds: [1], tokenTypeIds: [0], label: 0, target, line: i }));
    assert.deepEqual(lossSpecFor({ classWeights: 'balanced' }, 'multi_label_classification', ['a', 'b'], train).posWeight, [1 / 3, 3]);
    assert.deepEqual(lossSpecFor({ classWeights: [2, 5] }, 'multi_label_classification', ['a', 'b'], train).posWeight, [2, 5]);
    assert.throws(() => lossSpecFor({ classWeights: 'balanced' }, 'regression', ['y'], train), /a regression has no classes to weigh/);
  });

  for (const spec of [{ task: 'multi_label_classification', posWeight: [2, 0.5, 1] }, { task: 'regression' }] as LossSpec[]) {
    it(`${spec.task}: the gradient workers take the step the trainer's thread takes`, async () => {
      const labels: Record<number, string> = spec.task === 'regression' ? { 0: 'y' } : { 0: 'a', 1: 'b', 2: 'c' };
      const dir = await tinyCheckpoint(path.join(tempDir(), 'tiny'), labels);
      const examples: Example[] = Array.from({ length: 6 }, (_, i) => ({
        inputIds: [101, 2000 + i, 2100 + 3 * i, 102].slice(0, 2 + (i % 3)),
        tokenTypeIds: [0, 0, 0, 0].slice(0, 2 + (i % 3)),
        label: 0,
        target: spec.task === 'regression' ? [i / 2 - 1] : [i % 2, (i >> 1) % 2, +(i % 3 === 0)],
        line: i + 2,
      }));
      const micro = [padBatch(examples.slice(0, 4), 0), padBatch(examples.slice(4), 0)];
      const single = loadCheckpoint(dir, { dropout: 0, task: spec.task }).model;
      const adam = new AdamW(single.params, new Set(single.specs.filter(isDecayed).map(s => s.name)));
      const expected = await trainStep(single, adam, micro, { lr: 2e-3, maxGradNorm: 0.3, loss: spec });
      adam.dispose();
      single.dispose();
      const model = loadCheckpoint(dir, { dropout: 0, task: spec.task }).model;
      const trainer = await ParallelTrainer.start(model, new Set(model.specs.filter(isDecayed).map(s => s.name)), {
        threads: 2,
        backend: 'wasm',
        wasmDir: WASM_DIR,
      });
      try {
        const got = await trainer.step(micro, { lr: 2e-3, maxGradNorm: 0.3, loss: spec });
        assert.ok(Math.abs(got.loss - expected.loss) < 1e-5 * Math.max(1, expected.loss), `loss ${got.loss} vs ${expected.loss}`);
        assert.ok(Math.abs(got.gradNorm - expected.gradNorm) < 1e-4 * expected.gradNorm, `grad norm ${got.gradNorm} vs ${expected.gradNorm}`);
      } finally {
        await trainer.dispose();
        model.dispose();
      }
    });
  }
});

describe('the task metrics', () => {
  it('tunes a threshold between the scores where F1 is best, 0.5 for a label no row has; ROC-AUC counts ties half', () => {
    assert.equal(bestThreshold([1, 1, 0, 0], [0.9, 0.7, 0.4, 0.1]), (0.7 + 0.4) / 2);
    assert.equal(bestThreshold([0, 0], [0.9, 0.1]), 0.5);
    assert.equal(rocAuc([1, 0], [0.5, 0.5]), 0.5);
    assert.equal(rocAuc([1, 1], [0.5, 0.2]), undefined);
    const perfect = regressionMetrics([1, 2, 3], [1, 2, 3]);
    assert.deepEqual([perfect.mse, perfect.r2, perfect.pearson, perfect.spearman], [0, 1, 1, 1]);
    assert.equal(regressionMetrics([2, 2], [1, 3]).r2, 0, "scikit-learn's force_finite for a constant target");
  });
});

describe('a multi-label run and a regression run, from a CSV to predictions', () => {
  let base: string;
  before(async () => {
    await useBackend('wasm');
    base = await tinyCheckpoint(path.join(tempDir(), 'base'));
  });

  const config = (data: string, labelCol: string, out: string, overrides: Partial<TrainConfig> = {}): TrainConfig => ({
    ...TRAIN_DEFAULTS,
    data,
    textCol: 'text',
    labelCol,
    model: base,
    out,
    epochs: 2,
    batchSize: 8,
    learningRate: 1e-3,
    threads: 1,
    ...overrides,
  });

  it('multi-label: evaluates with its metrics, keeps problem_type and thresholds.json with the best checkpoint, and predicts the labels over their thresholds', async () => {
    const data = rowsOfData();
    const csv = file('multi.csv', ['text,toxic,insult', ...data.map(r => `${r.text},${+r.toxic},${+r.insult}`)]);
    const out = path.join(tempDir(), 'run');
    const { done, messages } = await runCollecting(config(csv, 'toxic,insult', out, { classWeights: 'balanced' }));
    assert.equal(done.status, 'completed', done.reason);
    const started = messages.find((m): m is Extract<FromTrainer, { type: 'started' }> => m.type === 'started')!;
    assert.equal(started.task, 'multi_label_classification');
    assert.deepEqual(started.labels, ['toxic', 'insult']);
    const evals = messages.filter((m): m is Extract<FromTrainer, { type: 'evaluation' }> => m.type === 'evaluation');
    assert.equal(evals.length, 2);
    for (const e of evals) {
      assert.equal(e.task, 'multi_label_classification');
      for (const k of ['microF1', 'macroF1', 'weightedF1', 'subsetAccuracy', 'hammingLoss'] as const) assert.ok(e[k]! >= 0 && e[k]! <= 1, k);
      assert.equal(e.accuracy, undefined);
      assert.deepEqual(
        e.perClass.map(c => c.label),
        ['toxic', 'insult'],
      );
      assert.ok(e.perClass.every(c => c.threshold! > 0 && c.threshold! < 1));
    }
    // The best checkpoint by micro-F1 (the task's default), as transformers reads it.
    const best = path.join(out, 'checkpoints', 'best');
    const cfg = JSON.parse(fs.readFileSync(path.join(best, 'config.json'), 'utf8'));
    assert.equal(cfg.problem_type, 'multi_label_classification');
    assert.deepEqual(cfg.id2label, { 0: 'toxic', 1: 'insult' });
    const thresholds = JSON.parse(fs.readFileSync(path.join(best, 'thresholds.json'), 'utf8'));
    assert.equal(thresholds.version, 1);
    assert.deepEqual(thresholds.labels, ['toxic', 'insult']);
    const bestEval = evals.find(e => e.isBest)!;
    assert.deepEqual(
      thresholds.thresholds,
      bestEval.perClass.map(c => c.threshold),
    );

    const predictor = new Predictor();
    try {
      const got = await predictor.predict(best, [{ text: 'bad and dull film' }, { text: 'good and fun film' }]);
      assert.equal(got.task, 'multi_label_classification');
      assert.deepEqual(got.thresholds, thresholds.thresholds);
      const loaded = await predictor.model(best);
      for (const [i, r] of got.results.entries()) {
        const text = ['bad and dull film', 'good and fun film'][i];
        const e = loaded.tokenizer.encode(text, undefined, 64);
        const logits = tf.tidy(
          () =>
            loaded.model
              .forward(
                {
                  inputIds: tf.tensor2d([e.inputIds], undefined, 'int32'),
                  tokenTypeIds: tf.tensor2d([e.tokenTypeIds], undefined, 'int32'),
                  attentionMask: tf.tensor2d([e.inputIds.map(() => 1)], undefined, 'int32'),
                },
                { training: false },
              )
              .logits.arraySync() as number[][],
        )[0];
        const p = logits.map(x => 1 / (1 + Math.exp(-x)));
        r.probabilities.forEach((q, j) => assert.ok(Math.abs(q - p[j]) < 1e-6));
        assert.deepEqual(
          r.labels,
          ['toxic', 'insult'].filter((_, j) => p[j] >= thresholds.thresholds[j]),
        );
        assert.equal(r.label, r.labels!.join(', '));
      }
      // Predict a CSV column: the labels joined, a probability per label.
      const predicted = path.join(tempDir(), 'out.csv');
      await predictFile(predictor, { model: best, file: csv, textCol: 'text', out: predicted, probabilities: false });
      const lines = fs.readFileSync(predicted, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'text,toxic,insult,predicted_labels,p_toxic,p_insult,prediction_note');
      assert.equal(lines.length, 61);
    } finally {
      predictor.dispose();
    }
  });

  it('regression: evaluates with its metrics and every point, resumes, and predicts the value', async () => {
    const data = rowsOfData();
    const csv = file('scores.csv', ['text,score', ...data.map(r => `${r.text},${r.score}`)]);
    const out = path.join(tempDir(), 'run');
    const first = await runCollecting(config(csv, 'score', out), { stopAfter: 3 });
    assert.equal(first.done.status, 'stopped');
    const { done, messages } = await runCollecting(config(csv, 'score', out), { resume: true });
    assert.equal(done.status, 'completed', done.reason);
    const e = messages.find((m): m is Extract<FromTrainer, { type: 'evaluation' }> => m.type === 'evaluation')!;
    assert.equal(e.task, 'regression');
    for (const k of ['mse', 'rmse', 'mae', 'r2', 'pearson', 'spearman'] as const) assert.ok(Number.isFinite(e[k]), k);
    assert.ok(Math.abs(e.rmse! - Math.sqrt(e.mse!)) < 1e-9 && Math.abs(e.loss - e.mse!) < 1e-4 * Math.max(1, e.mse!), 'the loss is the MSE');
    const started = messages.find((m): m is Extract<FromTrainer, { type: 'started' }> => m.type === 'started')!;
    assert.equal(e.points!.length, started.validationRows, 'every validation row');
    assert.ok(first.messages.some(m => m.type === 'log' && /best checkpoint is the one with the best R²/.test(m.message)));
    // train-config.json keeps what the run settled: its resume reads the task and the metric there.
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'train-config.json'), 'utf8'));
    assert.equal(saved.problemType, 'regression');
    assert.equal(saved.metricForBest, 'r2');
    const best = path.join(out, 'checkpoints', 'best');
    const loaded = loadCheckpoint(best);
    assert.equal(taskOf(loaded.config), 'regression');
    assert.deepEqual(loaded.config.id2label, ['score']);
    loaded.model.dispose();
    const predictor = new Predictor();
    try {
      const got = await predictor.predict(best, [{ text: 'awful and fun film' }]);
      assert.equal(got.task, 'regression');
      assert.ok(Number.isFinite(got.results[0].value));
      assert.equal(got.results[0].confidence, undefined);
    } finally {
      predictor.dispose();
    }
  });

  it('regression with a standardised target: checkpoints predict in its units (as the run evaluated), and a resume goes on exactly', async () => {
    const data = rowsOfData();
    // Targets in the hundreds: far from an encoder's first outputs.
    const csv = file('prices.csv', ['text,price', ...data.map(r => `${r.text},${(400 + 90 * r.score).toFixed(2)}`)]);
    const whole = path.join(tempDir(), 'whole');
    const cfg = (out: string) => config(csv, 'price', out, { standardizeTarget: true, epochs: 3, shuffle: false });
    const { done, messages } = await runCollecting(cfg(whole));
    assert.equal(done.status, 'completed', done.reason);
    const logs = messages.flatMap(m => (m.type === 'log' ? [m.message] : []));
    assert.ok(
      logs.some(m => /learns the target standardised: \(y − 5\d\d\.\d+\) \/ \d+\.\d+/.test(m)),
      logs.join('\n'),
    );
    const evals = messages.filter((m): m is Extract<FromTrainer, { type: 'evaluation' }> => m.type === 'evaluation');
    const best = evals.find(e => e.step === done.bestStep)!;
    // The validation rows again, through the saved checkpoint: the same metrics, so the checkpoint is in the target's units.
    const validation = file('validation.csv', ['text,price', ...best.points!.map(p => `${data[p.line - 2].text},${p.truth}`)]);
    const loaded = loadCheckpoint(path.join(whole, 'checkpoints', 'best'));
    try {
      const again = await evaluateFile(loaded, { file: validation, textCol: 'text', labelCol: 'price' });
      assert.ok(Math.abs(again.rmse! - best.rmse!) < 1e-3 * best.rmse!, `rmse ${again.rmse} vs the run's ${best.rmse}`);
      assert.ok(Math.abs(again.r2! - best.r2!) < 1e-4, `R² ${again.r2} vs the run's ${best.r2}`);
    } finally {
      loaded.model.dispose();
    }
    const state = JSON.parse(fs.readFileSync(path.join(whole, 'checkpoints', 'last', 'trainer_state.json'), 'utf8'));
    assert.ok(state.targetScale.mean > 400 && state.targetScale.std > 10);
    // Stopped after 4 steps and resumed: the very weights of the uninterrupted run.
    const split = path.join(tempDir(), 'split');
    assert.equal((await runCollecting(cfg(split), { stopAfter: 4 })).done.status, 'stopped');
    assert.equal((await runCollecting(cfg(split), { resume: true })).done.status, 'completed');
    const a = readWeights(path.join(whole, 'checkpoints', 'last')).tensors;
    const b = readWeights(path.join(split, 'checkpoints', 'last')).tensors;
    for (const [name, t] of a) assert.deepEqual(b.get(name)!.data, t.data, name);
  });

  it('the three multi-label forms train the same trajectory (rows in file order, dropout 0)', async () => {
    const data = rowsOfData();
    const forms: [string, string, string][] = [
      // The columns named in the order the other forms sort their labels: the same head, label for label.
      ['cols.csv', 'insult,toxic', ['text,toxic,insult', ...data.map(r => `${r.text},${+r.toxic},${+r.insult}`)].join('\n')],
      [
        'tags.csv',
        'tags',
        ['text,tags', ...data.map(r => `${r.text},${[r.toxic ? 'toxic' : '', r.insult ? 'insult' : ''].filter(Boolean).join('|')}`)].join('\n'),
      ],
      [
        'rows.jsonl',
        'labels',
        data.map(r => JSON.stringify({ text: r.text, labels: [...(r.toxic ? ['toxic'] : []), ...(r.insult ? ['insult'] : [])] })).join('\n'),
      ],
    ];
    const losses: number[][] = [];
    for (const [name, labelCol, text] of forms) {
      const f = file(name, [text]);
      const over = {
        maxSteps: 4,
        shuffle: false,
        dropout: 0,
        problemType: 'multi_label_classification' as const,
        labelSep: name === 'tags.csv' ? '|' : undefined,
        validationData: f,
      };
      const { done, messages } = await runCollecting(config(f, labelCol, path.join(tempDir(), 'run'), over));
      assert.equal(done.status, 'completed', done.reason);
      losses.push(messages.flatMap(m => (m.type === 'progress' ? [m.loss] : [])));
    }
    assert.equal(losses[0].length, 4);
    for (const l of losses.slice(1)) l.forEach((x, i) => assert.ok(Math.abs(x - losses[0][i]) < 1e-6, `step ${i + 1}: ${x} vs ${losses[0][i]}`));
  });

  it('a multi-label checkpoint from the Hub comes with its thresholds.json and predicts the labels over them', async () => {
    const { FakeHub } = await import('./fakeHub');
    const repo = await tinyCheckpoint(path.join(tempDir(), 'repo'), { 0: 'toxic', 1: 'insult' });
    const cfgFile = path.join(repo, 'config.json');
    fs.writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfgFile, 'utf8')), problem_type: 'multi_label_classification' }));
    fs.writeFileSync(path.join(repo, 'thresholds.json'), JSON.stringify({ version: 1, labels: ['toxic', 'insult'], thresholds: [0, 1] }));
    const hub = await new FakeHub({ 'test-org/tagger': { dir: repo, commit: '7'.repeat(40) } }).start();
    const env = { HF_ENDPOINT: process.env.HF_ENDPOINT, HF_HUB_CACHE: process.env.HF_HUB_CACHE };
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_HUB_CACHE = tempDir();
    const predictor = new Predictor();
    try {
      const got = await predictor.predict('test-org/tagger', [{ text: 'any text at all' }]);
      assert.equal(got.task, 'multi_label_classification');
      assert.deepEqual(got.thresholds, [0, 1]);
      // A threshold of 0 gives the label to every text; of 1, to none that is not certain.
      assert.deepEqual(got.results[0].labels, ['toxic']);
    } finally {
      predictor.dispose();
      await hub.stop();
      for (const [k, v] of Object.entries(env))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('regression of sentence pairs (STS-B style): the pair is read, trained on and evaluated', async () => {
    const data = rowsOfData();
    const csv = file('sts.csv', ['sentence1,sentence2,similarity', ...data.map((r, i) => `${r.text},${data[(i * 3) % 60].text},${(r.score / 3).toFixed(3)}`)]);
    const out = path.join(tempDir(), 'run');
    const { done, messages } = await runCollecting({
      ...config(csv, 'similarity', out),
      textCol: 'sentence1',
      pairCol: 'sentence2',
      problemType: 'regression',
    });
    assert.equal(done.status, 'completed', done.reason);
    const e = messages.find((m): m is Extract<FromTrainer, { type: 'evaluation' }> => m.type === 'evaluation')!;
    assert.equal(e.task, 'regression');
    const predictor = new Predictor();
    try {
      const got = await predictor.predict(path.join(out, 'checkpoints', 'best'), [{ text: data[0].text, pair: data[1].text }]);
      assert.ok(Number.isFinite(got.results[0].value));
      assert.ok(got.results[0].tokens > 2 * data[0].text.split(' ').length, 'both texts were read');
    } finally {
      predictor.dispose();
    }
  });

  it('refuses a metric the task does not compute', async () => {
    const data = rowsOfData();
    const csv = file('scores.csv', ['text,score', ...data.map(r => `${r.text},${r.score}`)]);
    const { done } = await runCollecting(config(csv, 'score', path.join(tempDir(), 'run'), { metricForBest: 'macro_f1' }));
    assert.equal(done.status, 'failed');
    assert.match(done.reason!, /--metric macro_f1 is not computed for regression; choose one of mse, rmse, mae, r2, pearson, spearman, loss/);
  });
});
