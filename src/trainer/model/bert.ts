/**
 * BertForSequenceClassification on TensorFlow.js ops, computing what transformers computes:
 * embeddings → LayerNorm → N × (self-attention, feed-forward, residuals, LayerNorm) → pooler on
 * [CLS] → classifier. Parameters keep their Hugging Face names; Linear weights are held
 * transposed ([in, out]) so that every matmul of the forward pass is a plain one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorSource } from '../checkpoint/safetensors';
import { collectGarbage } from '../util/collectGarbage';
import type { BertConfig } from './config';
import { dropout } from './dropout';
import { attention } from './attention';
import { activation, dense, embeddingLookup, layerNorm, residual } from './ops';
import { parameterSpecs, type ParameterSpec } from './parameters';

export interface BertInputs {
  /** int32 [batch, seq] */
  inputIds: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding */
  attentionMask: tf.Tensor2D;
}

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation, prediction). */
  training: boolean;
  /** Seeds for dropout masks, one call per dropout site, so a training run can repeat. */
  nextSeed?: () => number;
  /**
   * The word-embedding table's rows at the input ids, [batch · sequence, hidden], from a caller
   * that keeps the table itself (a gradient worker reads them from shared memory, and takes their
   * gradient as these rows' instead of a dense [vocab, hidden] one). The model then needs no table.
   */
  wordEmbeddings?: tf.Tensor2D;
}

/** The word-embedding table: the largest parameter of the small BERTs (bert-mini: 70 % of them). */
export const WORD_EMBEDDINGS = 'bert.embeddings.word_embeddings.weight';

export interface BertOutputs {
  logits: tf.Tensor2D;
  /** Last layer's hidden state at [CLS]. */
  clsHidden: tf.Tensor2D;
  /** tanh(W · clsHidden + b) */
  pooled: tf.Tensor2D;
}

/** The additive mask value transformers uses: torch.finfo(float32).min. */
const MASK_VALUE = -3.4028234663852886e38;

/** A float32 tensor in the PyTorch layout, as read from or written to a checkpoint. */
export interface TorchTensor {
  shape: number[];
  data: Float32Array;
}

export class BertClassifier {
  readonly specs: ParameterSpec[];

  private constructor(
    readonly config: BertConfig,
    /** By Hugging Face name; Linear weights transposed to [in, out]. */
    readonly params: Map<string, tf.Variable>,
  ) {
    this.specs = parameterSpecs(config);
  }

  /** Builds the model from PyTorch-layout arrays: every parameter of parameterSpecs(config). */
  static fromTorch(config: BertConfig, tensors: ReadonlyMap<string, TorchTensor>): BertClassifier {
    return BertClassifier.build(config, spec => {
      const t = tensors.get(spec.name);
      if (!t) throw new Error(`missing parameter ${spec.name}`);
      if (t.shape.join() !== spec.shape.join()) throw new Error(`${spec.name} has shape [${t.shape}], the config needs [${spec.shape}]`);
      return tf.tidy(() => {
        const v = tf.tensor(t.data, t.shape, 'float32');
        return spec.kind === 'linear' ? tf.transpose(v) : v;
      });
    });
  }

  /**
   * Builds the model from arrays already in our layout (Linear weights [in, out]), such as the
   * shared master weights a gradient worker starts from.
   */
  static fromOwnLayout(config: BertConfig, values: (name: string, shape: number[]) => Float32Array, without: ReadonlySet<string> = new Set()): BertClassifier {
    return BertClassifier.build(
      config,
      spec => {
        const shape = spec.kind === 'linear' ? [spec.shape[1], spec.shape[0]] : spec.shape;
        return tf.tensor(values(spec.name, shape), shape, 'float32');
      },
      without,
    );
  }

