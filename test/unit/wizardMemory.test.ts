import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FROM_SCRATCH_LEARNING_RATE, TRAIN_DEFAULTS, trainConfigSchema } from '../../src/shared/trainerProtocol';
import { defaultLearningRate, rememberedModel, rememberedSettings, toRemember } from '../../src/extension/training/wizardMemory';

const config = (learningRate: number) =>
  trainConfigSchema.parse({
    ...TRAIN_DEFAULTS,
    data: '/w/d.csv',
    textCol: 'text',
    labelCol: 'label',
    model: '/w/.bert-tune/runs/r/base-model',
    out: '/w/.bert-tune/runs/r',
    epochs: 7,
    learningRate,
  });

describe("the fine-tune wizard's memory", () => {
  it('remembers a from-scratch start as one, with its size, not as "no model" (which pre-selected bert-tiny)', () => {
    const memory = toRemember(config(5e-4), { kind: 'scratch', size: 'mini (4 layers, hidden 256)' });
    assert.deepEqual(rememberedModel(memory), { kind: 'scratch', size: 'mini (4 layers, hidden 256)' });
    // what the memento stores is plain JSON, read back in another session
    assert.deepEqual(rememberedModel(JSON.parse(JSON.stringify(memory))), { kind: 'scratch', size: 'mini (4 layers, hidden 256)' });
    assert.equal(memory.settings.epochs, 7);
  });

  it('reads what older versions stored (a model id only), and ignores shapes it does not know', () => {
    assert.deepEqual(rememberedModel({ model: 'bert-base-uncased' }), { kind: 'ref', ref: 'bert-base-uncased' });
    assert.equal(rememberedModel({ model: '' }), undefined);
    assert.equal(rememberedModel(undefined), undefined);
    assert.deepEqual(rememberedModel({ model: 'x', modelChoice: { kind: 'nonsense' } as never }), { kind: 'ref', ref: 'x' });
    assert.deepEqual(rememberedSettings({ settings: { epochs: 'three' as never, batchSize: 8 } }, 'ref'), { batchSize: 8 });
  });

  it('carries the learning rate over only between starts of the same kind', () => {
    const scratch = toRemember(config(5e-4), { kind: 'scratch', size: 'tiny' });
    const tuned = toRemember(config(3e-5), { kind: 'ref', ref: 'bert-base-uncased' });
    assert.equal(rememberedSettings(scratch, 'scratch').learningRate, 5e-4);
    assert.equal(rememberedSettings(scratch, 'ref').learningRate, undefined);
    assert.equal(rememberedSettings(tuned, 'ref').learningRate, 3e-5);
    assert.equal(rememberedSettings(tuned, 'scratch').learningRate, undefined);
    assert.equal(rememberedSettings(tuned, 'scratch').epochs, 7, 'the other settings still carry over');
  });

  it("starts from scratch at the from-scratch rate unless the user's setting says otherwise", () => {
    assert.equal(defaultLearningRate('scratch', undefined, TRAIN_DEFAULTS.learningRate), FROM_SCRATCH_LEARNING_RATE);
    assert.equal(defaultLearningRate('ref', undefined, TRAIN_DEFAULTS.learningRate), 5e-5);
    assert.equal(defaultLearningRate('scratch', 1e-3, TRAIN_DEFAULTS.learningRate), 1e-3);
  });
});
