/**
 * Each vocabulary is declared once in src/shared (metrics, schedules, delimiters, dataset files,
 * statuses, limits) and the settings are read in one module: these tests hold package.json,
 * the protocol and the CLI's usage to those tables, so a name added in one place cannot be
 * missing in another.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DATASET_EXTENSIONS, DATASET_GLOB, DELIMITERS, datasetKind, delimiterFromFlag, delimiterName } from '../../src/shared/dataset';
import {
  DEFAULT_METRIC_OF,
  describeMetrics,
  formatMetric,
  headlineMetric,
  improves,
  METRIC_NAMES,
  METRICS,
  metricsOf,
  metricValue,
} from '../../src/shared/metrics';
import { TASK_NAMES } from '../../src/shared/tasks';
import { DONE_STATUSES, RUN_STATUSES } from '../../src/shared/runStatus';
import { SCHEDULE_NAMES } from '../../src/shared/schedules';
import {
  DEFAULT_MAX_THREADS,
  defaultThreads,
  FROM_SCRATCH_LEARNING_RATE,
  fromTrainerSchema,
  TRAIN_DEFAULTS,
  TRAIN_LIMITS,
  trainConfigSchema,
} from '../../src/shared/trainerProtocol';
import { defaultLearningRate } from '../../src/extension/training/wizardMemory';
import { runInfoSchema } from '../../src/shared/webviews/metricsPanelProtocol';
import { DEFAULT_BASE_MODEL, PREDICT_MAX_LENGTH, PREDICT_MAX_LENGTH_LIMIT, readSettings, TRAINING_SETTING_KEYS } from '../../src/extension/settings';
import { lrFactor } from '../../src/trainer/train/schedule';
import { trainConfigFromArgs, TRAIN_USAGE } from '../../src/trainer/cli/trainCommand';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const declared: Record<string, { default?: unknown; minimum?: number; maximum?: number; enum?: unknown[] }> = manifest.contributes.configuration.properties;
const base = { ...TRAIN_DEFAULTS, data: 'a.csv', textCol: 't', labelCol: 'l', model: 'm', out: 'o' };

/** A settings source over plain objects (the values set; package.json's defaults beneath) that records every key read. */
function source(set: Record<string, unknown>, user: Record<string, unknown> = set) {
  const read = new Set<string>();
  return {
    read,
    get: (key: string) => (read.add(key), key in set ? set[key] : declared[`bertTune.${key}`]?.default),
    userValue: (key: string) => (read.add(key), user[key]),
    setValue: (key: string) => (read.add(key), set[key]),
  };
}