  /** A variable per parameter (but those `without`) from `valueOf`'s tensors (disposed once copied); none left on failure. */
  private static build(config: BertConfig, valueOf: (spec: ParameterSpec) => tf.Tensor, without: ReadonlySet<string> = new Set()): BertClassifier {
    const params = new Map<string, tf.Variable>();
    try {
      for (const spec of parameterSpecs(config)) {
        if (without.has(spec.name)) continue;
        const value = valueOf(spec);
        params.set(spec.name, tf.variable(value, true));
        value.dispose();
      }
    } catch (e) {
      params.forEach(p => p.dispose());
      throw e;
    }
    return new BertClassifier(config, params);
  }

  /**
   * The parameters in the PyTorch layout, for saving: each one's values made when the writer
   * asks for them (Linear weights transposed back), so no second copy of the model builds up.
   */
  torchSources(): TensorSource[] {
    return this.specs.map(spec => ({
      name: spec.name,
      shape: spec.shape,
      data: async () => {
        const p = this.params.get(spec.name)!;
        const t = spec.kind === 'linear' ? tf.transpose(p) : p;
        try {
          return (await t.data()) as Float32Array;
        } finally {
          if (t !== p) t.dispose();
        }
      },
    }));
  }

  /** The parameters in the PyTorch layout, copied out all at once (tests, comparisons). */
  async toTorch(): Promise<Map<string, TorchTensor>> {
    const out = new Map<string, TorchTensor>();
    for (const t of this.torchSources()) out.set(t.name, { shape: t.shape, data: new Float32Array(await t.data()) });
    return out;
  }

  /**
   * Frees the weights' memory, keeping their names, shapes and which are frozen: for a model
   * whose trained copy lives elsewhere (gradient workers' shared memory). Reading them after
   * this throws tfjs's "disposed" error. On the pure-JS backend the memory is JavaScript's: it
   * is collected at once, not at some later collection after the run's peak.
   */
  releaseWeights(): void {
    this.params.forEach(p => p.dispose());
    collectGarbage();
  }

  /** Marks these parameters fixed (no gradients, so no updates) and every other one trainable. */
  freeze(names: ReadonlySet<string>): void {
    for (const [name, v] of this.params) v.trainable = !names.has(name);
  }

