/**
 * The parameters of BertForSequenceClassification under their Hugging Face names, with their
 * shapes in the PyTorch layout (Linear weights [out, in]) and how transformers initialises them.
 */
import type { BertConfig } from './config';

export type ParameterKind = 'linear' | 'embedding' | 'bias' | 'norm-weight' | 'norm-bias';

export interface ParameterSpec {
  name: string;
  /** PyTorch layout, as stored in checkpoints. */
  shape: number[];
  kind: ParameterKind;
}

export function parameterSpecs(c: BertConfig): ParameterSpec[] {
  const H = c.hiddenSize;
  const specs: ParameterSpec[] = [];
  const linear = (prefix: string, out: number, inp: number) => {
    specs.push({ name: `${prefix}.weight`, shape: [out, inp], kind: 'linear' }, { name: `${prefix}.bias`, shape: [out], kind: 'bias' });
  };
  const norm = (prefix: string) => {
    specs.push({ name: `${prefix}.weight`, shape: [H], kind: 'norm-weight' }, { name: `${prefix}.bias`, shape: [H], kind: 'norm-bias' });
  };
  specs.push(
    { name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocabSize, H], kind: 'embedding' },
    { name: 'bert.embeddings.position_embeddings.weight', shape: [c.maxPositionEmbeddings, H], kind: 'embedding' },
    { name: 'bert.embeddings.token_type_embeddings.weight', shape: [c.typeVocabSize, H], kind: 'embedding' },
  );
  norm('bert.embeddings.LayerNorm');
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, H, H);
    linear(`${p}.attention.self.key`, H, H);
    linear(`${p}.attention.self.value`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, c.intermediateSize, H);
    linear(`${p}.output.dense`, H, c.intermediateSize);
    norm(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', H, H);
  linear('classifier', c.id2label.length, H);
  return specs;
}

/**
 * The parameters `freezeLayers` keeps fixed: with N > 0, the embeddings (and their LayerNorm)
 * and encoder layers 0 … N-1. Throws when the model has fewer layers than that.
 */
export function frozenParameters(c: BertConfig, freezeLayers: number): Set<string> {
  if (freezeLayers > c.numHiddenLayers) throw new Error(`cannot freeze ${freezeLayers} layers: the model has ${c.numHiddenLayers}`);
  if (freezeLayers <= 0) return new Set();
  const frozen = (name: string) =>
    name.startsWith('bert.embeddings.') || Array.from({ length: freezeLayers }, (_, l) => `bert.encoder.layer.${l}.`).some(p => name.startsWith(p));
  return new Set(
    parameterSpecs(c)
      .map(s => s.name)
      .filter(frozen),
  );
}

/** Parameters that AdamW decays in the classic recipe: every weight but biases and LayerNorm. */
export function isDecayed(spec: ParameterSpec): boolean {
  return spec.kind === 'linear' || spec.kind === 'embedding';
}
