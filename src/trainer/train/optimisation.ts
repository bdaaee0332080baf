/**
 * How a run takes its optimisation steps: on the main thread with TensorFlow.js's own AdamW
 * (native backends, one core, or when asked for), or data-parallel across gradient workers with
 * AdamW on shared memory (../parallel). runTraining sees only this interface.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { afterBatch, type BackendReport } from '../backend';
import { defaultThreads } from '../../shared/trainerProtocol';
import type { TensorSource } from '../checkpoint/safetensors';
import type { Classifier } from '../model/classifier';
import { ParallelTrainer } from '../parallel/parallelTrainer';
import { AdamW } from './adamw';
import type { AdamWOptions } from '../step/adamwMath';
import type { BatchLogits } from './evaluate';
import { timeGradients, trainStep, type StepOptions } from './step';
import type { Batch, StepResult } from '../step/batch';
import { SINGLE_LABEL_LOSS, type LossSpec } from '../step/loss';

export interface Optimisation {
  /** Cores the steps use. */
  readonly threads: number;
  /** Whether the trained weights live here rather than in the model's variables (which the run may then release). */
  readonly ownsWeights: boolean;
  /** AdamW steps taken (saved for resuming). */
  adamStep: number;
  step(micro: Batch[], options: { lr: number; maxGradNorm: number; nextSeed: () => number }): Promise<StepResult>;
  /** Seconds of one forward and backward pass over `batch` (for the estimate before a run). */
  timeGradients(batch: Batch): Promise<number>;
  /**
   * The trained weights in PyTorch's layout, each made when a checkpoint writer asks for it.
   * With workers the main thread's model is not kept up to date: evaluation goes through
   * evaluationLogits, checkpoints through this.
   */
  torchSources(): TensorSource[];
  /** Logits of many batches with the trained weights on every core, where the steps have workers. */
  readonly evaluationLogits?: BatchLogits;
  /** AdamW's moments as `m.<name>` / `v.<name>`, in our layout, each read when written. */
  optimizerState(): TensorSource[];
  loadOptimizerState(kind: 'm' | 'v', name: string, data: Float32Array, shape: number[]): void;
  dispose(): Promise<void>;
}

/** Gradient workers for a backend: defaultThreads on WASM and the pure-JS backend, else 1. */
export function threadsFor(backend: BackendReport, asked?: number): number {
  if (backend.tfBackend !== 'wasm' && backend.tfBackend !== 'cpu') return 1;
  return defaultThreads(asked, os.availableParallelism());
}

/**
 * Whether steps on this backend go to gradient workers, whose shared memory holds the trained
 * weights: then the main thread's model only seeds them, and is best made on the pure-JS
 * backend (its memory goes back once released; a WASM heap keeps its size for the whole run).
 */
export function seedsWorkers(backend: BackendReport, threads?: number): boolean {
  return backend.tfBackend === 'wasm' && threadsFor(backend, threads) > 1;
}

export class MainThreadOptimisation implements Optimisation {
  readonly threads = 1;
  readonly ownsWeights = false;

  constructor(
    private readonly model: Classifier,
    private readonly adam: AdamW,
    private readonly loss: LossSpec,
    /** Logits other than the whole forward pass's (head-only training). */
    private readonly logits?: StepOptions['logits'],
  ) {}

  get adamStep(): number {
    return this.adam.step;
  }

  set adamStep(step: number) {
    this.adam.step = step;
  }

  async step(micro: Batch[], o: { lr: number; maxGradNorm: number; nextSeed: () => number }): Promise<StepResult> {
    const result = await trainStep(this.model, this.adam, micro, { ...o, loss: this.loss, logits: this.logits });
    afterBatch();
    return result;
  }

  timeGradients(batch: Batch): Promise<number> {
    return timeGradients(this.model, batch, this.logits, this.loss);
  }

  torchSources(): TensorSource[] {
    return this.model.torchSources();
  }

  optimizerState(): TensorSource[] {
    return (['m', 'v'] as const).flatMap(kind =>
      [...(kind === 'm' ? this.adam.m : this.adam.v)].map(([name, t]) => ({
        name: `${kind}.${name}`,
        shape: t.shape,
        data: async () => (await t.data()) as Float32Array,
      })),
    );
  }

  loadOptimizerState(kind: 'm' | 'v', name: string, data: Float32Array, shape: number[]): void {
    const target = (kind === 'm' ? this.adam.m : this.adam.v).get(name);
    if (!target) throw new Error(`optimizer state names an unknown parameter ${kind}.${name}`);
    tf.tidy(() => {
      const value = tf.tensor(data, shape);
      target.assign(value.shape.join() === target.shape.join() ? value : tf.reshape(value, target.shape));
    });
  }

  async dispose(): Promise<void> {
    this.adam.dispose();
  }
}

class ParallelOptimisation implements Optimisation {
  readonly ownsWeights = true;

  constructor(
    private readonly model: Classifier,
    private readonly trainer: ParallelTrainer,
    private readonly loss: LossSpec,
  ) {}

  get threads(): number {
    return this.trainer.threads;
  }

  get adamStep(): number {
    return this.trainer.adamStep;
  }

  set adamStep(step: number) {
    this.trainer.adamStep = step;
  }

  step(micro: Batch[], o: { lr: number; maxGradNorm: number; nextSeed: () => number }): Promise<StepResult> {
    const seeds = Array.from({ length: this.trainer.threads }, () => o.nextSeed());
    return this.trainer.step(micro, { lr: o.lr, maxGradNorm: o.maxGradNorm, loss: this.loss, seeds });
  }

  timeGradients(batch: Batch): Promise<number> {
    return this.trainer.timeGradients(batch, this.loss);
  }

  torchSources(): TensorSource[] {
    return this.trainer.torchSources(this.model.specs);
  }

  readonly evaluationLogits: BatchLogits = batches => this.trainer.logits(batches);

  optimizerState(): TensorSource[] {
    return this.trainer.optimizerState().map(t => ({ ...t, data: () => t.data }));
  }

  loadOptimizerState(kind: 'm' | 'v', name: string, data: Float32Array): void {
    this.trainer.loadOptimizerState(kind, name, data);
  }

  dispose(): Promise<void> {
    return this.trainer.dispose();
  }
}

export async function startOptimisation(
  model: Classifier,
  decayed: ReadonlySet<string>,
  adam: AdamWOptions,
  backend: BackendReport,
  options: { threads?: number; loss?: LossSpec; warn: (message: string) => void },
): Promise<Optimisation> {
  const threads = threadsFor(backend, options.threads);
  const loss = options.loss ?? SINGLE_LABEL_LOSS;
  // Large models go to workers even on one thread: there AdamW's state stays out of the WASM heap.
  const large = model.numParameters > 50e6 && (backend.tfBackend === 'wasm' || backend.tfBackend === 'cpu');
  if (threads > 1 || large) {
    try {
      const trainer = await ParallelTrainer.start(model, decayed, { threads, backend: backend.tfBackend as 'wasm' | 'cpu', wasmDir: backend.wasmDir, adam });
      return new ParallelOptimisation(model, trainer, loss);
    } catch (e) {
      // Slower, but the run goes on: say why, so the user can fix it or set threads to 1.
      options.warn(`Training on the trainer's own thread: the ${threads} gradient worker${threads > 1 ? 's' : ''} did not start (${(e as Error).message}).`);
    }
  }
  return new MainThreadOptimisation(model, new AdamW(model.params, decayed, adam), loss);
}
