/**
 * DeBERTa-v2 and -v3 (transformers' modeling_deberta_v2): BERT's post-norm layers whose
 * attention is disentangled: content to content, content to position (c2p) and position to
 * content (p2c), the relative positions in log buckets; embeddings multiplied by the attention
 * mask; no absolute positions when `position_biased_input` is false (v3); ContextPooler
 * (dropout → dense → activation on the first token) → dropout → classifier. The config class's
 * defaults (no relative attention, absolute positions) hold when a key is missing, as there.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DebertaShape, ModelConfig } from '../config';
import {
  checkHeads,
  ConfigError,
  dropoutRate,
  hiddenActivation,
  layerNormEpsilon,
  num,
  optionalDropoutRate,
  padId,
  positiveInt,
  type RawConfig,
} from '../configFields';
import type { Family, ForwardContext, ModelInputs } from '../family';
import { attention } from '../attention';
import { activation, dense, embeddingLookup, residual } from '../ops';
import { SpecList } from '../parameters';
import { bertLayerNames, linear, lookup, norm, wordRows } from '../postLnEncoder';

const MASK_VALUE = -3.4028234663852886e38;

const layerNames = (l: number) => {
  const p = `deberta.encoder.layer.${l}`;
  return { ...bertLayerNames(p), query: `${p}.attention.self.query_proj`, key: `${p}.attention.self.key_proj`, value: `${p}.attention.self.value_proj` };
};

function readDeberta(r: RawConfig, file: string, maxPositions: number): DebertaShape {
  const types = r.pos_att_type ?? [];
  const list =
    typeof types === 'string'
      ? types
          .toLowerCase()
          .split('|')
          .map(t => t.trim())
      : types;
  if (!Array.isArray(list) || !list.every(t => t === 'c2p' || t === 'p2c'))
    throw new ConfigError(`${file}: pos_att_type ${JSON.stringify(types)} is not supported (c2p, p2c, or both)`);
  const relativeAttention = r.relative_attention === true;
  const given = r.max_relative_positions === undefined ? -1 : num(r, 'max_relative_positions', file);
  const maxRelativePositions = given < 1 ? maxPositions : given;
  const buckets = r.position_buckets === undefined ? -1 : num(r, 'position_buckets', file);
  if (typeof r.conv_kernel_size === 'number' && r.conv_kernel_size > 0)
    throw new ConfigError(
      `${file}: conv_kernel_size ${r.conv_kernel_size}: DeBERTa's convolution layer (deberta-v2-xlarge) is not supported; DeBERTa-v3 has none.`,
    );
  const normRel =
    typeof r.norm_rel_ebd === 'string'
      ? r.norm_rel_ebd
          .toLowerCase()
          .split('|')
          .map(t => t.trim())
      : [];
  return {
    relativeAttention,
    c2p: list.includes('c2p'),
    p2c: list.includes('p2c'),
    positionBuckets: buckets > 0 ? buckets : -1,
    maxRelativePositions,
    shareAttKey: r.share_att_key === true,
    normRelEmbeddings: normRel.includes('layer_norm'),
    positionBiasedInput: r.position_biased_input !== false,
    poolerDropout: dropoutRate(r, 'pooler_dropout', file, 0),
    poolerAct: hiddenActivation(r, 'pooler_hidden_act', file, 'gelu'),
  };
}

const options = (c: ModelConfig): DebertaShape => {
  if (!c.deberta) throw new Error('a DeBERTa config without its DeBERTa fields');
  return c.deberta;
};

/** The relative-position table's half width: position_buckets when set, else max_relative_positions. */
const span = (o: DebertaShape) => (o.positionBuckets > 0 ? o.positionBuckets : o.maxRelativePositions);

const f32 = Math.fround;

/** make_log_bucket_position for one relative position, in float32 as torch computes it. */
export function logBucket(rel: number, bucketSize: number, maxPosition: number): number {
  const mid = Math.floor(bucketSize / 2);
  const absPos = rel < mid && rel > -mid ? mid - 1 : Math.abs(rel);
  if (absPos <= mid) return rel;
  const logPos = Math.ceil(f32(f32(f32(Math.log(f32(absPos / mid))) / f32(Math.log(f32((maxPosition - 1) / mid)))) * (mid - 1))) + mid;
  return logPos * Math.sign(rel);
}