describe('settings, read in one module', () => {
  it('reads every setting package.json declares, and none it does not', () => {
    const s = source({});
    readSettings(s);
    assert.deepEqual([...s.read].map(k => `bertTune.${k}`).sort(), Object.keys(declared).sort());
  });

  it("package.json's training defaults are the trainer's own", () => {
    // Where the trainer has no default, the setting's default means "off": no early stopping, nothing frozen.
    const off: Record<string, unknown> = { earlyStoppingPatience: null, freezeLayers: 0 };
    for (const key of TRAINING_SETTING_KEYS) {
      assert.equal(declared[`bertTune.training.${key}`].default, (TRAIN_DEFAULTS as Record<string, unknown>)[key] ?? off[key], key);
    }
    assert.equal(declared['bertTune.defaultBaseModel'].default, DEFAULT_BASE_MODEL);
    assert.equal(declared['bertTune.predict.maxLength'].default, PREDICT_MAX_LENGTH);
    assert.equal(declared['bertTune.predict.maxLength'].maximum, PREDICT_MAX_LENGTH_LIMIT);
    assert.equal(declared['bertTune.training.threads'].maximum, TRAIN_LIMITS.threads);
  });

  it("package.json's bounds are inside what a run accepts", () => {
    for (const key of TRAINING_SETTING_KEYS) {
      const { minimum, maximum } = declared[`bertTune.training.${key}`];
      for (const v of [minimum, maximum]) if (v !== undefined) assert.ok(trainConfigSchema.safeParse({ ...base, [key]: v }).success, `${key} = ${v}`);
    }
  });

  it('uses good values and says which bad ones it ignored, naming the setting and what it must be', () => {
    const good = readSettings(
      source({
        'training.epochs': 2,
        'training.batchSize': 8,
        'training.earlyStoppingPatience': null,
        'training.threads': 4,
        backend: 'wasm',
        'predict.maxLength': 64,
        'predict.onSelectionChange': true,
      }),
    );
    assert.deepEqual(good.training, { epochs: 2, batchSize: 8 });
    assert.equal(good.threads, 4);
    assert.equal(good.backend, 'wasm');
    assert.deepEqual(good.predict, { onSelectionChange: true, maxLength: 64 });
    assert.deepEqual(good.ignored, []);

    const bad = readSettings(
      source({ 'training.epochs': -1, 'training.batchSize': 1.5, 'training.threads': 100, backend: 'cuda', 'predict.maxLength': 4096, defaultBaseModel: '  ' }),
    );
    assert.deepEqual(bad.training, {});
    assert.equal(bad.threads, undefined);
    assert.equal(bad.backend, undefined);
    assert.equal(bad.predict.maxLength, PREDICT_MAX_LENGTH);
    assert.equal(bad.defaultBaseModel, DEFAULT_BASE_MODEL);
    const said = bad.ignored.join('\n');
    assert.match(said, /bertTune\.training\.epochs must be more than 0, not -1; the default 3 is used/);
    assert.match(said, /bertTune\.training\.batchSize must be a whole number, not 1\.5/);
    assert.match(said, /bertTune\.training\.threads must be a whole number from 1 to 64, not 100; one per core is used/);
    assert.match(said, /bertTune\.backend is "cuda"/);
    assert.match(said, /bertTune\.predict\.maxLength must be a whole number from 8 to 512, not 4096/);
    assert.equal(bad.ignored.length, 5);
  });

  it("tells a user's learning rate from package.json's default: from scratch starts at 5e-4 unless someone set one", () => {
    // VS Code's get() returns package.json's 5e-5 for an unset key: it must not look set
    const unset = readSettings(source({}));
    assert.equal(unset.training.learningRate, undefined);
    assert.equal(defaultLearningRate('scratch', unset.training.learningRate, TRAIN_DEFAULTS.learningRate), FROM_SCRATCH_LEARNING_RATE);
    assert.equal(FROM_SCRATCH_LEARNING_RATE, 5e-4);
    assert.equal(defaultLearningRate('ref', unset.training.learningRate, TRAIN_DEFAULTS.learningRate), 5e-5);
    // set to the very value of the default, it is the user's choice all the same
    const set = readSettings(source({ 'training.learningRate': 5e-5 }));
    assert.equal(defaultLearningRate('scratch', set.training.learningRate, TRAIN_DEFAULTS.learningRate), 5e-5);
  });

  it('takes the Hub settings from the user only, never from the workspace', () => {
    const s = readSettings(source({ 'hub.endpoint': 'https://workspace.invalid' }, { 'hub.endpoint': ' https://user.invalid ' }));
    assert.equal(s.hub.endpoint, 'https://user.invalid');
    assert.equal(readSettings(source({ 'hub.endpoint': 'https://workspace.invalid' }, {})).hub.endpoint, undefined);
  });

  it('threads default to one per core, at most DEFAULT_MAX_THREADS', () => {
    assert.equal(defaultThreads(undefined, 2), 2);
    assert.equal(defaultThreads(undefined, 32), DEFAULT_MAX_THREADS);
    assert.equal(defaultThreads(12, 2), 12);
  });
});

describe('metrics, one table', () => {
  const e = { accuracy: 0.85, macroF1: 0.8, loss: 0.4321 };

  it('reads, compares and formats each metric by its row', () => {
    assert.deepEqual(
      metricsOf('single_label_classification').map(m => metricValue(e, m)),
      [0.85, 0.8, 0.4321],
    );
    // A metric the evaluation's task does not compute reads as NaN, and is left out of its sentence.
    assert.ok(Number.isNaN(metricValue(e, 'r2')));
    const r = { task: 'regression' as const, loss: 0.5, mse: 0.5, rmse: Math.sqrt(0.5), mae: 0.6, r2: 0.7, pearson: 0.8, spearman: 0.75 };
    assert.deepEqual(metricsOf(r.task), ['mse', 'rmse', 'mae', 'r2', 'pearson', 'spearman', 'loss']);
    assert.equal(describeMetrics(r), 'MSE 0.5000, RMSE 0.7071, MAE 0.6000, R² 0.7000, Pearson 0.8000, Spearman 0.7500, loss 0.5000');
    assert.equal(headlineMetric(r), 'r2');
    assert.ok(improves('hamming_loss', 0.1, 0.2) && improves('r2', 0.8, 0.7) && !improves('mae', 0.7, 0.6));
    // Every metric belongs to a task, and each task's default is one of its own.
    for (const m of METRIC_NAMES) assert.ok(METRICS[m].tasks.length, m);
    for (const t of TASK_NAMES) assert.ok(metricsOf(t).includes(DEFAULT_METRIC_OF[t]), t);
    assert.ok(improves('accuracy', 0.9, 0.85) && !improves('accuracy', 0.85, 0.85));
    assert.ok(improves('loss', 0.3, 0.4) && !improves('loss', 0.5, 0.4));
    assert.ok(improves('macro_f1', 0.1, undefined));
    assert.equal(formatMetric('loss', 0.4321), '0.4321');
    assert.equal(formatMetric('macro_f1', 0.8), '80.0%');
    assert.equal(describeMetrics(e), 'accuracy 85.00%, macro-F1 80.00%, loss 0.4321');
  });

  it('the protocol, the panel and the CLI take exactly the table', () => {
    for (const m of METRIC_NAMES) {
      assert.ok(trainConfigSchema.safeParse({ ...base, metricForBest: m }).success, m);
      assert.ok(runInfoSchema.safeParse({ name: 'r', dir: 'd', status: 'running', metricForBest: m }).success, m);
      assert.ok(TRAIN_USAGE.includes(m), `train usage names ${m}`);
      assert.ok(METRICS[m].detail.length > 10);
    }
    assert.ok(!trainConfigSchema.safeParse({ ...base, metricForBest: 'f1' }).success);
    assert.ok(!runInfoSchema.safeParse({ name: 'r', dir: 'd', status: 'running', metricForBest: 'f1' }).success);
  });
});

