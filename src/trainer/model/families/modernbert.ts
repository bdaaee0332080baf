/**
 * ModernBERT (transformers' modeling_modernbert): token embeddings → LayerNorm; pre-norm layers
 * (layer 0 without attn_norm) whose attention rotates queries and keys (RoPE, a theta per layer
 * type) and is global or local (|i − j| ≤ local_attention / 2) by layer; a GeGLU feed-forward;
 * final_norm; the first token or the mean over real tokens → head (dense, activation, norm) →
 * dropout → classifier. Biases only where the config asks for them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, ModernBertShape } from '../config';
import { checkHeads, ConfigError, dropoutRate, hiddenActivation, num, padId, positiveInt, type RawConfig } from '../configFields';
import type { Family, ForwardContext, ModelInputs, TorchTensor } from '../family';
import { activation, dense, layerNorm, residual } from '../ops';
import { attention } from '../attention';
import { SpecList, type ParameterSpec } from '../parameters';
import { additiveMask, wordRows } from '../postLnEncoder';
import type { Random } from '../../util/random';

const MASK_VALUE = -3.4028234663852886e38;
const LAYER_TYPES = ['full_attention', 'sliding_attention'] as const;

const flag = (r: RawConfig, key: string, file: string, fallback: boolean): boolean => {
  const v = r[key] ?? fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${file}: "${key}" must be true or false, got ${JSON.stringify(r[key])}`);
  return v;
};

/** RoPE's theta for a layer type: transformers 5's rope_parameters, else the 2024 key, else ModernBERT's default. */
function ropeTheta(r: RawConfig, type: (typeof LAYER_TYPES)[number], legacyKey: string, fallback: number, file: string): number {
  const params = (r.rope_parameters as Record<string, { rope_type?: unknown; rope_theta?: unknown } | undefined> | undefined)?.[type];
  if (params?.rope_type !== undefined && params.rope_type !== 'default')
    throw new ConfigError(`${file}: rope_parameters.${type}.rope_type is ${JSON.stringify(params.rope_type)}; BERT Tune computes the default RoPE only.`);
  const theta = params?.rope_theta ?? r[legacyKey] ?? fallback;
  if (typeof theta !== 'number' || !(theta > 0))
    throw new ConfigError(`${file}: the RoPE theta of the ${type} layers must be a positive number, got ${JSON.stringify(theta)}`);
  return theta;
}

function readModernBert(r: RawConfig, file: string, layers: number): ModernBertShape {
  let layerTypes: ModernBertShape['layerTypes'];
  if (r.layer_types !== undefined && r.layer_types !== null) {
    const given = r.layer_types;
    if (!Array.isArray(given) || given.length !== layers || !given.every(t => (LAYER_TYPES as readonly unknown[]).includes(t)))
      throw new ConfigError(`${file}: "layer_types" must list ${layers} of ${LAYER_TYPES.join(', ')}, got ${JSON.stringify(given).slice(0, 80)}`);
    layerTypes = given as ModernBertShape['layerTypes'];
  } else {
    // The 2024 form: every n-th layer (from 0) is global.
    const every = positiveInt(r, 'global_attn_every_n_layers', file, 3);
    layerTypes = Array.from({ length: layers }, (_, i) => (i % every ? 'sliding_attention' : 'full_attention'));
  }
  const pooling = r.classifier_pooling ?? 'cls';
  if (pooling !== 'cls' && pooling !== 'mean') throw new ConfigError(`${file}: classifier_pooling "${String(pooling)}" is not supported (cls, mean)`);
  return {
    layerTypes,
    globalRopeTheta: ropeTheta(r, 'full_attention', 'global_rope_theta', 160_000, file),
    localRopeTheta: ropeTheta(r, 'sliding_attention', 'local_rope_theta', 10_000, file),
    localAttention: positiveInt(r, 'local_attention', file, 128),
    normBias: flag(r, 'norm_bias', file, false),
    attentionBias: flag(r, 'attention_bias', file, false),
    mlpBias: flag(r, 'mlp_bias', file, false),
    classifierBias: flag(r, 'classifier_bias', file, false),
    classifierActivation: hiddenActivation(r, 'classifier_activation', file, 'gelu'),
    classifierPooling: pooling,
    embeddingDropout: dropoutRate(r, 'embedding_dropout', file, 0),
    initializerCutoffFactor: num(r, 'initializer_cutoff_factor', file, 2),
  };
}

const options = (c: ModelConfig): ModernBertShape => {
  if (!c.modernBert) throw new Error('a ModernBERT config without its ModernBERT fields');
  return c.modernBert;
};

