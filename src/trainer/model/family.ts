/**
 * What a family of encoders is to the rest of the trainer: one module per family
 * (families/*.ts) answers every question that depends on the architecture, so the loop, the
 * gradient workers, checkpoints, the export and the extension ask the family and never the
 * model type. The loss and the task are not here: they belong to the task, not the family.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { FamilyName } from '../../shared/families';
import type { Random } from '../util/random';
import type { AttentionDropout } from './attention';
import type { ModelConfig, ModelShape } from './config';
import type { RawConfig } from './configFields';
import type { ParameterSpec } from './parameters';

export interface ModelInputs {
  /** int32 [batch, seq] */
  inputIds: tf.Tensor2D;
  /** int32 [batch, seq]; read only by families with token types. */
  tokenTypeIds: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding */
  attentionMask: tf.Tensor2D;
}

/** A float32 tensor in the PyTorch layout, as read from or written to a checkpoint. */
export interface TorchTensor {
  shape: number[];
  data: Float32Array;
}

/** What a family's forward pass is given: the parameters by name, dropout as this pass has it. */
export interface ForwardContext {
  config: ModelConfig;
  param(name: string): tf.Tensor;
  /** Inverted dropout at `rate` while training (a seed per site, so a run repeats); else x. */
  drop<T extends tf.Tensor>(x: T, rate: number): T;
  /** A dropout site's rate and seed while training, else undefined (for attention's fused dropout). */
  dropSite(rate: number): AttentionDropout | undefined;
  /** The word-embedding rows at the input ids, [batch · seq, width], when the caller keeps the table. */
  wordEmbeddings?: tf.Tensor2D;
}

/**
 * The family's parts by name: what head-only trains, what freezing keeps, which Linear gives the
 * logits, which config keys are its dropout. Declared once per family as data, read here and by
 * the export's train.py (recipe.json), which applies the same choices in transformers.
 */
export interface FamilyParts {
  /** Prefixes of the head's parameters (fresh when missing; trained by head-only). */
  head: string[];
  /** Prefixes of the parameters frozen with the embeddings by --freeze-layers. */
  embeddings: string[];
  /** Layer l's prefix, with "{l}" for its number, ending in ".". */
  layer: string;
  /** The Linear that gives the logits (a model for other labels gets a fresh one). */
  outputLayer: string;
  /** config.json's dropout keys (one rate overrides them all). */
  dropout: string[];
}

/** Whether a parameter belongs to the family's head. */
export function isHead(family: Family, name: string): boolean {
  return family.parts.head.some(p => name.startsWith(p));
}

/** Whether a parameter is frozen with the embeddings. */
export function isEmbedding(family: Family, name: string): boolean {
  return family.parts.embeddings.some(p => name.startsWith(p));
}

/** Layer l's prefix ("bert.encoder.layer.3."). */
export function layerPrefix(family: Family, layer: number): string {
  return family.parts.layer.replace('{l}', String(layer));
}

export interface Family {
  readonly name: FamilyName;
  /** The architecture from config.json's keys in this family's spelling (older keys included), checked. */
  readShape(raw: RawConfig, file: string): ModelShape;
  /** The architecture keys to write, as transformers writes them for this family, with `architectures`. */
  writeShape(c: ModelConfig): RawConfig;
  /** Every parameter of the ...ForSequenceClassification, under transformers' names. */
  parameterSpecs(c: ModelConfig): ParameterSpec[];
  /** A stored name in transformers' current spelling (a bare encoder's keys, legacy gamma/beta). */
  canonicalName(stored: string): string;
  /** The word-embedding table's name (gradient workers keep it apart, in shared memory). */
  readonly wordEmbeddings: string;
  /** The longest input in tokens (RoBERTa's positions start after the padding index). */
  maxTokens(c: ModelConfig): number;
  /** The encoder's features for the head: [batch, hidden] (the first token's last state). */
  encode(ctx: ForwardContext, inputs: ModelInputs): tf.Tensor2D;
  /** The head on those features: its last hidden state before the classifier, and the logits. */
  head(ctx: ForwardContext, features: tf.Tensor2D): { pooled: tf.Tensor2D; logits: tf.Tensor2D };
  /** A fresh parameter as transformers' _init_weights makes it, where it differs from the common rule (initWeights.ts). */
  initParameter?(spec: ParameterSpec, c: ModelConfig, random: Random): TorchTensor | undefined;
  /**
   * Floats a padded token of `length` keeps per layer for the backward pass beyond BERT's
   * (parallel/parallelTrainer.ts: activationBytesPerToken), where the family keeps more:
   * measured, and held to a measurement by test/unit/familyMemory.test.ts.
   */
  extraActivationFloats?(c: ModelConfig, length: number): number;
  /** Embedding tables whose padding row transformers zeroes (nn.Embedding's padding_idx). */
  paddingRows(c: ModelConfig): string[];
  readonly parts: FamilyParts;
}
