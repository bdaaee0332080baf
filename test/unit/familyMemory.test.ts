/**
 * The workers' pass budget counts what a forward and backward pass keeps per token
 * (parallelTrainer.ts: activationBytesPerToken); a family that keeps more says how much
 * (Family.extraActivationFloats). Held here to the peak tfjs measures on WASM for BERT, DeBERTa
 * (relative positions in 256 buckets) and ModernBERT, at two lengths: an estimate far below the
 * peak would let a worker's pass outgrow its heap (DeBERTa keeps about seven times BERT's).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initParameter } from '../../src/trainer/checkpoint/initWeights';
import { Classifier } from '../../src/trainer/model/classifier';
import { parseModelConfig } from '../../src/trainer/model/config';
import { parameterSpecs } from '../../src/trainer/model/parameters';
import { activationBytesPerToken } from '../../src/trainer/parallel/parallelTrainer';
import { crossEntropy } from '../../src/trainer/step/loss';
import { tapeGradients } from '../../src/trainer/step/tapeGradients';
import { Random } from '../../src/trainer/util/random';
import { useBackend } from './backendSetup';

const H = 128;
const common = { vocab_size: 1000, hidden_size: H, num_hidden_layers: 2, num_attention_heads: 4, max_position_embeddings: 512, id2label: { 0: 'a', 1: 'b' } };
const FAMILIES: Record<string, Record<string, unknown>> = {
  bert: { ...common, model_type: 'bert', intermediate_size: 4 * H },
  deberta: {
    ...common,
    model_type: 'deberta-v2',
    intermediate_size: 4 * H,
    relative_attention: true,
    pos_att_type: 'p2c|c2p',
    position_buckets: 256,
    share_att_key: true,
    norm_rel_ebd: 'layer_norm',
    position_biased_input: false,
  },
  modernbert: { ...common, model_type: 'modernbert', intermediate_size: 2 * H, local_attention: 128, global_attn_every_n_layers: 2 },
};

before(async () => {
  await useBackend('wasm');
});

describe("a worker's pass budget per token, against the peak a pass keeps", () => {
  for (const [name, raw] of Object.entries(FAMILIES)) {
    it(`${name}: the estimate is no less than 0.8 and no more than 2 times the measured peak, at 64 and 256 tokens`, async t => {
      const config = parseModelConfig(raw);
      const random = new Random(1);
      const model = Classifier.fromTorch(config, new Map(parameterSpecs(config).map(s => [s.name, initParameter(s, config, random)])));
      try {
        for (const S of [64, 256]) {
          const B = 4;
          const ids = tf.tensor2d(
            Array.from({ length: B * S }, (_, i) => 5 + (i % 900)),
            [B, S],
            'int32',
          );
          const inputs = { inputIds: ids, tokenTypeIds: tf.zerosLike(ids) as tf.Tensor2D, attentionMask: tf.onesLike(ids) as tf.Tensor2D };
          const before = tf.memory().numBytes;
          const info = await tf.profile(() => {
            const g = tapeGradients(() => crossEntropy(model.forward(inputs, { training: false }).logits, [0, 1, 0, 1]));
            tf.dispose([g.value, ...g.grads.values()]);
          });
          tf.dispose([ids, inputs.tokenTypeIds, inputs.attentionMask]);
          const measured = (info.peakBytes - before) / (B * S);
          const estimate = activationBytesPerToken(config, S);
          t.diagnostic(`${S} tokens: measured ${(measured / 1024).toFixed(0)} KiB a token, estimated ${(estimate / 1024).toFixed(0)} KiB`);
          assert.ok(estimate >= 0.8 * measured && estimate <= 2 * measured, `${S} tokens: estimate ${estimate} for a measured ${measured.toFixed(0)}`);
        }
      } finally {
        model.dispose();
      }
    });
  }
});
