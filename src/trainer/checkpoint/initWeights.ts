/**
 * Fresh parameters as transformers' PreTrainedModel._init_weights makes them: Linear and
 * Embedding weights ~ N(0, initializer_range), biases 0, the padding rows of the family's
 * embedding tables 0, LayerNorm weight 1 and bias 0; the family's own rule where it has one
 * (DistilBERT's sinusoidal positions). Seeded, so the same seed gives the same model.
 */
import type { TorchTensor } from '../model/classifier';
import type { ModelConfig } from '../model/config';
import { familyNamed } from '../model/families/index';
import type { ParameterSpec } from '../model/parameters';
import { Random } from '../util/random';

export function initParameter(spec: ParameterSpec, config: ModelConfig, random: Random): TorchTensor {
  const family = familyNamed(config.family);
  const own = family.initParameter?.(spec, config, random);
  if (own) return own;
  const size = spec.shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  switch (spec.kind) {
    case 'linear':
    case 'embedding':
      data = random.normalArray(size, config.initializerRange);
      if (family.paddingRows(config).includes(spec.name) && config.padTokenId < spec.shape[0]) {
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
