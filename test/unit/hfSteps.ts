/** Replays the Hugging Face 6-step fixtures (train-steps*.json) on a backend: shared by the CPU and the GPU suites. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../../src/trainer/backend';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { isDecayed } from '../../src/trainer/model/parameters';
import { AdamW } from '../../src/trainer/train/adamw';
import { lrFactor } from '../../src/trainer/train/schedule';
import { batchTensors, disposeInputs, type Batch } from '../../src/trainer/step/batch';
import { trainStep } from '../../src/trainer/train/step';
import { useBackend } from './backendSetup';

export const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');

export interface Reference {
  batches: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] }[];
  steps: { lr: number; loss: number; grad_norm: number; clipped: boolean }[];
  batch0_logits_before: number[][];
  batch0_logits_after: number[][];
  param_groups: Record<string, string[]>;
}

export async function reproduce(file: string, maxGradNorm: number, backend: BackendName) {
  await useBackend(backend);
  const ref: Reference = JSON.parse(fs.readFileSync(path.join(TINY, file), 'utf8'));
  // The reference trains with every dropout off.
  const { model } = loadCheckpoint(TINY, { dropout: 0 });
  assert.equal(model.config.hiddenDropoutProb, 0);
  const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
  assert.deepEqual([...decayed].sort(), [...ref.param_groups['weight_decay_0.01']].sort());
  const optimizer = new AdamW(model.params, decayed, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const batches: Batch[] = ref.batches.map(b => ({ inputIds: b.input_ids, tokenTypeIds: b.token_type_ids, attentionMask: b.attention_mask, labels: b.labels }));
  const logits0 = async () => {
    const x = batchTensors(batches[0]);
    const out = model.forward(x, { training: false });
    const v = (await out.logits.array()) as number[][];
    tf.dispose([out.logits, out.clsHidden, out.pooled]);
    disposeInputs(x);
    return v;
  };
  const before = await logits0();
  const results = [];
  const tensorsBefore = tf.memory().numTensors;
  for (let s = 0; s < ref.steps.length; s++) {
    const lr = 1e-3 * lrFactor({ kind: 'linear', warmupSteps: 2, totalSteps: 6 }, s);
    assert.ok(Math.abs(lr - ref.steps[s].lr) < 1e-12, `lr of step ${s + 1}`);
    results.push(await trainStep(model, optimizer, [batches[s]], { lr, maxGradNorm }));
  }
  const tensorsAfter = tf.memory().numTensors;
  const after = await logits0();
  optimizer.dispose();
  model.dispose();
  return { ref, results, before, after, leaked: tensorsAfter - tensorsBefore };
}

export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The fixture's bounds: loss within 1e-4 and grad norm within 1e-3 (relative) every step, logits after within 1e-3 of their scale, no tensor left. */
export function assertMatchesReference(r: Awaited<ReturnType<typeof reproduce>>, diagnostic: (s: string) => void): void {
  const { ref, results, before, after, leaked } = r;
  let worstLoss = 0;
  let worstNorm = 0;
  results.forEach((x, i) => {
    worstLoss = Math.max(worstLoss, rel(x.loss, ref.steps[i].loss));
    worstNorm = Math.max(worstNorm, rel(x.gradNorm, ref.steps[i].grad_norm));
    assert.equal(x.clipped, ref.steps[i].clipped, `clipped at step ${i + 1}`);
  });
  const scale = Math.max(...ref.batch0_logits_after.flat().map(Math.abs));
  const worstLogit = Math.max(...after.flat().map((v, i) => Math.abs(v - ref.batch0_logits_after.flat()[i]))) / scale;
  const worstBefore = Math.max(...before.flat().map((v, i) => Math.abs(v - ref.batch0_logits_before.flat()[i])));
  diagnostic(`loss rel ${worstLoss.toExponential(2)}, grad norm rel ${worstNorm.toExponential(2)}, logits after rel ${worstLogit.toExponential(2)}`);
  assert.ok(worstBefore < 1e-6, `logits before differ by ${worstBefore}`);
  assert.ok(worstLoss <= 1e-4, `loss differs by ${worstLoss}`);
  assert.ok(worstNorm <= 1e-3, `grad norm differs by ${worstNorm}`);
  assert.ok(worstLogit <= 1e-3, `logits after differ by ${worstLogit} of their scale`);
  assert.equal(leaked, 0, 'tensors left behind by the steps');
}

/** Two micro-batches of 4, each re-padded to its own longest row, update the weights as one batch of 8 does. */
export async function assertAccumulationMatches(backend: BackendName): Promise<void> {
  await useBackend(backend);
  const ref: Reference = JSON.parse(fs.readFileSync(path.join(TINY, 'train-steps.json'), 'utf8'));
  const b = ref.batches[0];
  const slice = (from: number, to: number): Batch => {
    const rows = b.input_ids.slice(from, to);
    // re-pad each micro-batch to its own longest row, as the data pipeline does
    const len = Math.max(...rows.map((_, i) => b.attention_mask[from + i].reduce((x, y) => x + y, 0)));
    return {
      inputIds: rows.map(r => r.slice(0, len)),
      tokenTypeIds: b.token_type_ids.slice(from, to).map(r => r.slice(0, len)),
      attentionMask: b.attention_mask.slice(from, to).map(r => r.slice(0, len)),
      labels: b.labels.slice(from, to),
    };
  };
  const after = async (micro: Batch[]) => {
    const { model } = loadCheckpoint(TINY, { dropout: 0 });
    const optimizer = new AdamW(model.params, new Set(model.specs.filter(isDecayed).map(s => s.name)));
    const r = await trainStep(model, optimizer, micro, { lr: 1e-3, maxGradNorm: 1 });
    const w = await model.params.get('classifier.weight')!.data();
    optimizer.dispose();
    model.dispose();
    return { r, w };
  };
  const whole = await after([slice(0, 8)]);
  const split = await after([slice(0, 4), slice(4, 8)]);
  assert.ok(Math.abs(whole.r.loss - split.r.loss) < 1e-6, `${whole.r.loss} vs ${split.r.loss}`);
  assert.ok(Math.abs(whole.r.gradNorm - split.r.gradNorm) < 1e-5);
  for (let i = 0; i < whole.w.length; i++) assert.ok(Math.abs(whole.w[i] - split.w[i]) < 1e-6);
}
