import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModelConfig } from '../../src/trainer/model/config';
import { fitBatchToDevice, largestStepTensorBytes } from '../../src/trainer/train/deviceFit';

const MiB = 2 ** 20;
const bertBase = parseModelConfig({ model_type: 'bert' });
const xlmrBase = parseModelConfig({ model_type: 'xlm-roberta', vocab_size: 250002, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1 });
const electraSmall = parseModelConfig({ model_type: 'electra', embedding_size: 128, hidden_size: 256, num_attention_heads: 4, intermediate_size: 1024 });

describe('fitting a step to a GPU buffer', () => {
  it('keeps a batch whose tensors fit, and splits one whose attention scores do not into micro-batches of the same update', () => {
    assert.deepEqual(fitBatchToDevice(bertBase, 16, 1, 128, 1024 * MiB, 'GPU'), { batchSize: 16, gradientAccumulation: 1 });
    const fit = fitBatchToDevice(bertBase, 32, 1, 512, 128 * MiB, 'GPU');
    assert.equal(fit.batchSize * fit.gradientAccumulation >= 32, true);
    assert.ok(largestStepTensorBytes(bertBase, fit.batchSize, 512) <= 128 * MiB);
    assert.match(fit.notice!, /does not fit GPU's largest buffer \(128 MiB\): each step trains \d+ micro-batches/);
  });

  it("refuses XLM-R's 250,002 × 768 word embeddings on a 128 MiB buffer whatever the batch, saying to train on the CPU", () => {
    assert.throws(
      () => fitBatchToDevice(xlmrBase, 1, 1, 8, 128 * MiB, 'the GPU'),
      /the GPU holds at most 128 MiB in one buffer; this model's word-embedding table \(250,002 tokens × 768\) needs 732 MiB, whatever the batch or the max length\. Train it on the CPU/,
    );
    assert.equal(fitBatchToDevice(xlmrBase, 16, 1, 128, 2048 * MiB, 'the GPU').batchSize, 16);
  });

  it("counts ELECTRA's table at its embedding width, not the hidden size", () => {
    assert.equal(largestStepTensorBytes(electraSmall, 1, 8), 4 * 30522 * 128);
  });
});
