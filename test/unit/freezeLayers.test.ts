import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { frozenParameters, isDecayed } from '../../src/trainer/model/parameters';
import { ParallelTrainer } from '../../src/trainer/parallel/parallelTrainer';
import { AdamW } from '../../src/trainer/train/adamw';
import { trainStep, type Batch } from '../../src/trainer/train/step';
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
    const same = Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(after.get(name)!.buffer, after.get(name)!.byteOffset, after.get(name)!.byteLength));
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
    const trainer = await ParallelTrainer.start(model, new Set(model.specs.filter(isDecayed).map(s => s.name)), { threads: 2, backend: 'wasm', wasmDir: WASM_DIR });
    try {
      for (const b of batches.slice(0, 2)) await trainer.step([b], { lr: 1e-3, maxGradNorm: 1 });
      trainer.copyWeightsTo(model);
      assertOnlyUnfrozenChanged(before, await snapshot(model), frozen);
      assert.ok(trainer.optimizerState().filter(e => frozen.has(e.name.slice(2))).every(e => e.data.every(x => x === 0)), 'no moments for frozen parameters');
    } finally {
      await trainer.dispose();
      model.dispose();
    }
  });
});
