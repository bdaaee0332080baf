/**
 * Data-parallel training on the CPU: one gradient worker per core, each with its own
 * TensorFlow.js, computing gradients on its share of every batch (and logits, for evaluation).
 * Master weights, AdamW's moments and the gradients live in one shared WebAssembly.Memory
 * (flatParameters.ts), outside every WASM heap, whose 4 GiB ceiling kept bert-base from
 * training; the workers sum the gradients and run AdamW in SIMD (wasmOptimizer.ts), each on its
 * own slice, so no part of a step waits on a single core.
 *
 * The step computes what ../train/step.ts computes (same loss, gradient norm, clipping and
 * update), up to float32 summation order.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../model/classifier';
import type { TensorSource } from '../checkpoint/safetensors';
import type { ModelConfig } from '../model/config';
import { familyNamed } from '../model/families/index';
import type { ParameterSpec } from '../model/parameters';
import { lossCoefficients, SINGLE_LABEL_LOSS, type LossSpec } from '../step/loss';
import { clipScale } from '../step/clipping';
import { ADAMW_DEFAULTS, type AdamWOptions } from '../step/adamwMath';
import type { Batch, StepResult } from '../step/batch';
import { allocateFlat, flatLayout, slices, tensorValues, viewOf, type FlatLayout } from './flatParameters';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';
import { rowLengths, shareRows } from './shareRows';

export interface ParallelOptions {
  threads: number;
  backend: 'wasm' | 'cpu';
  wasmDir?: string;
  adam?: AdamWOptions;
  /** The worker script; by default the bundled one beside the trainer (or the source under tsx). */
  workerPath?: string;
  /** Padded tokens per forward and backward pass in a worker; by default tokensPerPass(). */
  tokensPerPass?: number;
  /** Reduce and AdamW in SIMD on a shared WebAssembly.Memory when the arrays fit (default), else in JavaScript. */
  wasmOptimizer?: boolean;
}

export interface ParallelStepOptions {
  lr: number;
  maxGradNorm: number;
  /** The task's loss and its weights (default: single-label, unweighted). */
  loss?: LossSpec;
  /** One dropout seed per worker, or none for no dropout randomness to repeat. */
  seeds?: number[];
}

/**
 * Bytes a padded token of `length` holds in a worker's heap at the peak of a forward and
 * backward pass: what the backward pass keeps of each layer (tapeGradients.ts, attention.ts),
 * measured on the WASM backend at about layers × (22·hidden + 2·heads·length) floats (bert-base
 * at 128 tokens: 0.81 MB a token), with some room for the allocator; plus what the family keeps
 * beyond that (DeBERTa's relative-position scores, ModernBERT's pre-norm and GeGLU).
 */
export function activationBytesPerToken(config: ModelConfig, length: number): number {
  const extra = familyNamed(config.family).extraActivationFloats?.(config, length) ?? 0;
  return config.numHiddenLayers * (24 * config.hiddenSize + 2 * config.numAttentionHeads * length + extra) * 4;
}

/**
 * Activation bytes one pass in a worker may take: a worker's heap never shrinks, so its peak is
 * what it holds for the rest of the run, once per core. Three quarters of the weights' size, at
 * least 256 MiB: bert-base takes passes of two or three rows of 128 tokens, the small shapes
 * their whole share in one, at the speed of larger passes (the matrix products stay hundreds of
 * rows tall). The heap's own 4 GiB bound leaves room for bert-large's passes too.
 */
export function passBudgetBytes(parameters: number): number {
  return Math.max(256 * 2 ** 20, 0.75 * parameters * 4);
}

/** Padded tokens per pass for rows of up to `length` tokens (a whole row at least). */
export function tokensPerPass(config: ModelConfig, parameters: number, length: number): number {
  return Math.max(length, Math.floor(passBudgetBytes(parameters) / activationBytesPerToken(config, length)));
}

function defaultWorkerPath(): string {
  return __filename.endsWith('.ts') ? path.join(__dirname, 'gradientWorker.ts') : path.join(__dirname, 'gradientWorker.js');
}

