/**
 * DistilBERT (transformers' modeling_distilbert): BERT's post-norm layers under other names,
 * no token types, no dropout on the attention's output projection, LayerNorm eps fixed at
 * 1e-12 in code; the head is pre_classifier → ReLU → dropout (seq_classif_dropout) → classifier
 * on [CLS]. Positions are learned from 0, or a sinusoidal table when the config asks for one
 * (only its initialisation differs: transformers trains it like any other weight).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkHeads, dropoutRate, hiddenActivation, num, padId, positiveInt } from '../configFields';
import type { Family } from '../family';
import { SpecList } from '../parameters';
import { firstPositions, linear, normalisedEmbeddings, postLnLayers, wordRows, type PostLnLayerNames } from '../postLnEncoder';

const layerNames = (l: number): PostLnLayerNames => {
  const p = `distilbert.transformer.layer.${l}`;
  return {
    query: `${p}.attention.q_lin`,
    key: `${p}.attention.k_lin`,
    value: `${p}.attention.v_lin`,
    attentionOutput: `${p}.attention.out_lin`,
    attentionNorm: `${p}.sa_layer_norm`,
    intermediate: `${p}.ffn.lin1`,
    output: `${p}.ffn.lin2`,
    outputNorm: `${p}.output_layer_norm`,
  };
};

/** transformers' _create_sinusoidal_embeddings: sin on even columns, cos on odd, in float64 then float32. */
export function sinusoidalTable(positions: number, dim: number): Float32Array {
  const out = new Float32Array(positions * dim);
  for (let pos = 0; pos < positions; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export const distilbert: Family = {
  name: 'distilbert',
  readShape(r, file) {
    const hiddenSize = positiveInt(r, 'dim', file, 768);
    const numAttentionHeads = positiveInt(r, 'n_heads', file, 12);
    checkHeads(hiddenSize, numAttentionHeads, file, ['dim', 'n_heads']);
    return {
      vocabSize: positiveInt(r, 'vocab_size', file, 30522),
      hiddenSize,
      embeddingSize: hiddenSize,
      numHiddenLayers: positiveInt(r, 'n_layers', file, 6),
      numAttentionHeads,
      intermediateSize: positiveInt(r, 'hidden_dim', file, 3072),
      hiddenAct: hiddenActivation(r, 'activation', file, 'gelu'),
      hiddenDropoutProb: dropoutRate(r, 'dropout', file, 0.1),
      attentionProbsDropoutProb: dropoutRate(r, 'attention_dropout', file, 0.1),
      classifierDropout: dropoutRate(r, 'seq_classif_dropout', file, 0.2),
      maxPositionEmbeddings: positiveInt(r, 'max_position_embeddings', file, 512),
      typeVocabSize: 0,
      initializerRange: num(r, 'initializer_range', file, 0.02),
      layerNormEps: 1e-12, // nn.LayerNorm(dim, eps=1e-12) in its code, whatever the config says
      padTokenId: padId(r, 0),
    };
  },
  writeShape: c => ({
    architectures: ['DistilBertForSequenceClassification'],
    vocab_size: c.vocabSize,
    dim: c.hiddenSize,
    n_layers: c.numHiddenLayers,
    n_heads: c.numAttentionHeads,
    hidden_dim: c.intermediateSize,
    activation: c.hiddenAct,
    dropout: c.hiddenDropoutProb,
    attention_dropout: c.attentionProbsDropoutProb,
    seq_classif_dropout: c.classifierDropout ?? 0.2,
    max_position_embeddings: c.maxPositionEmbeddings,
    initializer_range: c.initializerRange,
    pad_token_id: c.padTokenId,
  }),
  parameterSpecs(c) {
    const H = c.hiddenSize;
    const specs = new SpecList()
      .embedding('distilbert.embeddings.word_embeddings.weight', c.vocabSize, H)
      .embedding('distilbert.embeddings.position_embeddings.weight', c.maxPositionEmbeddings, H)
      .norm('distilbert.embeddings.LayerNorm', H);
    for (let l = 0; l < c.numHiddenLayers; l++) specs.postLnLayer(layerNames(l), H, c.intermediateSize);
    return specs.linear('pre_classifier', H, H).linear('classifier', c.id2label.length, H).specs;
  },
  canonicalName: stored => (/^(embeddings|transformer)\./.test(stored) ? `distilbert.${stored}` : stored),
  wordEmbeddings: 'distilbert.embeddings.word_embeddings.weight',
  maxTokens: c => c.maxPositionEmbeddings,
  encode(ctx, inputs) {
    const [B, S] = inputs.inputIds.shape;
    const H = ctx.config.hiddenSize;
    const words = tf.reshape(wordRows(ctx, 'distilbert.embeddings.word_embeddings.weight', inputs.inputIds), [B, S, H]);
    const summed = tf.reshape(tf.add(words, firstPositions(ctx, 'distilbert.embeddings.position_embeddings.weight', S)), [B * S, H]) as tf.Tensor2D;
    const x = normalisedEmbeddings(ctx, summed, 'distilbert.embeddings.LayerNorm');
    return postLnLayers(ctx, x, inputs, { names: layerNames, dropAttentionOutput: false });
  },
  head(ctx, features) {
    const pooled = tf.relu(linear(ctx, features, 'pre_classifier')) as tf.Tensor2D;
    return { pooled, logits: linear(ctx, ctx.drop(pooled, ctx.config.classifierDropout ?? 0.2), 'classifier') };
  },
  initParameter(spec, c) {
    if (spec.name !== 'distilbert.embeddings.position_embeddings.weight' || c.raw.sinusoidal_pos_embds !== true) return undefined;
    return { shape: spec.shape, data: sinusoidalTable(spec.shape[0], spec.shape[1]) };
  },
  paddingRows: () => ['distilbert.embeddings.word_embeddings.weight'],
  parts: {
    head: ['pre_classifier.', 'classifier.'],
    embeddings: ['distilbert.embeddings.'],
    layer: 'distilbert.transformer.layer.{l}.',
    outputLayer: 'classifier',
    dropout: ['dropout', 'attention_dropout', 'seq_classif_dropout'],
  },
};
