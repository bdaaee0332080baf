/**
 * Fresh parameters as transformers' BertPreTrainedModel._init_weights makes them: Linear and
 * Embedding weights ~ N(0, initializer_range), biases 0, the padding row of the word embeddings
 * 0, LayerNorm weight 1 and bias 0. Seeded, so the same seed gives the same model.
 */
import type { TorchTensor } from '../model/bert';
import type { BertConfig } from '../model/config';
import type { ParameterSpec } from '../model/parameters';
import { Random } from '../util/random';

export function initParameter(spec: ParameterSpec, config: BertConfig, random: Random): TorchTensor {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  switch (spec.kind) {
    case 'linear':
    case 'embedding':
      data = random.normalArray(size, config.initializerRange);
      if (spec.name === 'bert.embeddings.word_embeddings.weight' && config.padTokenId < spec.shape[0]) {
        data.fill(0, config.padTokenId * spec.shape[1], (config.padTokenId + 1) * spec.shape[1]);
      }
      break;
    case 'norm-weight':
      data = new Float32Array(size).fill(1);
      break;
    default:
      data = new Float32Array(size);
  }
  return { shape: spec.shape, data };
}