/** The given rows of a padded batch, re-padded to their own longest row. */
export function pickRows(b: Batch, rows: number[]): Batch {
  const len = Math.max(0, ...rowLengths(rows.map(r => b.attentionMask[r])));
  const cut = (m: number[][]) => rows.map(r => m[r].slice(0, len));
  return {
    inputIds: cut(b.inputIds),
    tokenTypeIds: cut(b.tokenTypeIds),
    attentionMask: cut(b.attentionMask),
    labels: rows.map(r => b.labels[r]),
    targets: b.targets && rows.map(r => b.targets![r]),
    rows: b.rows && rows.map(r => b.rows![r]),
  };
}

/** Rows [from, to) of a padded batch, re-padded to their own longest row. */
export function rowsOf(b: Batch, from: number, to: number): Batch {
  return pickRows(
    b,
    Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i),
  );
}

/** A [rows, cols] matrix's transpose, [cols, rows]. */
function transposed(m: Float32Array, [rows, cols]: number[]): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

function concatFloats(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Pending {
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
}

class GradientWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly worker: Worker,
    index: number,
  ) {
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') return resolve();
        if (m.type === 'error' && m.id === undefined) return this.fail(new Error(`gradient worker ${index}: ${m.message}`), reject);
        const id = m.id as number;
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        if (m.type === 'error') p.reject(new Error(`gradient worker ${index}: ${m.message}`));
        else p.resolve(m);
      });
      worker.on('error', e => this.fail(new Error(`gradient worker ${index} crashed: ${e.message}`), reject));
      worker.on('exit', code => this.fail(new Error(`gradient worker ${index} exited (code ${code})`), reject));
    });
  }

  private fail(e: Error, rejectReady: (e: Error) => void): void {
    this.failure ??= e;
    rejectReady(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  request<T extends FromWorker['type']>(m: Omit<Extract<ToWorker, { type: T }>, 'id'> & { type: T }): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: FromWorker) => void, reject });
      this.worker.postMessage({ ...m, id });
    });
  }
}

export class ParallelTrainer {
  /** AdamW steps taken (torch's state['step']). */
  adamStep = 0;
  private readonly ranges: [number, number][];
  private closed = false;

  private constructor(
    readonly layout: FlatLayout,
    private readonly weights: Float32Array,
    private readonly m: Float32Array,
    private readonly v: Float32Array,
    private readonly workers: GradientWorker[],
    private readonly config: ModelConfig,
    private readonly parameters: number,
    /** Padded tokens per pass when given (tests), else tokensPerPass() of each share's longest row. */
    private readonly fixedTokensPerPass?: number,
  ) {
    this.ranges = slices(layout.total, workers.length);
  }

  get threads(): number {
    return this.workers.length;
  }

