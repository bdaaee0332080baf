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
}

export const SHAPES: Shape[] = [
  { name: 'bert-tiny (L2 H128)', layers: 2, hidden: 128, heads: 2, intermediate: 512 },
  { name: 'bert-mini (L4 H256)', layers: 4, hidden: 256, heads: 4, intermediate: 1024 },
  { name: 'bert-small (L4 H512)', layers: 4, hidden: 512, heads: 8, intermediate: 2048 },
];

/** bert-base: minutes per measurement on two cores, so only where a bench is asked for it. */
export const BERT_BASE: Shape = { name: 'bert-base (L12 H768)', layers: 12, hidden: 768, heads: 12, intermediate: 3072 };

export function shapeConfig(s: Shape, labels = 2): ModelConfig {
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
