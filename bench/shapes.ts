/** The BERT shapes the benchmarks measure: Google's miniatures, all with the uncased vocab. */
import { Classifier, type TorchTensor } from '../src/trainer/model/classifier';
import { parseModelConfig, type ModelConfig } from '../src/trainer/model/config';
import { parameterSpecs } from '../src/trainer/model/parameters';
import { initParameter } from '../src/trainer/checkpoint/initWeights';
import { Random } from '../src/trainer/util/random';

export interface Shape {
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  /** Another family's config.json keys (model_type included), for both sides; a BERT of the shape without. */
  config?: Record<string, unknown>;
}

export const SHAPES: Shape[] = [
  { name: 'bert-tiny (L2 H128)', layers: 2, hidden: 128, heads: 2, intermediate: 512 },
  { name: 'bert-mini (L4 H256)', layers: 4, hidden: 256, heads: 4, intermediate: 1024 },
  { name: 'bert-small (L4 H512)', layers: 4, hidden: 512, heads: 8, intermediate: 2048 },
];

/** bert-base: minutes per measurement on two cores, so only where a bench is asked for it. */
export const BERT_BASE: Shape = { name: 'bert-base (L12 H768)', layers: 12, hidden: 768, heads: 12, intermediate: 3072 };

/**
 * The other families at base size, as their Hub configs have them (random weights): the
 * families issue's rows of bench:vs-pytorch.
 */
export const FAMILY_SHAPES: Shape[] = [
  {
    name: 'distilbert-base',
    layers: 6,
    hidden: 768,
    heads: 12,
    intermediate: 3072,
    config: { model_type: 'distilbert', vocab_size: 30522, dim: 768, n_layers: 6, n_heads: 12, hidden_dim: 3072 },
  },
  {
    name: 'roberta-base',
    layers: 12,
    hidden: 768,
    heads: 12,
    intermediate: 3072,
    config: { model_type: 'roberta', vocab_size: 50265, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5 },
  },
  {
    name: 'deberta-v3-base',
    layers: 12,
    hidden: 768,
    heads: 12,
    intermediate: 3072,
    config: {
      model_type: 'deberta-v2',
      vocab_size: 128100,
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      relative_attention: true,
      pos_att_type: ['p2c', 'c2p'],
      position_buckets: 256,
      max_relative_positions: -1,
      share_att_key: true,
      norm_rel_ebd: 'layer_norm',
      position_biased_input: false,
      type_vocab_size: 0,
    },
  },
  {
    name: 'ModernBERT-base',
    layers: 22,
    hidden: 768,
    heads: 12,
    intermediate: 1152,
    config: {
      model_type: 'modernbert',
      vocab_size: 50368,
      hidden_size: 768,
      num_hidden_layers: 22,
      num_attention_heads: 12,
      intermediate_size: 1152,
      global_attn_every_n_layers: 3,
      local_attention: 128,
      classifier_pooling: 'mean',
      pad_token_id: 50283,
    },
  },
];

export function shapeConfig(s: Shape, labels = 2): ModelConfig {
  const id2label = Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `label${i}`]));
  if (s.config) return parseModelConfig({ ...s.config, id2label });
  return parseModelConfig({
    model_type: 'bert',
    vocab_size: 30522,
    num_hidden_layers: s.layers,
    hidden_size: s.hidden,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    id2label: Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `label${i}`])),
  });
}

/** A random-initialised model of this shape, in memory. */
export function randomModel(s: Shape, seed = 42): Classifier {
  const config = shapeConfig(s);
  const random = new Random(seed);
  const tensors = new Map<string, TorchTensor>(parameterSpecs(config).map(spec => [spec.name, initParameter(spec, config, random)]));
  return Classifier.fromTorch(config, tensors);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