/** A Linear whose bias the config may leave out: a zero bias then, which nothing trains. */
function linear(ctx: ForwardContext, h: tf.Tensor2D, name: string, bias: boolean, out: number): tf.Tensor2D {
  return dense(h, ctx.param(`${name}.weight`) as tf.Tensor2D, bias ? (ctx.param(`${name}.bias`) as tf.Tensor1D) : tf.zeros([out]));
}

function norm(ctx: ForwardContext, h: tf.Tensor2D, name: string): tf.Tensor2D {
  const o = options(ctx.config);
  const H = ctx.config.hiddenSize;
  return layerNorm(
    h,
    ctx.param(`${name}.weight`) as tf.Tensor1D,
    o.normBias ? (ctx.param(`${name}.bias`) as tf.Tensor1D) : tf.zeros([H]),
    ctx.config.layerNormEps,
  );
}

/**
 * cos and sin of RoPE at positions 0 … S − 1, [S, head_dim], in float32 step by step as
 * transformers computes them: inv_freq = 1 / theta^(2k/d), freqs = position · inv_freq, the
 * halves repeated.
 */
export function rotaryTables(theta: number, headDim: number, length: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const invFreq = Array.from({ length: half }, (_, k) => Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * k) / headDim)))));
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let p = 0; p < length; p++) {
    for (let k = 0; k < half; k++) {
      const f = Math.fround(p * invFreq[k]);
      cos[p * headDim + k] = cos[p * headDim + k + half] = Math.cos(f);
      sin[p * headDim + k] = sin[p * headDim + k + half] = Math.sin(f);
    }
  }
  return { cos, sin };
}

/** x [B·S, H] rotated per head: x · cos + rotate_half(x) · sin, rotate_half(x) = (−x₂, x₁). */
function rotate(x: tf.Tensor2D, cos: tf.Tensor, sin: tf.Tensor, B: number, S: number, heads: number, headDim: number): tf.Tensor2D {
  const h = tf.reshape(x, [B, S, heads, headDim]);
  const half = headDim / 2;
  const x1 = tf.slice(h, [0, 0, 0, 0], [B, S, heads, half]);
  const x2 = tf.slice(h, [0, 0, 0, half], [B, S, heads, half]);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.reshape(tf.add(tf.mul(h, cos), tf.mul(rotated, sin)), [B * S, heads * headDim]) as tf.Tensor2D;
}

/**
 * [B, 1, S, S]: 0 where key j is a real token within the window of query i, the most negative
 * float elsewhere; and 0 on the diagonal, so that a padding query with no real token in its
 * window attends to itself rather than to nothing (WebGPU's softmax of a row all masked gives
 * NaN, which its zero weights would then carry into the real tokens). Real tokens' states are
 * unchanged: their keys never include padding.
 */
function slidingMask(inputs: ModelInputs, window: number): tf.Tensor4D {
  const [B, S] = inputs.attentionMask.shape;
  const near = new Float32Array(S * S);
  const self = new Float32Array(S * S);
  for (let i = 0; i < S; i++) {
    self[i * S + i] = 1;
    for (let j = Math.max(0, i - window); j <= Math.min(S - 1, i + window); j++) near[i * S + j] = 1;
  }
  const keys = tf.reshape(tf.cast(inputs.attentionMask, 'float32'), [B, 1, 1, S]);
  const allowed = tf.maximum(tf.mul(keys, tf.tensor4d(near, [1, 1, S, S])), tf.tensor4d(self, [1, 1, S, S]));
  return tf.mul(tf.sub(1, allowed), MASK_VALUE) as tf.Tensor4D;
}

/** transformers' init_weight: a normal cut at ± cutoff · std (drawn again outside). */
function truncatedNormal(size: number, std: number, cutoff: number, random: Random): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v: number;
    do v = random.normal() * std;
    while (Math.abs(v) > cutoff * std);
    out[i] = v;
  }
  return out;
}

