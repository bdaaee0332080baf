/**
 * BERT (transformers' modeling_bert): learned absolute positions from 0, token types,
 * post-LayerNorm layers, a pooler (dense + tanh on [CLS]) and `classifier`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, ModelShape } from '../config';
import {
  checkHeads,
  ConfigError,
  dropoutRate,
  hiddenActivation,
  layerNormEpsilon,
  optionalDropoutRate,
  padId,
  positiveInt,
  num,
  type RawConfig,
} from '../configFields';
import type { Family, ForwardContext, ModelInputs } from '../family';
import { SpecList } from '../parameters';
import { bertLayerNames, linear, lookup, normalisedEmbeddings, postLnLayers, wordRows } from '../postLnEncoder';

/** BertConfig's keys and defaults, shared by the families that keep them (RoBERTa, ELECTRA). */
export function readBertShape(r: RawConfig, file: string, defaults: { layerNormEps: number; typeVocabSize: number; padTokenId: number }): ModelShape {
  if (r.position_embedding_type !== undefined && r.position_embedding_type !== 'absolute') {
    throw new ConfigError(`${file}: position_embedding_type "${String(r.position_embedding_type)}" is not supported; only "absolute"`);
  }
  const hiddenSize = positiveInt(r, 'hidden_size', file, 768);
  const numAttentionHeads = positiveInt(r, 'num_attention_heads', file, 12);
  checkHeads(hiddenSize, numAttentionHeads, file);
  return {
    vocabSize: positiveInt(r, 'vocab_size', file, 30522),
    hiddenSize,
    embeddingSize: hiddenSize,
    numHiddenLayers: positiveInt(r, 'num_hidden_layers', file, 12),
    numAttentionHeads,
    intermediateSize: positiveInt(r, 'intermediate_size', file, 3072),
    hiddenAct: hiddenActivation(r, 'hidden_act', file, 'gelu'),
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', file, 0.1),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', file, 0.1),
    classifierDropout: optionalDropoutRate(r, 'classifier_dropout', file),
    maxPositionEmbeddings: positiveInt(r, 'max_position_embeddings', file, 512),
    typeVocabSize: positiveInt(r, 'type_vocab_size', file, defaults.typeVocabSize),
    initializerRange: num(r, 'initializer_range', file, 0.02),
    layerNormEps: layerNormEpsilon(r, 'layer_norm_eps', file, defaults.layerNormEps),
    padTokenId: padId(r, defaults.padTokenId),
  };
}

/** BertConfig's keys as transformers writes them. */
export function writeBertShape(c: ModelConfig, architecture: string): RawConfig {
  return {
    architectures: [architecture],
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    classifier_dropout: c.classifierDropout,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    initializer_range: c.initializerRange,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
  };
}

/** BERT's embeddings and encoder under a prefix ("bert", "roberta", "electra"), at width `width`. */
export function bertEncoderSpecs(specs: SpecList, c: ModelConfig, prefix: string): SpecList {
  const H = c.hiddenSize;
  const E = c.embeddingSize;
  specs
    .embedding(`${prefix}.embeddings.word_embeddings.weight`, c.vocabSize, E)
    .embedding(`${prefix}.embeddings.position_embeddings.weight`, c.maxPositionEmbeddings, E)
    .embedding(`${prefix}.embeddings.token_type_embeddings.weight`, c.typeVocabSize, E)
    .norm(`${prefix}.embeddings.LayerNorm`, E);
  if (E !== H) specs.linear(`${prefix}.embeddings_project`, H, E);
  for (let l = 0; l < c.numHiddenLayers; l++) specs.postLnLayer(bertLayerNames(`${prefix}.encoder.layer.${l}`), H, c.intermediateSize);
  return specs;
}

/** LayerNorm's legacy gamma/beta, and a bare encoder's keys ("embeddings.…") under the prefix. */
export function canonicalBertName(stored: string, prefix: string): string {
  const n = stored.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  return /^(embeddings|encoder|pooler|embeddings_project)\./.test(n) ? `${prefix}.${n}` : n;
}

/** Word + position + token type embeddings (positions from `positions`, [S, E] or [B·S, E]), then LayerNorm and dropout. */
export function bertEmbeddings(ctx: ForwardContext, inputs: ModelInputs, prefix: string, positions: tf.Tensor2D): tf.Tensor2D {
  const [B, S] = inputs.inputIds.shape;
  const E = ctx.config.embeddingSize;
  const words = tf.reshape(wordRows(ctx, `${prefix}.embeddings.word_embeddings.weight`, inputs.inputIds), [B, S, E]);
  const types = tf.reshape(lookup(ctx, `${prefix}.embeddings.token_type_embeddings.weight`, inputs.tokenTypeIds), [B, S, E]);
  const summed = tf.reshape(tf.add(tf.add(words, tf.reshape(positions, positions.shape[0] === S ? [S, E] : [B, S, E])), types), [B * S, E]) as tf.Tensor2D;
  return normalisedEmbeddings(ctx, summed, `${prefix}.embeddings.LayerNorm`);
}

export const bert: Family = {
  name: 'bert',
  readShape: (r, file) => readBertShape(r, file, { layerNormEps: 1e-12, typeVocabSize: 2, padTokenId: 0 }),
  writeShape: c => writeBertShape(c, 'BertForSequenceClassification'),
  parameterSpecs: c =>
    bertEncoderSpecs(new SpecList(), c, 'bert').linear('bert.pooler.dense', c.hiddenSize, c.hiddenSize).linear('classifier', c.id2label.length, c.hiddenSize)
      .specs,
  canonicalName: stored => canonicalBertName(stored, 'bert'),
  wordEmbeddings: 'bert.embeddings.word_embeddings.weight',
  maxTokens: c => c.maxPositionEmbeddings,
  encode(ctx, inputs) {
    const S = inputs.inputIds.shape[1];
    const positions = tf.slice(ctx.param('bert.embeddings.position_embeddings.weight'), [0, 0], [S, ctx.config.hiddenSize]) as tf.Tensor2D;
    const x = bertEmbeddings(ctx, inputs, 'bert', positions);
    return postLnLayers(ctx, x, inputs, { names: l => bertLayerNames(`bert.encoder.layer.${l}`), dropAttentionOutput: true });
  },
  head(ctx, features) {
    const c = ctx.config;
    const pooled = tf.tanh(linear(ctx, features, 'bert.pooler.dense')) as tf.Tensor2D;
    return { pooled, logits: linear(ctx, ctx.drop(pooled, c.classifierDropout ?? c.hiddenDropoutProb), 'classifier') };
  },
  paddingRows: () => ['bert.embeddings.word_embeddings.weight'],
  parts: {
    head: ['bert.pooler.', 'classifier.'],
    embeddings: ['bert.embeddings.'],
    layer: 'bert.encoder.layer.{l}.',
    outputLayer: 'classifier',
    dropout: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout'],
  },
};
