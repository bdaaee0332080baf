import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { isDecayed } from '../../src/trainer/model/parameters';
import { AdamW } from '../../src/trainer/train/adamw';
import { trainStep, type Batch } from '../../src/trainer/train/step';
import { useBackend } from './backendSetup';
import { assertMatchesReference, reproduce, TINY, type Reference } from './hfSteps';

for (const [file, clip] of [['train-steps.json', 1.0], ['train-steps-clip0.5.json', 0.5]] as const) {
  for (const backend of ['wasm', 'cpu'] as const) {
    describe(`training reproduces Hugging Face step by step: ${file} on ${backend}`, () => {
      it('loss within 1e-4 and grad norm within 1e-3 (relative) on every step; logits after within 1e-3 of their scale', async t => {
        assertMatchesReference(await reproduce(file, clip, backend), s => t.diagnostic(s));
      });
    });
  }
}

describe('gradient accumulation', () => {
  it('two micro-batches of 4 update the weights as one batch of 8 does', async () => {
    await useBackend('wasm');
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
  });
});
