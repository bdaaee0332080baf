/**
 * RoBERTa, XLM-RoBERTa and CamemBERT (transformers' modular_roberta: BERT's layers): positions
 * count from padding_idx + 1 over the non-padding tokens, so max_position_embeddings − 2 are
 * usable; no pooler; the head is dropout → dense → tanh → dropout → out_proj on <s>.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Family, ForwardContext } from '../family';
import { SpecList } from '../parameters';
import { bertLayerNames, linear, lookup, postLnLayers } from '../postLnEncoder';
import { bertEmbeddings, bertEncoderSpecs, canonicalBertName, readBertShape, writeBertShape } from './bert';

const ARCHITECTURES: Record<string, string> = {
  roberta: 'RobertaForSequenceClassification',
  'xlm-roberta': 'XLMRobertaForSequenceClassification',
  camembert: 'CamembertForSequenceClassification',
};

/** dropout → dense → activation → dropout → out_proj on the first token: RoBERTa's head, and ELECTRA's with GELU. */
export function classificationHead(ctx: ForwardContext, features: tf.Tensor2D, act: (x: tf.Tensor2D) => tf.Tensor2D) {
  const c = ctx.config;
  const rate = c.classifierDropout ?? c.hiddenDropoutProb;
  const pooled = act(linear(ctx, ctx.drop(features, rate), 'classifier.dense'));
  return { pooled, logits: linear(ctx, ctx.drop(pooled, rate), 'classifier.out_proj') };
}

export const roberta: Family = {
  name: 'roberta',
  // RobertaConfig's defaults: pad 1; roberta-base's own file says eps 1e-5 and one token type.
  readShape: (r, file) => readBertShape(r, file, { layerNormEps: 1e-12, typeVocabSize: 2, padTokenId: 1 }),
  writeShape: c => writeBertShape(c, ARCHITECTURES[c.modelType] ?? ARCHITECTURES.roberta),
  parameterSpecs: c =>
    bertEncoderSpecs(new SpecList(), c, 'roberta')
      .linear('classifier.dense', c.hiddenSize, c.hiddenSize)
      .linear('classifier.out_proj', c.id2label.length, c.hiddenSize).specs,
  // XLM-R and CamemBERT checkpoints store their weights under "roberta." too.
  canonicalName: stored => canonicalBertName(stored, 'roberta'),
  wordEmbeddings: 'roberta.embeddings.word_embeddings.weight',
  maxTokens: c => c.maxPositionEmbeddings - c.padTokenId - 1,
  encode(ctx, inputs) {
    const pad = ctx.config.padTokenId;
    // transformers' create_position_ids_from_input_ids: cumsum(ids ≠ pad) · (ids ≠ pad) + pad.
    // Counted in float32, exact far beyond any sequence length.
    const positionIds = tf.tidy(() => {
      const real = tf.cast(tf.notEqual(inputs.inputIds, pad), 'float32');
      return tf.cast(tf.add(tf.mul(tf.cumsum(real, 1), real), pad), 'int32') as tf.Tensor2D;
    });
    const positions = lookup(ctx, 'roberta.embeddings.position_embeddings.weight', positionIds);
    // RoBERTa's tokenizers give no token types: the model reads type 0 everywhere.
    const x = bertEmbeddings(ctx, { ...inputs, tokenTypeIds: tf.zerosLike(inputs.inputIds) }, 'roberta', positions);
    return postLnLayers(ctx, x, inputs, { names: l => bertLayerNames(`roberta.encoder.layer.${l}`), dropAttentionOutput: true });
  },
  head: (ctx, features) => classificationHead(ctx, features, x => tf.tanh(x) as tf.Tensor2D),
  paddingRows: () => ['roberta.embeddings.word_embeddings.weight', 'roberta.embeddings.position_embeddings.weight'],
  parts: {
    head: ['classifier.'],
    embeddings: ['roberta.embeddings.'],
    layer: 'roberta.encoder.layer.{l}.',
    outputLayer: 'classifier.out_proj',
    dropout: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout'],
  },
};
