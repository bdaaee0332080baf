/**
 * A classifier's parameters under their Hugging Face names, with their shapes in the PyTorch
 * layout (Linear weights [out, in]) and their kind, which decides how they are initialised and
 * whether AdamW decays them. Which parameters a model has is its family's answer.
 */
import type { ModelConfig } from './config';
import { isEmbedding, isHead, layerPrefix } from './family';
import { familyNamed } from './families/index';
import type { PostLnLayerNames } from './postLnEncoder';

export type ParameterKind = 'linear' | 'embedding' | 'bias' | 'norm-weight' | 'norm-bias';

export interface ParameterSpec {
  name: string;
  /** PyTorch layout, as stored in checkpoints. */
  shape: number[];
  kind: ParameterKind;
}

export function parameterSpecs(c: ModelConfig): ParameterSpec[] {
  return familyNamed(c.family).parameterSpecs(c);
}

/** Collects specs in order, in the words a family's parameter list is written in. */
export class SpecList {
  readonly specs: ParameterSpec[] = [];

  linear(prefix: string, out: number, inp: number): this {
    this.specs.push({ name: `${prefix}.weight`, shape: [out, inp], kind: 'linear' }, { name: `${prefix}.bias`, shape: [out], kind: 'bias' });
    return this;
  }

  norm(prefix: string, width: number): this {
    this.specs.push({ name: `${prefix}.weight`, shape: [width], kind: 'norm-weight' }, { name: `${prefix}.bias`, shape: [width], kind: 'norm-bias' });
    return this;
  }

  embedding(name: string, rows: number, width: number): this {
    this.specs.push({ name, shape: [rows, width], kind: 'embedding' });
    return this;
  }

  /** One of BERT's post-norm layers (postLnEncoder.ts) under the family's names: hidden H, feed-forward I. */
  postLnLayer(n: PostLnLayerNames, H: number, I: number): this {
    return this.linear(n.query, H, H)
      .linear(n.key, H, H)
      .linear(n.value, H, H)
      .linear(n.attentionOutput, H, H)
      .norm(n.attentionNorm, H)
      .linear(n.intermediate, I, H)
      .linear(n.output, H, I)
      .norm(n.outputNorm, H);
  }
}

/**
 * The parameters `freezeLayers` keeps fixed: with N > 0, the embeddings (and their LayerNorm)
 * and encoder layers 0 … N-1. Throws when the model has fewer layers than that.
 */
export function frozenParameters(c: ModelConfig, freezeLayers: number): Set<string> {
  if (freezeLayers > c.numHiddenLayers) throw new Error(`cannot freeze ${freezeLayers} layers: the model has ${c.numHiddenLayers}`);
  if (freezeLayers <= 0) return new Set();
  const family = familyNamed(c.family);
  const layers = Array.from({ length: freezeLayers }, (_, l) => layerPrefix(family, l));
  const frozen = (name: string) => isEmbedding(family, name) || layers.some(p => name.startsWith(p));
  return new Set(
    parameterSpecs(c)
      .map(s => s.name)
      .filter(frozen),
  );
}

/** Parameters that AdamW decays in the classic recipe: every weight but biases and norms. */
export function isDecayed(spec: ParameterSpec): boolean {
  return spec.kind === 'linear' || spec.kind === 'embedding';
}

/** Whether a parameter belongs to the classification head, which a new task starts afresh. */
export function isHeadParameter(c: Pick<ModelConfig, 'family'>, name: string): boolean {
  return isHead(familyNamed(c.family), name);
}

/** The longest input in tokens the model reads. */
export function maxTokens(c: ModelConfig): number {
  return familyNamed(c.family).maxTokens(c);
}
