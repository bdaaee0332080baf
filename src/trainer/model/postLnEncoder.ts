/**
 * BERT's layers, shared by the families that differ from it only in names, embeddings and head
 * (RoBERTa, ELECTRA, DistilBERT), as transformers' modular files reuse modeling_bert: embeddings
 * → LayerNorm → dropout, then N × (self-attention, residual, LayerNorm, feed-forward, residual,
 * LayerNorm), post-norm. Returns the last layer's state at the first token, the one every head
 * of these families reads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attention } from './attention';
import type { ForwardContext, ModelInputs } from './family';
import { activation, dense, embeddingLookup, layerNorm, residual } from './ops';

/** The additive mask value transformers uses: torch.finfo(float32).min. */
const MASK_VALUE = -3.4028234663852886e38;

/** Layer l's Linear and LayerNorm names (without ".weight"/".bias"). */
export interface PostLnLayerNames {
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
}

/** BERT's layer names under a prefix ("bert.encoder.layer.3"): RoBERTa and ELECTRA keep them. */
export function bertLayerNames(prefix: string): PostLnLayerNames {
  return {
    query: `${prefix}.attention.self.query`,
    key: `${prefix}.attention.self.key`,
    value: `${prefix}.attention.self.value`,
    attentionOutput: `${prefix}.attention.output.dense`,
    attentionNorm: `${prefix}.attention.output.LayerNorm`,
    intermediate: `${prefix}.intermediate.dense`,
    output: `${prefix}.output.dense`,
    outputNorm: `${prefix}.output.LayerNorm`,
  };
}

export function linear(ctx: ForwardContext, h: tf.Tensor2D, name: string): tf.Tensor2D {
  return dense(h, ctx.param(`${name}.weight`) as tf.Tensor2D, ctx.param(`${name}.bias`) as tf.Tensor1D);
}

export function norm(ctx: ForwardContext, h: tf.Tensor2D, name: string): tf.Tensor2D {
  return layerNorm(h, ctx.param(`${name}.weight`) as tf.Tensor1D, ctx.param(`${name}.bias`) as tf.Tensor1D, ctx.config.layerNormEps);
}

/** Rows of `table` at int32 `ids` [batch, seq] → [batch · seq, width]. */
export function lookup(ctx: ForwardContext, table: string, ids: tf.Tensor2D): tf.Tensor2D {
  return embeddingLookup(ctx.param(table) as tf.Tensor2D, tf.reshape(ids, [ids.size]) as tf.Tensor1D);
}

/** The word embeddings at the input ids: the caller's rows when it keeps the table, else a lookup. */
export function wordRows(ctx: ForwardContext, table: string, ids: tf.Tensor2D): tf.Tensor2D {
  return ctx.wordEmbeddings ?? lookup(ctx, table, ids);
}

/** [B, 1, 1, S]: 0 where attended, the most negative float where padded. */
export function additiveMask(inputs: ModelInputs): tf.Tensor4D {
  const [B, S] = inputs.attentionMask.shape;
  return tf.reshape(tf.mul(tf.sub(1, tf.cast(inputs.attentionMask, 'float32')), MASK_VALUE), [B, 1, 1, S]);
}

export interface PostLnOptions {
  names: (layer: number) => PostLnLayerNames;
  /** Dropout on the attention's output projection (BERT's); DistilBERT has none there. */
  dropAttentionOutput: boolean;
}

/**
 * The post-norm layers over embedded tokens x [B·S, H]; returns the last layer's first-token
 * state [B, H]. In the last layer only that row's query, attention output and feed-forward are
 * computed (keys and values still come from every position): the same result, at a fraction
 * of the layer, since the head reads nothing else.
 */
export function postLnLayers(ctx: ForwardContext, x: tf.Tensor2D, inputs: ModelInputs, options: PostLnOptions): tf.Tensor2D {
  const c = ctx.config;
  const [B, S] = inputs.inputIds.shape;
  const H = c.hiddenSize;
  const heads = c.numAttentionHeads;
  const mask = additiveMask(inputs);
  const layers = c.numHiddenLayers;
  for (let l = 0; l < layers; l++) {
    // A scope per layer: what the backward pass does not need (saved tensors are kept apart)
    // goes when the layer ends, not when the whole forward pass does.
    const input = x;
    x = tf.tidy(() => {
      const x = input;
      const n = options.names(l);
      const last = l === layers - 1;
      const rows = last ? (tf.reshape(tf.slice(tf.reshape(x, [B, S, H]), [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D) : x;
      const context = attention(
        linear(ctx, rows, n.query),
        linear(ctx, x, n.key),
        linear(ctx, x, n.value),
        mask,
        { batch: B, queries: last ? 1 : S, keys: S, heads, headSize: H / heads },
        ctx.dropSite(c.attentionProbsDropoutProb),
      );
      const projected = linear(ctx, context, n.attentionOutput);
      const attended = options.dropAttentionOutput ? ctx.drop(projected, c.hiddenDropoutProb) : projected;
      const y = norm(ctx, residual(attended, rows), n.attentionNorm);
      const inner = activation(linear(ctx, y, n.intermediate), c.hiddenAct);
      const out = ctx.drop(linear(ctx, inner, n.output), c.hiddenDropoutProb);
      return norm(ctx, residual(out, y), n.outputNorm);
    });
  }
  // After the last layer (configs have at least one) x holds the first-token rows only: [B, H].
  return x;
}

/** Embedding sum [B·S, width] → LayerNorm → dropout, as every one of these families starts. */
export function normalisedEmbeddings(ctx: ForwardContext, summed: tf.Tensor2D, normName: string): tf.Tensor2D {
  return ctx.drop(norm(ctx, summed, normName), ctx.config.hiddenDropoutProb);
}

/** The first `length` rows of a position table: positions 0 … length − 1. */
export function firstPositions(ctx: ForwardContext, table: string, length: number): tf.Tensor2D {
  const t = ctx.param(table) as tf.Tensor2D;
  return tf.slice(t, [0, 0], [length, t.shape[1]]);
}
