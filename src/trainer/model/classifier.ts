/**
 * A ...ForSequenceClassification of any family on TensorFlow.js ops, computing what
 * transformers computes: the family (families/*.ts) gives the parameters and the forward pass;
 * this class holds the weights, builds, frees and freezes them, and writes them out.
 * Parameters keep their Hugging Face names; Linear weights are held transposed ([in, out]) so
 * that every matmul of the forward pass is a plain one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorSource } from '../checkpoint/safetensors';
import { collectGarbage } from '../util/collectGarbage';
import type { ModelConfig } from './config';
import { dropout } from './dropout';
import type { Family, ForwardContext, ModelInputs, TorchTensor } from './family';
import { familyNamed } from './families/index';
import { parameterSpecs, type ParameterSpec } from './parameters';

export type { ModelInputs, TorchTensor } from './family';

export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation, prediction). */
  training: boolean;
  /** Seeds for dropout masks, one call per dropout site, so a training run can repeat. */
  nextSeed?: () => number;
  /**
   * The word-embedding table's rows at the input ids, [batch · sequence, width], from a caller
   * that keeps the table itself (a gradient worker reads them from shared memory, and takes their
   * gradient as these rows' instead of a dense [vocab, width] one). The model then needs no table.
   */
  wordEmbeddings?: tf.Tensor2D;
}

export interface ClassifierOutputs {
  logits: tf.Tensor2D;
  /** The encoder's features the head reads: the last layer's state at the first token. */
  clsHidden: tf.Tensor2D;
  /** The head's last state before the classifier (BERT: the pooler's output). */
  pooled: tf.Tensor2D;
}

export class Classifier {
  readonly specs: ParameterSpec[];
  readonly family: Family;

  private constructor(
    readonly config: ModelConfig,
    /** By Hugging Face name; Linear weights transposed to [in, out]. */
    readonly params: Map<string, tf.Variable>,
  ) {
    this.specs = parameterSpecs(config);
    this.family = familyNamed(config.family);
  }

  /** The word-embedding table's name, which gradient workers keep in shared memory. */
  get wordEmbeddings(): string {
    return this.family.wordEmbeddings;
  }

  /** Builds the model from PyTorch-layout arrays: every parameter of parameterSpecs(config). */
  static fromTorch(config: ModelConfig, tensors: ReadonlyMap<string, TorchTensor>): Classifier {
    return Classifier.build(config, spec => {
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
  static fromOwnLayout(config: ModelConfig, values: (name: string, shape: number[]) => Float32Array, without: ReadonlySet<string> = new Set()): Classifier {
    return Classifier.build(
      config,
      spec => {
        const shape = spec.kind === 'linear' ? [spec.shape[1], spec.shape[0]] : spec.shape;
        return tf.tensor(values(spec.name, shape), shape, 'float32');
      },
      without,
    );
  }

  /** A variable per parameter (but those `without`) from `valueOf`'s tensors (disposed once copied); none left on failure. */
  private static build(config: ModelConfig, valueOf: (spec: ParameterSpec) => tf.Tensor, without: ReadonlySet<string> = new Set()): Classifier {
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
    return new Classifier(config, params);
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

  /** Parameters by name, dropout as `options` has it: what the family's forward pass reads. */
  private context(options: ForwardOptions): ForwardContext {
    const seed = () => options.nextSeed?.() ?? Math.floor(Math.random() * 2 ** 31);
    return {
      config: this.config,
      param: name => {
        const v = this.params.get(name);
        if (!v) throw new Error(`the model has no parameter ${name}`);
        return v;
      },
      drop: (x, rate) => (options.training && rate > 0 ? dropout(x, rate, seed()) : x),
      dropSite: rate => (options.training && rate > 0 ? { rate, seed: seed() } : undefined),
      wordEmbeddings: options.wordEmbeddings,
    };
  }

  forward(inputs: ModelInputs, options: ForwardOptions): ClassifierOutputs {
    const S = inputs.inputIds.shape[1];
    const longest = this.family.maxTokens(this.config);
    if (S > longest)
      throw new Error(`sequence length ${S} exceeds the ${longest} tokens this model reads (max_position_embeddings ${this.config.maxPositionEmbeddings})`);
    return tf.tidy(() => {
      const ctx = this.context(options);
      const clsHidden = this.family.encode(ctx, inputs);
      return { ...this.family.head(ctx, clsHidden), clsHidden };
    });
  }

  /**
   * The classification head on the encoder's features. Separate so that head-only training can
   * run it on features computed once.
   */
  head(clsHidden: tf.Tensor2D, options: ForwardOptions): { pooled: tf.Tensor2D; logits: tf.Tensor2D } {
    return tf.tidy(() => this.family.head(this.context(options), clsHidden));
  }
}