/** relative_pos[i, j] = bucket(i − j) for S positions, row-major. */
export function relativePositions(S: number, o: DebertaShape): Int32Array {
  const out = new Int32Array(S * S);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++) out[i * S + j] = o.positionBuckets > 0 ? logBucket(i - j, o.positionBuckets, o.maxRelativePositions) : i - j;
  return out;
}

/**
 * out[b, h, x, y] = a[b, h, x, index[x, y]] for a [B, heads, S, width] (torch.gather on the last
 * axis with one index for every batch and head), as an embedding lookup into a's rows so that its
 * gradient is our scatter (tfjs's gather has no gradient kernel on WASM).
 */
function gatherLast(a: tf.Tensor4D, indexOf: () => Int32Array, S: number, kind: string): tf.Tensor4D {
  const [B, H, , width] = a.shape;
  const key = `${kind} ${B} ${H} ${S} ${width}`;
  let flat = flatIndexes.get(key);
  if (!flat) {
    // Computed only here: every later layer and batch of this shape finds it made.
    const index = indexOf();
    flat = new Int32Array(B * H * S * S);
    for (let bh = 0; bh < B * H; bh++)
      for (let x = 0; x < S; x++) for (let y = 0; y < S; y++) flat[(bh * S + x) * S + y] = (bh * S + x) * width + index[x * S + y];
    // The same for every layer and every batch of this shape: a few kept, the oldest dropped.
    if (flatIndexes.size >= 8) flatIndexes.delete(flatIndexes.keys().next().value!);
    flatIndexes.set(key, flat);
  }
  const rows = embeddingLookup(tf.reshape(a, [B * H * S * width, 1]) as tf.Tensor2D, tf.tensor1d(flat, 'int32'));
  return tf.reshape(rows, [B, H, S, S]);
}

/** Flat gather indexes by kind and shape (the relative positions depend on the shape and the config only). */
const flatIndexes = new Map<string, Int32Array>();

/** [rows, hidden] → [1, heads, rows, head size]. */
const heads = (t: tf.Tensor2D, n: number) => tf.transpose(tf.reshape(t, [1, t.shape[0], n, t.shape[1] / n]), [0, 2, 1, 3]) as tf.Tensor4D;

/**
 * c2p + p2c for one layer, [B, heads, S, S], already divided by √(head size · scale factor):
 * the bias the attention adds to its content scores.
 */
function relativeBias(
  ctx: ForwardContext,
  l: number,
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  relEmbeddings: tf.Tensor2D,
  /** relative_pos [S·S], made when first asked for */
  rel: () => Int32Array,
  B: number,
  S: number,
): tf.Tensor4D {
  const c = ctx.config;
  const o = options(c);
  const n = c.numAttentionHeads;
  const d = c.hiddenSize / n;
  const p = `deberta.encoder.layer.${l}.attention.self`;
  const scale = Math.sqrt(d * (1 + Number(o.c2p) + Number(o.p2c)));
  const width = 2 * span(o);
  const rows = ctx.drop(relEmbeddings, c.hiddenDropoutProb);
  // Every position of every row against each relative distance, per head: [heads, B·S, d] ·
  // [heads, width, d]ᵀ, then [B, heads, S, width] (a batched matmul broadcasting over B would
  // leave tfjs a gradient of the wrong shape).
  const scores = (t: tf.Tensor2D, pos: tf.Tensor4D) => {
    const perHead = tf.transpose(tf.reshape(t, [B * S, n, d]), [1, 0, 2]);
    const s = tf.matMul(perHead, tf.reshape(pos, [n, width, d]), false, true);
    return tf.transpose(tf.reshape(s, [n, B, S, width]), [1, 0, 2, 3]) as tf.Tensor4D;
  };
  let bias: tf.Tensor4D | undefined;
  if (o.c2p) {
    const posKey = heads(linear(ctx, rows, o.shareAttKey ? `${p}.key_proj` : `${p}.pos_key_proj`), n);
    const index = () => rel().map(r => Math.min(Math.max(r + span(o), 0), width - 1));
    const c2p = gatherLast(scores(q, posKey), index, S, `c2p ${span(o)} ${o.positionBuckets} ${o.maxRelativePositions}`);
    bias = tf.div(c2p, scale) as tf.Tensor4D;
  }
  if (o.p2c) {
    const posQuery = heads(linear(ctx, rows, o.shareAttKey ? `${p}.query_proj` : `${p}.pos_query_proj`), n);
    const index = () => rel().map(r => Math.min(Math.max(-r + span(o), 0), width - 1));
    const p2c = tf.transpose(
      gatherLast(scores(k, posQuery), index, S, `p2c ${span(o)} ${o.positionBuckets} ${o.maxRelativePositions}`),
      [0, 1, 3, 2],
    ) as tf.Tensor4D;
    bias = (bias ? tf.add(bias, tf.div(p2c, scale)) : tf.div(p2c, scale)) as tf.Tensor4D;
  }
  return bias!;
}

