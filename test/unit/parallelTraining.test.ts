import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { isDecayed, parameterSpecs } from '../../src/trainer/model/parameters';
import { ParallelTrainer, passBudgetBytes, rowsOf, tokensPerPass } from '../../src/trainer/parallel/parallelTrainer';
import { parseModelConfig } from '../../src/trainer/model/config';
import { ADAMW_DEFAULTS } from '../../src/trainer/step/adamwMath';
import { lossCoefficients } from '../../src/trainer/step/loss';
import { AdamW } from '../../src/trainer/train/adamw';
import { startOptimisation, threadsFor } from '../../src/trainer/train/optimisation';
import type { Example } from '../../src/trainer/train/batches';
import { evaluate } from '../../src/trainer/train/evaluate';
import { lrFactor } from '../../src/trainer/train/schedule';
import { batchTensors, disposeInputs, type Batch } from '../../src/trainer/step/batch';
import { trainStep } from '../../src/trainer/train/step';
import { useBackend, WASM_DIR } from './backendSetup';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');

interface Reference {
  batches: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] }[];
  steps: { lr: number; loss: number; grad_norm: number; clipped: boolean }[];
  batch0_logits_after: number[][];
}

const toBatch = (b: Reference['batches'][number]): Batch => ({
  inputIds: b.input_ids,
  tokenTypeIds: b.token_type_ids,
  attentionMask: b.attention_mask,
  labels: b.labels,
});
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

async function logitsOf(model: ReturnType<typeof loadCheckpoint>['model'], batch: Batch): Promise<number[][]> {
  const x = batchTensors(batch);
  const out = model.forward(x, { training: false });
  const v = (await out.logits.array()) as number[][];
  tf.dispose([out.logits, out.clsHidden, out.pooled]);
  disposeInputs(x);
  return v;
}

for (const [file, clip] of [
  ['train-steps.json', 1.0],
  ['train-steps-clip0.5.json', 0.5],
] as const) {
  describe(`data-parallel training reproduces Hugging Face step by step (2 workers): ${file}`, () => {
    for (const [backend, wasmOptimizer] of [
      ['wasm', true],
      ['wasm', false],
      ['cpu', true],
    ] as const)
      it(`loss, grad norm, clipping and the logits after six steps match the reference (${backend} backend, optimizer in ${wasmOptimizer ? 'WebAssembly' : 'JavaScript'})`, async t => {
        await useBackend(backend);
        const ref: Reference = JSON.parse(fs.readFileSync(path.join(TINY, file), 'utf8'));
        const { model } = loadCheckpoint(TINY, { dropout: 0 });
        const tensorsBefore = tf.memory().numTensors;
        const trainer = await ParallelTrainer.start(model, new Set(model.specs.filter(isDecayed).map(s => s.name)), {
          threads: 2,
          backend,
          wasmDir: WASM_DIR,
          wasmOptimizer,
        });
        try {
          let worstLoss = 0;
          let worstNorm = 0;
          for (let s = 0; s < ref.steps.length; s++) {
            const lr = 1e-3 * lrFactor({ kind: 'linear', warmupSteps: 2, totalSteps: 6 }, s);
            const r = await trainer.step([toBatch(ref.batches[s])], { lr, maxGradNorm: clip });
            worstLoss = Math.max(worstLoss, rel(r.loss, ref.steps[s].loss));
            worstNorm = Math.max(worstNorm, rel(r.gradNorm, ref.steps[s].grad_norm));
            assert.equal(r.clipped, ref.steps[s].clipped, `clipped at step ${s + 1}`);
          }
          assert.equal(trainer.adamStep, 6);
          trainer.copyWeightsTo(model);
          const after = await logitsOf(model, toBatch(ref.batches[0]));
          const scale = Math.max(...ref.batch0_logits_after.flat().map(Math.abs));
          const worstLogit = Math.max(...after.flat().map((v, i) => Math.abs(v - ref.batch0_logits_after.flat()[i]))) / scale;
          t.diagnostic(`loss rel ${worstLoss.toExponential(2)}, grad norm rel ${worstNorm.toExponential(2)}, logits after rel ${worstLogit.toExponential(2)}`);
          assert.ok(worstLoss <= 1e-4, `loss differs by ${worstLoss}`);
          assert.ok(worstNorm <= 1e-3, `grad norm differs by ${worstNorm}`);
          assert.ok(worstLogit <= 1e-3, `logits after differ by ${worstLogit} of their scale`);
          // and as closely as the single-thread path does (a float32 slip in AdamW shows here first)
          assert.ok(worstLogit <= 1e-6, `logits after differ by ${worstLogit} of their scale`);
          assert.equal(tf.memory().numTensors, tensorsBefore, 'copying weights back leaves no tensor behind');
        } finally {
          await trainer.dispose();
          model.dispose();
        }
      });
  });
}