export const modernbert: Family = {
  name: 'modernbert',
  readShape(r, file) {
    const hiddenSize = positiveInt(r, 'hidden_size', file, 768);
    const numAttentionHeads = positiveInt(r, 'num_attention_heads', file, 12);
    checkHeads(hiddenSize, numAttentionHeads, file);
    if ((hiddenSize / numAttentionHeads) % 2) throw new ConfigError(`${file}: the head size ${hiddenSize / numAttentionHeads} must be even for RoPE`);
    const numHiddenLayers = positiveInt(r, 'num_hidden_layers', file, 22);
    const eps = num(r, 'norm_eps', file, 1e-5);
    if (!(eps > 0)) throw new ConfigError(`${file}: "norm_eps" is ${eps}; it must be more than 0.`);
    return {
      vocabSize: positiveInt(r, 'vocab_size', file, 50368),
      hiddenSize,
      embeddingSize: hiddenSize,
      numHiddenLayers,
      numAttentionHeads,
      intermediateSize: positiveInt(r, 'intermediate_size', file, 1152),
      hiddenAct: hiddenActivation(r, 'hidden_activation', file, 'gelu'),
      hiddenDropoutProb: dropoutRate(r, 'mlp_dropout', file, 0),
      attentionProbsDropoutProb: dropoutRate(r, 'attention_dropout', file, 0),
      classifierDropout: dropoutRate(r, 'classifier_dropout', file, 0),
      maxPositionEmbeddings: positiveInt(r, 'max_position_embeddings', file, 8192),
      typeVocabSize: 0,
      initializerRange: num(r, 'initializer_range', file, 0.02),
      layerNormEps: eps,
      padTokenId: padId(r, 50283),
      modernBert: readModernBert(r, file, numHiddenLayers),
    };
  },
  writeShape(c) {
    const o = options(c);
    return {
      architectures: ['ModernBertForSequenceClassification'],
      vocab_size: c.vocabSize,
      hidden_size: c.hiddenSize,
      num_hidden_layers: c.numHiddenLayers,
      num_attention_heads: c.numAttentionHeads,
      intermediate_size: c.intermediateSize,
      hidden_activation: c.hiddenAct,
      mlp_dropout: c.hiddenDropoutProb,
      attention_dropout: c.attentionProbsDropoutProb,
      classifier_dropout: c.classifierDropout ?? 0,
      embedding_dropout: o.embeddingDropout,
      max_position_embeddings: c.maxPositionEmbeddings,
      initializer_range: c.initializerRange,
      initializer_cutoff_factor: o.initializerCutoffFactor,
      norm_eps: c.layerNormEps,
      pad_token_id: c.padTokenId,
      // transformers 5's form; it reads the 2024 keys too, but these first
      layer_types: o.layerTypes,
      rope_parameters: {
        full_attention: { rope_type: 'default', rope_theta: o.globalRopeTheta },
        sliding_attention: { rope_type: 'default', rope_theta: o.localRopeTheta },
      },
      local_attention: o.localAttention,
      norm_bias: o.normBias,
      attention_bias: o.attentionBias,
      mlp_bias: o.mlpBias,
      classifier_bias: o.classifierBias,
      classifier_activation: o.classifierActivation,
      classifier_pooling: o.classifierPooling,
    };
  },
  parameterSpecs(c) {
    const o = options(c);
    const H = c.hiddenSize;
    const specs = new SpecList();
    const lin = (name: string, out: number, inp: number, bias: boolean) => {
      if (bias) specs.linear(name, out, inp);
      else specs.specs.push({ name: `${name}.weight`, shape: [out, inp], kind: 'linear' });
    };
    const ln = (name: string) => {
      if (o.normBias) specs.norm(name, H);
      else specs.specs.push({ name: `${name}.weight`, shape: [H], kind: 'norm-weight' });
    };
    specs.embedding('model.embeddings.tok_embeddings.weight', c.vocabSize, H);
    ln('model.embeddings.norm');
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const p = `model.layers.${l}`;
      if (l > 0) ln(`${p}.attn_norm`);
      lin(`${p}.attn.Wqkv`, 3 * H, H, o.attentionBias);
      lin(`${p}.attn.Wo`, H, H, o.attentionBias);
      ln(`${p}.mlp_norm`);
      lin(`${p}.mlp.Wi`, 2 * c.intermediateSize, H, o.mlpBias);
      lin(`${p}.mlp.Wo`, H, c.intermediateSize, o.mlpBias);
    }
    ln('model.final_norm');
    lin('head.dense', H, H, o.classifierBias);
    ln('head.norm');
    specs.linear('classifier', c.id2label.length, H);
    return specs.specs;
  },
  // A bare ModernBertModel's keys have no "model." prefix.
  canonicalName: stored => (/^(embeddings|layers|final_norm)\./.test(stored) ? `model.${stored}` : stored),
  wordEmbeddings: 'model.embeddings.tok_embeddings.weight',
  maxTokens: c => c.maxPositionEmbeddings,
  encode(ctx, inputs) {
    const c = ctx.config;
    const o = options(c);
    const [B, S] = inputs.inputIds.shape;
    const H = c.hiddenSize;
    const heads = c.numAttentionHeads;
    const headDim = H / heads;
    const embedded = wordRows(ctx, 'model.embeddings.tok_embeddings.weight', inputs.inputIds);
    let x = ctx.drop(norm(ctx, embedded, 'model.embeddings.norm'), o.embeddingDropout);
    const tables = Object.fromEntries(
      (['full_attention', 'sliding_attention'] as const).map(type => {
        const t = rotaryTables(type === 'full_attention' ? o.globalRopeTheta : o.localRopeTheta, headDim, S);
        return [type, { cos: tf.tensor4d(t.cos, [1, S, 1, headDim]), sin: tf.tensor4d(t.sin, [1, S, 1, headDim]) }];
      }),
    );
    const masks = { full_attention: additiveMask(inputs), sliding_attention: slidingMask(inputs, Math.floor(o.localAttention / 2)) };
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const input = x;
      x = tf.tidy(() => {
        const p = `model.layers.${l}`;
        const type = o.layerTypes[l];
        const h = l === 0 ? input : norm(ctx, input, `${p}.attn_norm`);
        const qkv = linear(ctx, h, `${p}.attn.Wqkv`, o.attentionBias, 3 * H);
        const part = (k: number) => tf.slice(qkv, [0, k * H], [B * S, H]) as tf.Tensor2D;
        const { cos, sin } = tables[type];
        const context = attention(
          rotate(part(0), cos, sin, B, S, heads, headDim),
          rotate(part(1), cos, sin, B, S, heads, headDim),
          part(2),
          masks[type],
          { batch: B, queries: S, keys: S, heads, headSize: headDim },
          ctx.dropSite(c.attentionProbsDropoutProb),
        );
        const attended = ctx.drop(linear(ctx, context, `${p}.attn.Wo`, o.attentionBias, H), c.attentionProbsDropoutProb);
        const y = residual(input, attended);
        const wi = linear(ctx, norm(ctx, y, `${p}.mlp_norm`), `${p}.mlp.Wi`, o.mlpBias, 2 * c.intermediateSize);
        const I = c.intermediateSize;
        const gated = tf.mul(activation(tf.slice(wi, [0, 0], [B * S, I]) as tf.Tensor2D, c.hiddenAct), tf.slice(wi, [0, I], [B * S, I])) as tf.Tensor2D;
        return residual(y, linear(ctx, ctx.drop(gated, c.hiddenDropoutProb), `${p}.mlp.Wo`, o.mlpBias, H));
      });
    }
    const last = tf.reshape(norm(ctx, x, 'model.final_norm'), [B, S, H]);
    if (o.classifierPooling === 'cls') return tf.reshape(tf.slice(last, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
    // The mean over the real tokens: mask [B, 1, S] · states [B, S, H], over the mask's sum. (A
    // sum over the sequence axis would transpose a cast int32 tensor, which WebGPU's transpose
    // reads with the wrong type.)
    const mask = tf.reshape(tf.cast(inputs.attentionMask, 'float32'), [B, 1, S]);
    return tf.div(tf.reshape(tf.matMul(mask, last), [B, H]), tf.reshape(tf.sum(mask, -1), [B, 1])) as tf.Tensor2D;
  },
  head(ctx, features) {
    const c = ctx.config;
    const o = options(c);
    const pooled = norm(ctx, activation(linear(ctx, features, 'head.dense', o.classifierBias, c.hiddenSize), o.classifierActivation), 'head.norm');
    return {
      pooled,
      logits: dense(ctx.drop(pooled, c.classifierDropout ?? 0), ctx.param('classifier.weight') as tf.Tensor2D, ctx.param('classifier.bias') as tf.Tensor1D),
    };
  },
  initParameter(spec: ParameterSpec, c: ModelConfig, random: Random): TorchTensor | undefined {
    if (spec.kind !== 'linear' && spec.kind !== 'embedding') return undefined;
    const o = options(c);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const std = spec.name.startsWith('classifier.')
      ? c.hiddenSize ** -0.5
      : /\.(attn\.Wo|mlp\.Wo)\.weight$|^head\.dense\.weight$/.test(spec.name)
        ? c.initializerRange / Math.sqrt(2 * c.numHiddenLayers)
        : c.initializerRange;
    return { shape: spec.shape, data: truncatedNormal(size, std, o.initializerCutoffFactor, random) };
  },
  // Pre-norm layers keep their norms' inputs and outputs, the rotated queries and keys, and GeGLU
  // both halves and their product: measured on WASM at about 48 · hidden + 3 · length floats a
  // token and layer beyond BERT's (4 heads, hidden 128).
  extraActivationFloats: (c, length) => 48 * c.hiddenSize + 3 * length,
  paddingRows: () => [],
  parts: {
    head: ['head.', 'classifier.'],
    embeddings: ['model.embeddings.'],
    layer: 'model.layers.{l}.',
    outputLayer: 'classifier',
    dropout: ['embedding_dropout', 'attention_dropout', 'mlp_dropout', 'classifier_dropout'],
  },
};