export const deberta: Family = {
  name: 'deberta',
  readShape(r, file) {
    // DebertaV2Config's defaults, which differ from BERT's: vocab 128,100, 1,536 wide, eps 1e-7, no token types.
    const hiddenSize = positiveInt(r, 'hidden_size', file, 1536);
    const numAttentionHeads = positiveInt(r, 'num_attention_heads', file, 24);
    checkHeads(hiddenSize, numAttentionHeads, file);
    if (r.attention_head_size !== undefined && r.attention_head_size !== hiddenSize / numAttentionHeads)
      throw new ConfigError(`${file}: attention_head_size ${String(r.attention_head_size)} other than hidden_size / num_attention_heads is not supported`);
    if (r.pooler_hidden_size !== undefined && r.pooler_hidden_size !== hiddenSize)
      throw new ConfigError(`${file}: pooler_hidden_size ${String(r.pooler_hidden_size)} other than hidden_size is not supported`);
    const maxPositionEmbeddings = positiveInt(r, 'max_position_embeddings', file, 512);
    return {
      vocabSize: positiveInt(r, 'vocab_size', file, 128100),
      hiddenSize,
      embeddingSize: r.embedding_size === undefined || r.embedding_size === null ? hiddenSize : positiveInt(r, 'embedding_size', file),
      numHiddenLayers: positiveInt(r, 'num_hidden_layers', file, 24),
      numAttentionHeads,
      intermediateSize: positiveInt(r, 'intermediate_size', file, 6144),
      hiddenAct: hiddenActivation(r, 'hidden_act', file, 'gelu'),
      hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', file, 0.1),
      attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', file, 0.1),
      classifierDropout: optionalDropoutRate(r, 'cls_dropout', file),
      maxPositionEmbeddings,
      typeVocabSize: r.type_vocab_size === 0 || r.type_vocab_size === undefined ? 0 : positiveInt(r, 'type_vocab_size', file),
      initializerRange: num(r, 'initializer_range', file, 0.02),
      layerNormEps: layerNormEpsilon(r, 'layer_norm_eps', file, 1e-7),
      padTokenId: padId(r, 0),
      deberta: readDeberta(r, file, maxPositionEmbeddings),
    };
  },
  writeShape(c) {
    const o = options(c);
    const types = [...(o.p2c ? ['p2c'] : []), ...(o.c2p ? ['c2p'] : [])];
    return {
      architectures: ['DebertaV2ForSequenceClassification'],
      vocab_size: c.vocabSize,
      hidden_size: c.hiddenSize,
      ...(c.embeddingSize !== c.hiddenSize && { embedding_size: c.embeddingSize }),
      num_hidden_layers: c.numHiddenLayers,
      num_attention_heads: c.numAttentionHeads,
      intermediate_size: c.intermediateSize,
      hidden_act: c.hiddenAct,
      hidden_dropout_prob: c.hiddenDropoutProb,
      attention_probs_dropout_prob: c.attentionProbsDropoutProb,
      cls_dropout: c.classifierDropout,
      max_position_embeddings: c.maxPositionEmbeddings,
      type_vocab_size: c.typeVocabSize,
      initializer_range: c.initializerRange,
      layer_norm_eps: c.layerNormEps,
      pad_token_id: c.padTokenId,
      relative_attention: o.relativeAttention,
      pos_att_type: types,
      position_buckets: o.positionBuckets,
      max_relative_positions: o.maxRelativePositions,
      share_att_key: o.shareAttKey,
      norm_rel_ebd: o.normRelEmbeddings ? 'layer_norm' : 'none',
      position_biased_input: o.positionBiasedInput,
      pooler_dropout: o.poolerDropout,
      pooler_hidden_act: o.poolerAct,
      pooler_hidden_size: c.hiddenSize,
    };
  },
  parameterSpecs(c) {
    const o = options(c);
    const H = c.hiddenSize;
    const E = c.embeddingSize;
    const specs = new SpecList().embedding('deberta.embeddings.word_embeddings.weight', c.vocabSize, E);
    if (o.positionBiasedInput) specs.embedding('deberta.embeddings.position_embeddings.weight', c.maxPositionEmbeddings, E);
    if (c.typeVocabSize > 0) specs.embedding('deberta.embeddings.token_type_embeddings.weight', c.typeVocabSize, E);
    if (E !== H) specs.specs.push({ name: 'deberta.embeddings.embed_proj.weight', shape: [H, E], kind: 'linear' });
    specs.norm('deberta.embeddings.LayerNorm', H);
    for (let l = 0; l < c.numHiddenLayers; l++) {
      specs.postLnLayer(layerNames(l), H, c.intermediateSize);
      if (o.relativeAttention && !o.shareAttKey) {
        if (o.c2p) specs.linear(`deberta.encoder.layer.${l}.attention.self.pos_key_proj`, H, H);
        if (o.p2c) specs.linear(`deberta.encoder.layer.${l}.attention.self.pos_query_proj`, H, H);
      }
    }
    if (o.relativeAttention) {
      specs.embedding('deberta.encoder.rel_embeddings.weight', 2 * span(o), H);
      if (o.normRelEmbeddings) specs.norm('deberta.encoder.LayerNorm', H);
    }
    return specs.linear('pooler.dense', H, H).linear('classifier', c.id2label.length, H).specs;
  },
  canonicalName: stored => (/^(embeddings|encoder)\./.test(stored) ? `deberta.${stored}` : stored),
  wordEmbeddings: 'deberta.embeddings.word_embeddings.weight',
  maxTokens: c => c.maxPositionEmbeddings,
  encode(ctx, inputs: ModelInputs) {
    const c = ctx.config;
    const o = options(c);
    const [B, S] = inputs.inputIds.shape;
    const H = c.hiddenSize;
    const E = c.embeddingSize;
    let summed = tf.reshape(wordRows(ctx, 'deberta.embeddings.word_embeddings.weight', inputs.inputIds), [B, S, E]);
    if (o.positionBiasedInput) summed = tf.add(summed, tf.slice(ctx.param('deberta.embeddings.position_embeddings.weight'), [0, 0], [S, E]));
    if (c.typeVocabSize > 0)
      summed = tf.add(summed, tf.reshape(lookup(ctx, 'deberta.embeddings.token_type_embeddings.weight', inputs.tokenTypeIds), [B, S, E]));
    let x = tf.reshape(summed, [B * S, E]) as tf.Tensor2D;
    if (E !== H) x = tf.matMul(x, ctx.param('deberta.embeddings.embed_proj.weight') as tf.Tensor2D);
    // DeBERTa multiplies the embeddings by the attention mask: padding starts at zero.
    const real = tf.reshape(tf.cast(inputs.attentionMask, 'float32'), [B * S, 1]);
    x = ctx.drop(tf.mul(norm(ctx, x, 'deberta.embeddings.LayerNorm'), real) as tf.Tensor2D, c.hiddenDropoutProb);

    // [B, 1, S, S]: query and key both real, else the most negative float; and the diagonal, so
    // that a padding query's row is never all masked (WebGPU's softmax gives NaN there); real
    // tokens' states do not depend on padding rows.
    const keys = tf.reshape(tf.cast(inputs.attentionMask, 'float32'), [B, 1, 1, S]);
    const pairs = tf.mul(keys, tf.reshape(keys, [B, 1, S, 1]));
    const allowed = tf.maximum(pairs, tf.reshape(tf.eye(S), [1, 1, S, S]));
    const mask = tf.mul(tf.sub(1, allowed), MASK_VALUE) as tf.Tensor4D;
    // The relative positions of this length, made only when a gather's indexes are not cached yet.
    let positions: Int32Array | undefined;
    const rel = () => (positions ??= relativePositions(S, o));
    const relEmbeddings = o.relativeAttention
      ? o.normRelEmbeddings
        ? norm(ctx, ctx.param('deberta.encoder.rel_embeddings.weight') as tf.Tensor2D, 'deberta.encoder.LayerNorm')
        : (ctx.param('deberta.encoder.rel_embeddings.weight') as tf.Tensor2D)
      : undefined;
    const n = c.numAttentionHeads;
    const headSize = H / n;
    const factor = 1 + (o.relativeAttention ? Number(o.c2p) + Number(o.p2c) : 0);
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const input = x;
      x = tf.tidy(() => {
        const names = layerNames(l);
        const q = linear(ctx, input, names.query);
        const k = linear(ctx, input, names.key);
        // The content scores divided by √(head size · factor): q scaled here, as attention divides by √(head size).
        const bias = relEmbeddings && (o.c2p || o.p2c) ? tf.add(relativeBias(ctx, l, q, k, relEmbeddings, rel, B, S), mask) : mask;
        const context = attention(
          factor > 1 ? tf.div(q, Math.sqrt(factor)) : q,
          k,
          linear(ctx, input, names.value),
          bias as tf.Tensor4D,
          { batch: B, queries: S, keys: S, heads: n, headSize },
          ctx.dropSite(c.attentionProbsDropoutProb),
          bias !== mask,
        );
        const attended = ctx.drop(linear(ctx, context, names.attentionOutput), c.hiddenDropoutProb);
        const y = norm(ctx, residual(attended, input), names.attentionNorm);
        const inner = activation(linear(ctx, y, names.intermediate), c.hiddenAct);
        return norm(ctx, residual(ctx.drop(linear(ctx, inner, names.output), c.hiddenDropoutProb), y), names.outputNorm);
      });
    }
    return tf.reshape(tf.slice(tf.reshape(x, [B, S, H]), [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
  },
  head(ctx, features) {
    const c = ctx.config;
    const o = options(c);
    const pooled = activation(
      dense(ctx.drop(features, o.poolerDropout), ctx.param('pooler.dense.weight') as tf.Tensor2D, ctx.param('pooler.dense.bias') as tf.Tensor1D),
      o.poolerAct,
    );
    return { pooled, logits: linear(ctx, ctx.drop(pooled, c.classifierDropout ?? c.hiddenDropoutProb), 'classifier') };
  },
  // The c2p and p2c scores against every relative distance, [heads, B·S, 2·span] each, their
  // gathered [B, heads, S, S] and the gather's indexes: measured on WASM at about
  // heads × (11 · 2·span + 12 · length) floats a token and layer (4 heads, hidden 128, 256 buckets).
  extraActivationFloats: (c, length) => {
    const o = options(c);
    return o.relativeAttention ? c.numAttentionHeads * (11 * 2 * span(o) + 12 * length) : 0;
  },
  paddingRows: () => ['deberta.embeddings.word_embeddings.weight'],
  parts: {
    head: ['pooler.', 'classifier.'],
    embeddings: ['deberta.embeddings.'],
    layer: 'deberta.encoder.layer.{l}.',
    outputLayer: 'classifier',
    dropout: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'cls_dropout', 'pooler_dropout'],
  },
};