describe('data-parallel step against the single-thread step', () => {
  it('with accumulation, class weights, a worker left without rows, and rows in passes of their own, the update is the same', async () => {
    await useBackend('wasm');
    const ref: Reference = JSON.parse(fs.readFileSync(path.join(TINY, 'train-steps.json'), 'utf8'));
    // three micro-batches of 3, 4 and 1 rows: with 3 workers, one gets no row of the last
    const whole = toBatch(ref.batches[1]);
    const micro = [rowsOf(whole, 0, 3), rowsOf(whole, 3, 7), rowsOf(whole, 7, 8)];
    const classWeights = [0.7, 1.9];

    const single = loadCheckpoint(TINY, { dropout: 0 }).model;
    const decayed = new Set(single.specs.filter(isDecayed).map(s => s.name));
    const adam = new AdamW(single.params, decayed);
    const expected = await trainStep(single, adam, micro, { lr: 2e-3, maxGradNorm: 0.3, loss: { task: 'single_label_classification', classWeights } });
    const expectedWeights = await single.toTorch();
    adam.dispose();
    single.dispose();

    for (const tokensPerPass of [undefined, 1]) {
      const model = loadCheckpoint(TINY, { dropout: 0 }).model;
      // tokensPerPass 1: every row in a pass of its own, gradients summed in the worker
      const trainer = await ParallelTrainer.start(model, decayed, { threads: 3, backend: 'wasm', wasmDir: WASM_DIR, tokensPerPass });
      try {
        const got = await trainer.step(micro, { lr: 2e-3, maxGradNorm: 0.3, loss: { task: 'single_label_classification', classWeights } });
        assert.ok(rel(got.loss, expected.loss) < 1e-5, `loss ${got.loss} vs ${expected.loss}`);
        assert.ok(rel(got.gradNorm, expected.gradNorm) < 1e-5, `grad norm ${got.gradNorm} vs ${expected.gradNorm}`);
        assert.equal(got.clipped, expected.clipped);
        assert.ok(got.clipped, 'the test means to exercise clipping');
        trainer.copyWeightsTo(model);
        const gotWeights = await model.toTorch();
        let worst = 0;
        for (const [name, t] of expectedWeights) {
          const g = gotWeights.get(name)!.data;
          for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - t.data[i]));
        }
        assert.ok(worst < 1e-6, `weights differ by up to ${worst} (tokens per pass: ${tokensPerPass ?? 'default'})`);
      } finally {
        await trainer.dispose();
        model.dispose();
      }
    }
  });

  it("saved optimizer state restores into a new trainer; the weights it saves are the model's", async () => {
    await useBackend('wasm');
    const ref: Reference = JSON.parse(fs.readFileSync(path.join(TINY, 'train-steps.json'), 'utf8'));
    const model = loadCheckpoint(TINY, { dropout: 0 }).model;
    const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
    const a = await ParallelTrainer.start(model, decayed, { threads: 2, backend: 'wasm', wasmDir: WASM_DIR });
    try {
      await a.step([toBatch(ref.batches[0])], { lr: 1e-3, maxGradNorm: 1 });
      a.copyWeightsTo(model);
      const b2 = await ParallelTrainer.start(model, decayed, { threads: 2, backend: 'wasm', wasmDir: WASM_DIR });
      try {
        for (const { name, data } of a.optimizerState()) {
          const [kind, ...rest] = name.split('.');
          b2.loadOptimizerState(kind as 'm' | 'v', rest.join('.'), data);
        }
        b2.adamStep = a.adamStep;
        const ra = await a.step([toBatch(ref.batches[1])], { lr: 1e-3, maxGradNorm: 1 });
        const rb = await b2.step([toBatch(ref.batches[1])], { lr: 1e-3, maxGradNorm: 1 });
        assert.equal(rb.loss, ra.loss);
        assert.equal(rb.gradNorm, ra.gradNorm);
        assert.deepEqual(
          b2.optimizerState().map(e => [...e.data.slice(0, 50)]),
          a.optimizerState().map(e => [...e.data.slice(0, 50)]),
        );
        // What a checkpoint writes from the trainer: the model's own PyTorch layout, Linear weights transposed back.
        b2.copyWeightsTo(model);
        const expected = await model.toTorch();
        const sources = b2.torchSources(model.specs);
        assert.deepEqual(
          sources.map(t => t.name),
          [...expected.keys()],
        );
        for (const t of sources) {
          assert.deepEqual(t.shape, expected.get(t.name)!.shape, t.name);
          assert.deepEqual(await t.data(), expected.get(t.name)!.data, t.name);
        }
        assert.throws(() => b2.loadOptimizerState('m', 'no.such.weight', new Float32Array(1)), /unknown parameter m\.no\.such\.weight/);
      } finally {
        await b2.dispose();
      }
    } finally {
      await a.dispose();
      model.dispose();
    }
  });

  it('loss coefficients weight each micro-batch as its mean, and rowsOf re-pads to the share', () => {
    const b: Batch = {
      inputIds: [
        [1, 2, 3, 0],
        [4, 5, 0, 0],
      ],
      tokenTypeIds: [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      attentionMask: [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
      ],
      labels: [0, 1],
    };
    assert.deepEqual(lossCoefficients([b, rowsOf(b, 1, 2)]), [[0.25, 0.25], [0.5]]);
    assert.deepEqual(lossCoefficients([b], { task: 'single_label_classification', classWeights: [1, 3] }), [[0.25, 0.75]]);
    assert.deepEqual(rowsOf(b, 1, 2).inputIds, [[4, 5]]);
    assert.deepEqual(rowsOf(b, 2, 2).labels, []);
  });
});