  /**
   * Copies the model's weights into shared memory and starts `threads` workers from them.
   * Parameters the model holds untrainable (Classifier.freeze) stay as they are.
   */
  static async start(model: Classifier, decayed: ReadonlySet<string>, options: ParallelOptions): Promise<ParallelTrainer> {
    const layout = flatLayout(model.params, decayed, new Set([...model.params].filter(([, v]) => !v.trainable).map(([name]) => name)));
    const { weights, m, v, grads, memory } = allocateFlat(layout.total, options.threads, options.wasmOptimizer ?? true);
    layout.names.forEach((name, i) => viewOf(weights, layout, i).set(model.params.get(name)!.dataSync() as Float32Array));
    const workers: GradientWorker[] = [];
    try {
      for (let k = 0; k < options.threads; k++) {
        const workerData: WorkerInit = {
          index: k,
          config: model.config,
          layout,
          backend: options.backend,
          wasmDir: options.wasmDir,
          weights,
          m,
          v,
          grads,
          memory,
          adam: options.adam ?? ADAMW_DEFAULTS,
        };
        const file = options.workerPath ?? defaultWorkerPath();
        // From source (tests, benchmarks under tsx) the worker registers tsx's loader first.
        const worker = file.endsWith('.ts')
          ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData })
          : new Worker(file, { workerData });
        workers.push(new GradientWorker(worker, k));
      }
      await Promise.all(workers.map(w => w.ready));
    } catch (e) {
      await Promise.all(workers.map(w => w.worker.terminate()));
      throw e;
    }
    return new ParallelTrainer(layout, weights, m, v, workers, model.config, layout.total, options.tokensPerPass);
  }

  /** Padded tokens of the largest training pass so far: how far the workers' heaps have grown. */
  private largestPass = 0;

  /** Rows of up to `longest` tokens that one pass in a worker takes. */
  private rowsPerPass(longest: number): number {
    return Math.max(1, Math.floor((this.fixedTokensPerPass ?? tokensPerPass(this.config, this.parameters, longest)) / longest));
  }

  /** Each worker's share of each micro-batch (see shareRows.ts), with its rows' loss coefficients. */
  private split(micro: Batch[], loss: LossSpec) {
    const coefs = lossCoefficients(micro, loss);
    const shares = this.workers.map(() => ({ parts: [] as Batch[], coefs: [] as number[][] }));
    micro.forEach((b, j) => {
      const lengths = rowLengths(b.attentionMask);
      // The hidden size weighs attention against the dense layers when sharing rows.
      shareRows(lengths, this.workers.length, this.config.hiddenSize).forEach((rows, k) => {
        // A share too big for one pass goes in several, its gradients summed.
        const longest = Math.max(1, ...rows.map(r => lengths[r]));
        const perPass = this.rowsPerPass(longest);
        for (let i = 0; i < Math.max(1, rows.length); i += perPass) {
          const pass = rows.slice(i, i + perPass);
          const part = pickRows(b, pass);
          this.largestPass = Math.max(this.largestPass, part.labels.length * (part.inputIds[0]?.length ?? 0));
          shares[k].parts.push(part);
          shares[k].coefs.push(pass.map(r => coefs[j][r]));
        }
      });
    });
    return shares;
  }

  private async gradients(micro: Batch[], spec: LossSpec, seeds?: number[]): Promise<{ loss: number; seconds: number }> {
    const shares = this.split(micro, spec);
    const answers = await Promise.all(
      this.workers.map((w, k) => w.request({ type: 'gradients', parts: shares[k].parts, coefs: shares[k].coefs, loss: spec, seed: seeds?.[k] })),
    );
    return { loss: answers.reduce((a, r) => a + r.loss, 0), seconds: Math.max(...answers.map(r => r.seconds)) };
  }

  /** One optimisation step over the micro-batches (gradient accumulation), as trainStep does. */
  async step(micro: Batch[], options: ParallelStepOptions): Promise<StepResult> {
    const { loss } = await this.gradients(micro, options.loss ?? SINGLE_LABEL_LOSS, options.seeds);
    const squares = await Promise.all(this.workers.map((w, k) => w.request({ type: 'reduce', from: this.ranges[k][0], to: this.ranges[k][1] })));
    const norm = Math.fround(Math.sqrt(squares.reduce((a, r) => a + r.sumOfSquares, 0)));
    const coef = clipScale(norm, options.maxGradNorm);
    const clipped = coef < 1;
    this.adamStep++;
    await Promise.all(
      this.workers.map((w, k) =>
        w.request({ type: 'update', from: this.ranges[k][0], to: this.ranges[k][1], lr: options.lr, step: this.adamStep, gradScale: clipped ? coef : 1 }),
      ),
    );
    return { loss, gradNorm: norm, clipped };
  }

  /**
   * Logits of each batch with the current weights, dropout off: the batches shared among the
   * workers by padded size (for evaluation on every core).
   */
  async logits(batches: Batch[]): Promise<Float32Array[]> {
    const load = this.workers.map(() => 0);
    const mine: number[][] = this.workers.map(() => []);
    const size = (b: Batch) => b.labels.length * (b.inputIds[0]?.length ?? 0);
    // Largest first, each to the least loaded worker.
    for (const i of batches.map((_, i) => i).sort((a, b) => size(batches[b]) - size(batches[a]))) {
      const k = load.indexOf(Math.min(...load));
      mine[k].push(i);
      load[k] += size(batches[i]);
    }
    const out: Float32Array[] = new Array(batches.length);
    await Promise.all(
      this.workers.map(async (w, k) => {
        if (!mine[k].length) return;
        // In passes no larger than training's largest (a forward pass alone holds less a token
        // than a forward and backward one), so evaluating grows no worker's heap.
        const passes = mine[k].map(i => {
          const b = batches[i];
          const longest = Math.max(1, b.inputIds[0]?.length ?? 0);
          const perPass = this.largestPass ? Math.max(1, Math.floor(this.largestPass / longest)) : this.rowsPerPass(longest);
          return Array.from({ length: Math.ceil(b.labels.length / perPass) }, (_, p) => rowsOf(b, p * perPass, Math.min(b.labels.length, (p + 1) * perPass)));
        });
        const answer = await w.request({ type: 'logits', batches: passes.flat() });
        let next = 0;
        passes.forEach((parts, j) => {
          const logits = answer.logits.slice(next, (next += parts.length));
          out[mine[k][j]] = logits.length === 1 ? logits[0] : concatFloats(logits);
        });
      }),
    );
    return out;
  }

  /** Seconds of one forward and backward pass over `batch` on all workers (for estimates). */
  async timeGradients(batch: Batch, loss: LossSpec = SINGLE_LABEL_LOSS): Promise<number> {
    return (await this.gradients([batch], loss)).seconds;
  }

  /** Writes the master weights into the model's variables (before evaluating or saving it). */
  copyWeightsTo(model: Classifier): void {
    this.layout.names.forEach((name, i) => {
      const t = tf.tensor(tensorValues(viewOf(this.weights, this.layout, i), tf.getBackend()), this.layout.shapes[i], 'float32');
      model.params.get(name)!.assign(t);
      t.dispose();
    });
  }

  /**
   * The master weights in PyTorch's layout (Linear weights transposed back, one at a time as a
   * writer asks), read straight from shared memory: valid while no step runs.
   */
  torchSources(specs: ParameterSpec[]): TensorSource[] {
    return specs.map(spec => {
      const i = this.layout.names.indexOf(spec.name);
      if (i < 0) throw new Error(`the trainer holds no parameter ${spec.name}`);
      const view = viewOf(this.weights, this.layout, i);
      return { name: spec.name, shape: spec.shape, data: () => (spec.kind === 'linear' ? transposed(view, this.layout.shapes[i]) : view) };
    });
  }

  /**
   * AdamW's moments, as `m.<name>` / `v.<name>` in our layout (what adamw.ts saves): views of
   * the shared arrays, valid while no step runs (a checkpoint writes them between steps).
   */
  optimizerState(): { name: string; shape: number[]; data: Float32Array }[] {
    return (['m', 'v'] as const).flatMap(kind =>
      this.layout.names.map((name, i) => ({
        name: `${kind}.${name}`,
        shape: this.layout.shapes[i],
        data: viewOf(kind === 'm' ? this.m : this.v, this.layout, i),
      })),
    );
  }

  /** Restores AdamW's moments saved by optimizerState() or by adamw.ts. */
  loadOptimizerState(kind: 'm' | 'v', name: string, data: Float32Array): void {
    const i = this.layout.names.indexOf(name);
    if (i < 0) throw new Error(`optimizer state names an unknown parameter ${kind}.${name}`);
    if (data.length !== this.layout.sizes[i])
      throw new Error(`optimizer state ${kind}.${name} has ${data.length} values, the model needs ${this.layout.sizes[i]}`);
    viewOf(kind === 'm' ? this.m : this.v, this.layout, i).set(data);
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map(w => w.worker.terminate()));
  }
}
