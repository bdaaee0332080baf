import { describe, it } from 'node:test';
import { assertAccumulationMatches, assertMatchesReference, reproduce } from './hfSteps';

for (const [file, clip] of [
  ['train-steps.json', 1.0],
  ['train-steps-clip0.5.json', 0.5],
] as const) {
  for (const backend of ['wasm', 'cpu'] as const) {
    describe(`training reproduces Hugging Face step by step: ${file} on ${backend}`, () => {
      it('loss within 1e-4 and grad norm within 1e-3 (relative) on every step; logits after within 1e-3 of their scale', async t => {
        assertMatchesReference(await reproduce(file, clip, backend), s => t.diagnostic(s));
      });
    });
  }
}

describe('gradient accumulation', () => {
  it('two micro-batches of 4 update the weights as one batch of 8 does', () => assertAccumulationMatches('wasm'));
});
