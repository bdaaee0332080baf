import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { frozenParameters, isDecayed } from '../../src/trainer/model/parameters';
import { ParallelTrainer } from '../../src/trainer/parallel/parallelTrainer';
import { ADAMW_DEFAULTS } from '../../src/trainer/step/adamwMath';
import { AdamW } from '../../src/trainer/train/adamw';
import { batchesOf, type Example } from '../../src/trainer/train/batches';
import { clsFeatures, encoderParameters, startHeadOnly, type FeatureCache } from '../../src/trainer/train/headOnly';
import { trainStep } from '../../src/trainer/train/step';
import type { Batch } from '../../src/trainer/step/batch';
import { useBackend, WASM_DIR } from './backendSetup';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');
const ref = JSON.parse(fs.readFileSync(path.join(TINY, 'train-steps.json'), 'utf8')) as {
  batches: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] }[];
};
const batches: Batch[] = ref.batches.map(b => ({ inputIds: b.input_ids, tokenTypeIds: b.token_type_ids, attentionMask: b.attention_mask, labels: b.labels }));

async function snapshot(model: ReturnType<typeof loadCheckpoint>['model']) {
  return new Map(await Promise.all([...model.params].map(async ([n, v]) => [n, (await v.data()) as Float32Array] as const)));
}

function assertOnlyUnfrozenChanged(before: Map<string, Float32Array>, after: Map<string, Float32Array>, frozen: Set<string>) {
  for (const [name, b] of before) {
    const same = Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(
      Buffer.from(after.get(name)!.buffer, after.get(name)!.byteOffset, after.get(name)!.byteLength),
    );
    assert.equal(same, frozen.has(name), `${name} ${frozen.has(name) ? 'changed although frozen' : 'did not train'}`);
  }
}

describe('freezing the embeddings and the lowest layers', () => {
  it('names the embeddings and layers 0 … N-1, and refuses more layers than the model has', async () => {
    await useBackend('wasm');
    const { model } = loadCheckpoint(TINY, { dropout: 0 });
    const layers = model.config.numHiddenLayers;
    const frozen = frozenParameters(model.config, 1);
    assert.ok(frozen.has('bert.embeddings.word_embeddings.weight') && frozen.has('bert.embeddings.LayerNorm.bias'));
    assert.ok(frozen.has('bert.encoder.layer.0.attention.self.query.weight'));
    assert.ok(![...frozen].some(n => n.startsWith('bert.encoder.layer.1.') || n.startsWith('bert.pooler') || n.startsWith('classifier')));
    assert.equal(frozenParameters(model.config, 0).size, 0);
    assert.throws(() => frozenParameters(model.config, layers + 1), new RegExp(`cannot freeze ${layers + 1} layers: the model has ${layers}`));
    model.dispose();
  });

  it('on one thread: frozen parameters stay bit for bit, every other one trains', async () => {
    await useBackend('wasm');
    const { model } = loadCheckpoint(TINY, { dropout: 0 });
    const frozen = frozenParameters(model.config, 1);
    model.freeze(frozen);
    const optimizer = new AdamW(model.params, new Set(model.specs.filter(isDecayed).map(s => s.name)));
    const before = await snapshot(model);
    for (const b of batches.slice(0, 2)) await trainStep(model, optimizer, [b], { lr: 1e-3, maxGradNorm: 1 });
    assertOnlyUnfrozenChanged(before, await snapshot(model), frozen);
    optimizer.dispose();
    model.dispose();
  });

  it('with gradient workers: the same, weight decay included', async () => {
    await useBackend('wasm');
    const { model } = loadCheckpoint(TINY, { dropout: 0 });
    const frozen = frozenParameters(model.config, 1);
    model.freeze(frozen);
    const before = await snapshot(model);
    const trainer = await ParallelTrainer.start(model, new Set(model.specs.filter(isDecayed).map(s => s.name)), {
      threads: 2,
      backend: 'wasm',
      wasmDir: WASM_DIR,
    });
    try {
      for (const b of batches.slice(0, 2)) await trainer.step([b], { lr: 1e-3, maxGradNorm: 1 });
      trainer.copyWeightsTo(model);
      assertOnlyUnfrozenChanged(before, await snapshot(model), frozen);
      assert.ok(
        trainer
          .optimizerState()
          .filter(e => frozen.has(e.name.slice(2)))
          .every(e => e.data.every(x => x === 0)),
        'no moments for frozen parameters',
      );
    } finally {
      await trainer.dispose();
      model.dispose();
    }
  });
});

describe('head-only training on cached features', () => {
  it('takes the same step as the whole model with a frozen encoder (dropout off), rows in any order', async () => {
    await useBackend('wasm');
    const b = ref.batches[0];
    const examples: Example[] = b.input_ids.map((ids, i) => {
      const n = b.attention_mask[i].reduce((x, y) => x + y, 0);
      return { inputIds: ids.slice(0, n), tokenTypeIds: b.token_type_ids[i].slice(0, n), label: b.labels[i], line: 100 + i };
    });
    // a batch in another order than the features were computed in
    const batch = batchesOf(examples, [5, 2, 7, 0, 1, 6, 3, 4], 8, 0)[0];

    const whole = loadCheckpoint(TINY, { dropout: 0 }).model;
    const decayed = new Set(whole.specs.filter(isDecayed).map(s => s.name));
    whole.freeze(encoderParameters(whole));
    const adam = new AdamW(whole.params, decayed);
    const expected = await trainStep(whole, adam, [batch], { lr: 1e-3, maxGradNorm: 1 });
    const expectedWeights = await snapshot(whole);
    adam.dispose();
    whole.dispose();

    const model = loadCheckpoint(TINY, { dropout: 0 }).model;
    const cache: FeatureCache = { values: (await clsFeatures(model, examples, 3, 0))!, examples };
    const head = startHeadOnly(model, decayed, ADAMW_DEFAULTS, () => cache);
    const got = await head.step([batch], { lr: 1e-3, maxGradNorm: 1, nextSeed: () => 1 });
    assert.ok(Math.abs(got.loss - expected.loss) < 1e-6, `loss ${got.loss} vs ${expected.loss}`);
    assert.ok(Math.abs(got.gradNorm - expected.gradNorm) < 1e-5 * expected.gradNorm, `grad norm ${got.gradNorm} vs ${expected.gradNorm}`);
    const after = await snapshot(model);
    for (const [name, w] of expectedWeights) {
      const a = after.get(name)!;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(a[i] - w[i]) < 1e-6, `${name}[${i}]`);
    }
    assert.equal((await head.optimizerState()).length, 8, 'moments for the pooler and the classifier only (m and v of 4 tensors)');
    await head.dispose();
    model.dispose();
  });
});
