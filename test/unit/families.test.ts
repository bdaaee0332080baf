/**
 * Every family through the trainer's flows, without Python (the interop suite holds their maths
 * to transformers): a random checkpoint of the family, training on the gradient workers and on
 * one thread (the same losses), head-only and frozen layers keeping what they must, the saved
 * folder in the family's own layout, predictions and evaluation of a labelled file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { TRAIN_DEFAULTS, type TrainConfig } from '../../src/shared/trainerProtocol';
import { initCheckpoint, loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseSafetensors, toFloat32 } from '../../src/trainer/checkpoint/safetensors';
import { parseModelConfig } from '../../src/trainer/model/config';
import { familyNamed } from '../../src/trainer/model/families/index';
import { isEmbedding, isHead, layerPrefix } from '../../src/trainer/model/family';
import { evaluateFile } from '../../src/trainer/predict/evaluateFile';
import { Predictor } from '../../src/trainer/predict/predictor';
import { useBackend } from './backendSetup';
import { fixture, tempDir, TINY_FAMILIES } from './helpers';
import { runCollecting } from './runHelpers';

const LABELS = { 0: '0', 1: '1' };
const CASES = TINY_FAMILIES;

const weights = (dir: string) => {
  const parsed = parseSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors')));
  return new Map([...parsed.tensors].map(([k, e]) => [k, toFloat32(e)]));
};
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

before(async () => {
  await useBackend('wasm');
});

for (const c of CASES) {
  describe(`the ${c.name} family through training, saving and predicting`, () => {
    let base: string;
    const config = (out: string, overrides: Partial<TrainConfig> = {}): TrainConfig => ({
      ...TRAIN_DEFAULTS,
      data: fixture('sst2-dev-200.tsv'),
      textCol: 'text',
      labelCol: 'label',
      model: base,
      out,
      epochs: 1,
      batchSize: 16,
      learningRate: 1e-3,
      ...overrides,
    });

    before(async () => {
      base = path.join(tempDir(), 'base');
      const raw = { ...c.config, id2label: LABELS };
      delete (raw as { label2id?: unknown }).label2id;
      await initCheckpoint(parseModelConfig(raw), c.tokenizer, base, 3);
    });

    it('trains the same on the gradient workers as on one thread, and saves the family as transformers lays it out', async () => {
      const steps = { maxSteps: 3, shuffle: false, dropout: 0, evalSteps: 3 };
      const one = await runCollecting(config(path.join(tempDir(), 'one'), { ...steps, threads: 1 }));
      const workersOut = path.join(tempDir(), 'workers');
      const two = await runCollecting(config(workersOut, { ...steps, threads: 2 }));
      assert.equal(one.done.status, 'completed', one.done.reason);
      assert.equal(two.done.status, 'completed', two.done.reason);
      const losses = (m: typeof one.messages) => m.flatMap(x => (x.type === 'progress' ? [x.loss] : []));
      assert.equal(losses(one.messages).length, 3);
      losses(two.messages).forEach((l, i) =>
        assert.ok(Math.abs(l - losses(one.messages)[i]) <= 1e-5 * Math.abs(l), `step ${i + 1}: ${l} vs ${losses(one.messages)[i]}`),
      );
      const saved = JSON.parse(fs.readFileSync(path.join(workersOut, 'checkpoints', 'last', 'config.json'), 'utf8'));
      assert.equal(saved.model_type, c.name);
      assert.deepEqual(saved.architectures, [c.architecture]);
      const loaded = loadCheckpoint(path.join(workersOut, 'checkpoints', 'last'));
      assert.equal(loaded.config.family, familyNamed(loaded.config.family).name);
      assert.deepEqual([...weights(path.join(workersOut, 'checkpoints', 'last')).keys()].sort(), loaded.model.specs.map(s => s.name).sort());
      loaded.model.dispose();
    });

    it('head-only trains the head alone; freezing one layer keeps the embeddings and that layer', async () => {
      const family = familyNamed(loadCheckpoint(base).config.family);
      const before = weights(base);
      const headOnly = path.join(tempDir(), 'head');
      const h = await runCollecting(config(headOnly, { headOnly: true, maxSteps: 2 }));
      assert.equal(h.done.status, 'completed', h.done.reason);
      const afterHead = weights(path.join(headOnly, 'checkpoints', 'last'));
      for (const [name, v] of afterHead) assert.equal(same(v, before.get(name)!), !isHead(family, name), `${name} after head-only`);

      const frozen = path.join(tempDir(), 'frozen');
      const f = await runCollecting(config(frozen, { freezeLayers: 1, maxSteps: 2 }));
      assert.equal(f.done.status, 'completed', f.done.reason);
      const afterFreeze = weights(path.join(frozen, 'checkpoints', 'last'));
      for (const [name, v] of afterFreeze) {
        const kept = isEmbedding(family, name) || name.startsWith(layerPrefix(family, 0));
        // A weight of a trained layer may stay as it was only by chance: the frozen ones must.
        if (kept) assert.ok(same(v, before.get(name)!), `${name} frozen`);
      }
      assert.ok(
        [...afterFreeze].some(([name, v]) => name.startsWith(layerPrefix(family, 1)) && !same(v, before.get(name)!)),
        'layer 1 trained',
      );
    });

    it('class weights, grouping by length and early stopping: stopped and resumed, it ends with the weights of an uninterrupted run', async () => {
      const settings = {
        maxSteps: 6,
        evalSteps: 2,
        earlyStoppingPatience: 5,
        classWeights: 'balanced' as const,
        groupByLength: true,
        batchSize: 8,
        threads: 1,
      };
      const whole = path.join(tempDir(), 'whole');
      const a = await runCollecting(config(whole, settings));
      assert.equal(a.done.status, 'completed', a.done.reason);
      const split = path.join(tempDir(), 'split');
      assert.equal((await runCollecting(config(split, settings), { stopAfter: 3 })).done.status, 'stopped');
      const b = await runCollecting(config(split, settings), { resume: true });
      assert.equal(b.done.status, 'completed', b.done.reason);
      const [wa, wb] = [weights(path.join(whole, 'checkpoints', 'last')), weights(path.join(split, 'checkpoints', 'last'))];
      for (const [name, t] of wa) assert.ok(same(t, wb.get(name)!), `${name} after the resume`);
      // Early stopping by the loss, which a random model does not keep improving at a learning rate of 1: it stops before its last step.
      const early = await runCollecting(
        config(path.join(tempDir(), 'early'), { ...settings, maxSteps: 40, learningRate: 1, metricForBest: 'loss', earlyStoppingPatience: 1 }),
      );
      assert.match(early.done.reason ?? '', /early stopping: loss did not improve for 1 evaluations/);
      assert.ok(early.done.step < 40);
    });

    it('trains multi-label and regression heads of its own shape', async () => {
      const rows = fs
        .readFileSync(fixture('sst2-dev-200.tsv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1, 61)
        .map(l => l.split('\t')[0]);
      const f = path.join(tempDir(), 'tasks.csv');
      fs.writeFileSync(f, ['text,a,b,score', ...rows.map((t, i) => `"${t.replace(/"/g, '""')}",${i % 2},${+(i % 3 === 0)},${(i % 9) / 3}`)].join('\n') + '\n');
      for (const [labelCol, task] of [
        ['a,b', 'multi_label_classification'],
        ['score', 'regression'],
      ] as const) {
        const out = path.join(tempDir(), 'run');
        const r = await runCollecting(config(out, { data: f, labelCol, problemType: task, maxSteps: 3, batchSize: 8 }));
        assert.equal(r.done.status, 'completed', r.done.reason);
        const loaded = loadCheckpoint(path.join(out, 'checkpoints', 'last'));
        assert.equal(loaded.config.problemType, task);
        assert.equal(loaded.config.id2label.length, task === 'regression' ? 1 : 2);
        loaded.model.dispose();
      }
    });

    it('predicts and evaluates a labelled file with the trained model', async () => {
      const out = path.join(tempDir(), 'run');
      const r = await runCollecting(config(out, { maxSteps: 4 }));
      assert.equal(r.done.status, 'completed', r.done.reason);
      const predictor = new Predictor();
      try {
        const got = await predictor.predict(path.join(out, 'checkpoints', 'last'), [{ text: 'a gripping, lovely film' }, { text: 'dull' }]);
        assert.deepEqual(got.labels, ['0', '1']);
        for (const p of got.results) assert.ok(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
        const loaded = await predictor.model(path.join(out, 'checkpoints', 'last'));
        const evaluation = await evaluateFile(loaded, { file: fixture('sst2-dev-200.tsv'), textCol: 'text', labelCol: 'label' });
        assert.equal(evaluation.rows, 200);
        assert.ok(evaluation.accuracy! >= 0 && evaluation.accuracy! <= 1 && Number.isFinite(evaluation.loss));
      } finally {
        predictor.dispose();
      }
    });
  });
}

describe("DeBERTa's config traps, read as transformers reads them", () => {
  it('a missing key keeps the config class default: no relative attention, absolute positions; "p2c|c2p" as a string; max_relative_positions -1 as max_position_embeddings', () => {
    const bare = parseModelConfig({ model_type: 'deberta-v2', hidden_size: 16, num_attention_heads: 2 });
    assert.equal(bare.deberta?.relativeAttention, false);
    assert.equal(bare.deberta?.positionBiasedInput, true);
    assert.equal(bare.layerNormEps, 1e-7);
    assert.equal(bare.typeVocabSize, 0);
    const v3 = parseModelConfig({
      model_type: 'deberta-v2',
      hidden_size: 16,
      num_attention_heads: 2,
      relative_attention: true,
      pos_att_type: 'p2c|c2p',
      max_relative_positions: -1,
      max_position_embeddings: 512,
      position_biased_input: false,
    });
    assert.deepEqual([v3.deberta?.c2p, v3.deberta?.p2c, v3.deberta?.maxRelativePositions, v3.deberta?.positionBiasedInput], [true, true, 512, false]);
    assert.throws(() => parseModelConfig({ model_type: 'deberta-v2', pos_att_type: ['c2c'] }), /pos_att_type \["c2c"\] is not supported/);
    assert.throws(() => parseModelConfig({ model_type: 'deberta-v2', conv_kernel_size: 3 }), /convolution layer \(deberta-v2-xlarge\) is not supported/);
  });
});