describe('starting the optimisation', () => {
  it('falls back to one thread, saying why, when the gradient workers cannot load their backend', async () => {
    await useBackend('wasm');
    const model = loadCheckpoint(TINY, { dropout: 0 }).model;
    const warnings: string[] = [];
    const report = { backend: 'wasm' as const, tfBackend: 'wasm', simd: true, wasmDir: path.join(TINY, 'no-wasm-here'), attempts: [] };
    const o = await startOptimisation(model, new Set(), ADAMW_DEFAULTS, report, { threads: 2, warn: m => warnings.push(m) });
    try {
      assert.equal(o.threads, 1);
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0],
        /Training on the trainer's own thread: the 2 gradient workers did not start \(gradient worker \d: could not load the wasm backend/,
      );
    } finally {
      await o.dispose();
      model.dispose();
    }
  });

  it('uses one worker per core on WASM unless told, and none on a native backend', () => {
    const wasm = { backend: 'wasm' as const, tfBackend: 'wasm', attempts: [] };
    assert.equal(threadsFor(wasm), Math.min(8, os.availableParallelism()));
    assert.equal(threadsFor(wasm, 3), 3);
    assert.equal(threadsFor({ backend: 'tensorflow', tfBackend: 'tensorflow', attempts: [] }, 4), 1);
  });
});

describe('evaluation on the gradient workers', () => {
  for (const tokensPerPass of [undefined, 1])
    it(`gives what the trainer thread computes, with the weights of the latest update${tokensPerPass ? ' (each row in a pass of its own, as training took them)' : ''}`, async () => {
      await useBackend('wasm');
      const ref: Reference = JSON.parse(fs.readFileSync(path.join(TINY, 'train-steps.json'), 'utf8'));
      const examples: Example[] = ref.batches.flatMap((b, k) =>
        b.input_ids.map((ids, i) => {
          const n = b.attention_mask[i].reduce((x, y) => x + y, 0);
          return { inputIds: ids.slice(0, n), tokenTypeIds: b.token_type_ids[i].slice(0, n), label: b.labels[i], line: 2 + k * 100 + i };
        }),
      );
      const model = loadCheckpoint(TINY, { dropout: 0 }).model;
      const trainer = await ParallelTrainer.start(model, new Set(model.specs.filter(isDecayed).map(s => s.name)), {
        threads: 2,
        backend: 'wasm',
        wasmDir: WASM_DIR,
        tokensPerPass,
      });
      try {
        await trainer.step([toBatch(ref.batches[0])], { lr: 5e-3, maxGradNorm: 1 });
        trainer.copyWeightsTo(model);
        const labels = model.config.id2label;
        const here = await evaluate(model, examples, { task: 'single_label_classification', labels }, 5, 0);
        const there = await evaluate(model, examples, { task: 'single_label_classification', labels }, 5, 0, batches => trainer.logits(batches));
        assert.deepEqual(there.confusion, here.confusion);
        assert.equal(there.accuracy, here.accuracy);
        assert.ok(Math.abs(there.loss - here.loss) <= 1e-6 * here.loss, `${there.loss} vs ${here.loss}`);
        assert.deepEqual(
          there.misclassified.map(m => m.line),
          here.misclassified.map(m => m.line),
        );
      } finally {
        await trainer.dispose();
        model.dispose();
      }
    });
});

describe('pass sizes', () => {
  it('bert-base takes its rows of 128 tokens two or three a pass, the small shapes a whole share in one, longer rows fewer', () => {
    const config = (layers: number, hidden: number) =>
      parseModelConfig({
        model_type: 'bert',
        vocab_size: 30522,
        num_hidden_layers: layers,
        hidden_size: hidden,
        num_attention_heads: hidden / 64,
        intermediate_size: 4 * hidden,
        max_position_embeddings: 512,
      });
    const params = (c: ReturnType<typeof config>) => parameterSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const base = config(12, 768);
    const rows = (c: ReturnType<typeof config>, length: number) => Math.floor(tokensPerPass(c, params(c), length) / length);
    assert.ok([2, 3].includes(rows(base, 128)), `bert-base: ${rows(base, 128)} rows of 128 a pass`);
    assert.ok(rows(base, 64) > 2 * rows(base, 128), 'shorter rows go more to a pass');
    assert.equal(rows(base, 512), 1, 'a row of 512 tokens goes alone');
    assert.equal(rows(base, 4096), 1, 'a row longer than the budget still goes, alone');
    assert.ok(rows(config(4, 512), 128) >= 8, "bert-small: a worker's share of a batch of 16 in one pass");
    assert.ok(passBudgetBytes(params(base)) < 2 ** 31, 'well inside a WASM heap');
  });
});