describe('schedules, statuses, delimiters and dataset files', () => {
  it('every schedule is accepted, named in the usage and has a factor of its own', () => {
    const factors = new Set<number>();
    for (const kind of SCHEDULE_NAMES) {
      assert.ok(trainConfigSchema.safeParse({ ...base, schedule: kind }).success, kind);
      assert.ok(TRAIN_USAGE.includes(kind), kind);
      factors.add(lrFactor({ kind, warmupSteps: 0, totalSteps: 10 }, 7));
    }
    assert.equal(factors.size, SCHEDULE_NAMES.length, 'no two schedules give the same factor at step 7 of 10');
    assert.ok(!trainConfigSchema.safeParse({ ...base, schedule: 'step' }).success);
  });

  it('a done message takes the done statuses; the panel every run status', () => {
    for (const status of DONE_STATUSES) assert.ok(fromTrainerSchema.safeParse({ type: 'done', status, step: 1 }).success, status);
    assert.ok(!fromTrainerSchema.safeParse({ type: 'done', status: 'running', step: 1 }).success);
    for (const status of RUN_STATUSES) assert.ok(runInfoSchema.safeParse({ name: 'r', dir: 'd', status }).success, status);
    assert.ok(!runInfoSchema.safeParse({ name: 'r', dir: 'd', status: 'paused' }).success);
  });

  it('every delimiter has a name, a flag the CLI reads and usage that names it', () => {
    for (const d of DELIMITERS) {
      assert.equal(delimiterName(d.char), d.name);
      assert.equal(delimiterFromFlag(d.flag), d.char);
      assert.equal(delimiterFromFlag(d.name), d.char);
      assert.ok(TRAIN_USAGE.includes(` ${d.flag}`), d.name);
      const parsed = trainConfigFromArgs(['--data', 'a.csv', '--text-col', 't', '--label-col', 'l', '--model', 'm', '--out', 'o', '--delimiter', d.flag]);
      assert.equal(parsed.config?.delimiter, d.char, d.flag);
    }
    assert.equal(delimiterFromFlag('\\t'), '\t');
    assert.equal(delimiterName(undefined), 'none');
  });

  it('package.json finds and offers the files the table lists, and only those', () => {
    const exts = Object.keys(DATASET_EXTENSIONS);
    assert.equal(DATASET_GLOB, `**/*.{${exts.map(e => e.slice(1)).join(',')}}`);
    assert.deepEqual(
      manifest.activationEvents.filter((a: string) => a.startsWith('workspaceContains:')),
      [`workspaceContains:${DATASET_GLOB}`],
    );
    const whens = JSON.stringify(manifest.contributes.menus).match(/resourceExtname[^"]*/g) ?? [];
    assert.ok(whens.length >= 3);
    for (const when of whens) assert.deepEqual([...when.matchAll(/resourceExtname == (\S+)/g)].map(m => m[1]).sort(), [...exts].sort(), when);
    assert.deepEqual(datasetKind('/a/b.TSV'), { format: 'csv', delimiter: '\t' });
    assert.equal(datasetKind('x.jsonl').format, 'jsonl');
    assert.deepEqual(datasetKind('/a.d/noext'), { format: 'csv', delimiter: ',' });
  });
});