  get numParameters(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  dispose(): void {
    this.params.forEach(p => p.dispose());
    this.params.clear();
  }

  forward(inputs: BertInputs, options: ForwardOptions): BertOutputs {
    const c = this.config;
    const p = (name: string) => {
      const v = this.params.get(name);
      if (!v) throw new Error(`the model has no parameter ${name}`);
      return v;
    };
    /** A dropout site's rate and seed while training, else none. */
    const dropSeed = (rate: number) => (options.training && rate > 0 ? { rate, seed: options.nextSeed?.() ?? Math.floor(Math.random() * 2 ** 31) } : undefined);
    const drop = <T extends tf.Tensor>(x: T, rate: number): T => {
      const site = dropSeed(rate);
      return site ? dropout(x, site.rate, site.seed) : x;
    };
    return tf.tidy(() => {
      const [B, S] = inputs.inputIds.shape;
      const H = c.hiddenSize;
      const heads = c.numAttentionHeads;
      const headSize = H / heads;
      if (S > c.maxPositionEmbeddings) throw new Error(`sequence length ${S} exceeds max_position_embeddings ${c.maxPositionEmbeddings}`);
      const flat = (t: tf.Tensor2D) => tf.reshape(t, [B * S]) as tf.Tensor1D;

      // Embeddings: word + position + token type, then LayerNorm and dropout.
      const words = tf.reshape(options.wordEmbeddings ?? embeddingLookup(p(WORD_EMBEDDINGS) as tf.Tensor2D, flat(inputs.inputIds)), [B, S, H]);
      const positions = tf.slice(p('bert.embeddings.position_embeddings.weight'), [0, 0], [S, H]);
      const types = tf.reshape(embeddingLookup(p('bert.embeddings.token_type_embeddings.weight') as tf.Tensor2D, flat(inputs.tokenTypeIds)), [B, S, H]);
      const embedded = tf.reshape(tf.add(tf.add(words, positions), types), [B * S, H]) as tf.Tensor2D;
      let x = drop(
        layerNorm(embedded, p('bert.embeddings.LayerNorm.weight') as tf.Tensor1D, p('bert.embeddings.LayerNorm.bias') as tf.Tensor1D, c.layerNormEps),
        c.hiddenDropoutProb,
      );

      // [B, 1, 1, S]: 0 where attended, the most negative float where padded.
      const mask: tf.Tensor4D = tf.reshape(tf.mul(tf.sub(1, tf.cast(inputs.attentionMask, 'float32')), MASK_VALUE), [B, 1, 1, S]);
      const lin = (h: tf.Tensor2D, name: string) => dense(h, p(`${name}.weight`) as tf.Tensor2D, p(`${name}.bias`) as tf.Tensor1D);
      const norm = (h: tf.Tensor2D, name: string) => layerNorm(h, p(`${name}.weight`) as tf.Tensor1D, p(`${name}.bias`) as tf.Tensor1D, c.layerNormEps);

      const layers = c.numHiddenLayers;
      for (let l = 0; l < layers; l++) {
        // A scope per layer: what the backward pass does not need (saved tensors are kept apart)
        // goes when the layer ends, not when the whole forward pass does.
        const input = x;
        x = tf.tidy(() => {
          const x = input;
          const pre = `bert.encoder.layer.${l}`;
          // The classifier reads only [CLS]: in the last layer every other position's query,
          // attention output and feed-forward would be computed to be thrown away. Keys and values
          // still come from every position; the result is the same, at a fraction of the layer.
          const last = l === layers - 1;
          const rows = last ? (tf.reshape(tf.slice(tf.reshape(x, [B, S, H]), [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D) : x;
          const context = attention(
            lin(rows, `${pre}.attention.self.query`),
            lin(x, `${pre}.attention.self.key`),
            lin(x, `${pre}.attention.self.value`),
            mask,
            { batch: B, queries: last ? 1 : S, keys: S, heads, headSize },
            dropSeed(c.attentionProbsDropoutProb),
          );
          const attended = drop(lin(context, `${pre}.attention.output.dense`), c.hiddenDropoutProb);
          const y = norm(residual(attended, rows), `${pre}.attention.output.LayerNorm`);
          const inner = activation(lin(y, `${pre}.intermediate.dense`), c.hiddenAct);
          const out = drop(lin(inner, `${pre}.output.dense`), c.hiddenDropoutProb);
          return norm(residual(out, y), `${pre}.output.LayerNorm`);
        });
      }

      // After the last layer (configs have at least one) x holds the [CLS] rows only: [B, H].
      const clsHidden = x;
      return { ...this.head(clsHidden, options), clsHidden };
    });
  }

  /**
   * The classification head on the last layer's [CLS] states: pooler (dense, tanh), dropout,
   * classifier. Separate so that head-only training can run it on features computed once.
   */
  head(clsHidden: tf.Tensor2D, options: ForwardOptions): { pooled: tf.Tensor2D; logits: tf.Tensor2D } {
    const c = this.config;
    const p = (name: string) => this.params.get(name)!;
    const rate = c.classifierDropout ?? c.hiddenDropoutProb;
    return tf.tidy(() => {
      const pooled = tf.tanh(dense(clsHidden, p('bert.pooler.dense.weight') as tf.Tensor2D, p('bert.pooler.dense.bias') as tf.Tensor1D));
      const dropped = options.training && rate > 0 ? dropout(pooled, rate, options.nextSeed?.() ?? Math.floor(Math.random() * 2 ** 31)) : pooled;
      return { pooled, logits: dense(dropped, p('classifier.weight') as tf.Tensor2D, p('classifier.bias') as tf.Tensor1D) };
    });
  }
}
