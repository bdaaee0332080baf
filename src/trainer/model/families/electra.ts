/**
 * The ELECTRA discriminator (transformers' modeling_electra: BERT's layers): embeddings at
 * `embedding_size`, projected to the hidden size by `embeddings_project` when the two differ; no
 * pooler; the head is dropout → dense → GELU → dropout → out_proj on [CLS].
 */
import * as tf from '@tensorflow/tfjs-core';
import { positiveInt } from '../configFields';
import type { Family } from '../family';
import { activation } from '../ops';
import { SpecList } from '../parameters';
import { bertLayerNames, linear, postLnLayers } from '../postLnEncoder';
import { bertEmbeddings, bertEncoderSpecs, canonicalBertName, readBertShape, writeBertShape } from './bert';
import { classificationHead } from './roberta';

export const electra: Family = {
  name: 'electra',
  readShape(r, file) {
    const shape = readBertShape(r, file, { layerNormEps: 1e-12, typeVocabSize: 2, padTokenId: 0 });
    return { ...shape, embeddingSize: positiveInt(r, 'embedding_size', file, 128) };
  },
  writeShape: c => ({ ...writeBertShape(c, 'ElectraForSequenceClassification'), embedding_size: c.embeddingSize }),
  parameterSpecs: c =>
    bertEncoderSpecs(new SpecList(), c, 'electra')
      .linear('classifier.dense', c.hiddenSize, c.hiddenSize)
      .linear('classifier.out_proj', c.id2label.length, c.hiddenSize).specs,
  // A discriminator saved bare (ElectraModel) or for pre-training keeps "electra." or has no prefix.
  canonicalName: stored => canonicalBertName(stored, 'electra'),
  wordEmbeddings: 'electra.embeddings.word_embeddings.weight',
  maxTokens: c => c.maxPositionEmbeddings,
  encode(ctx, inputs) {
    const c = ctx.config;
    const S = inputs.inputIds.shape[1];
    const positions = tf.slice(ctx.param('electra.embeddings.position_embeddings.weight'), [0, 0], [S, c.embeddingSize]) as tf.Tensor2D;
    let x = bertEmbeddings(ctx, inputs, 'electra', positions);
    if (c.embeddingSize !== c.hiddenSize) x = linear(ctx, x, 'electra.embeddings_project');
    return postLnLayers(ctx, x, inputs, { names: l => bertLayerNames(`electra.encoder.layer.${l}`), dropAttentionOutput: true });
  },
  // "although BERT uses tanh here, it seems Electra authors used gelu here" (transformers)
  head: (ctx, features) => classificationHead(ctx, features, x => activation(x, 'gelu')),
  paddingRows: () => ['electra.embeddings.word_embeddings.weight'],
  parts: {
    head: ['classifier.'],
    embeddings: ['electra.embeddings.', 'electra.embeddings_project.'],
    layer: 'electra.encoder.layer.{l}.',
    outputLayer: 'classifier.out_proj',
    dropout: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout'],
  },
};
