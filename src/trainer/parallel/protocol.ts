/**
 * Messages between the trainer and its gradient workers (threads of one process, so plain
 * structured clones; shared memory carries weights, moments and gradients, never messages).
 */
import type { ModelConfig } from '../model/config';
import type { AdamWOptions } from '../step/adamwMath';
import type { Batch } from '../step/batch';
import type { LossSpec } from '../step/loss';
import type { FlatAdamWStep } from './flatAdamW';
import type { FlatLayout } from './flatParameters';

export interface WorkerInit {
  index: number;
  config: ModelConfig;
  layout: FlatLayout;
  /** The tfjs backend the worker loads: the trainer's own, WASM or the pure-JS one. */
  backend: 'wasm' | 'cpu';
  wasmDir?: string;
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** One gradient buffer per worker; this worker writes grads[index]. */
  grads: Float32Array[];
  /** The shared WebAssembly.Memory all of these lie in, if they do (see allocateFlat). */
  memory?: object;
  adam: AdamWOptions;
}

export type ToWorker =
  /** Gradients of Σ coef·loss over this worker's share of each micro-batch, into grads[index]. */
  | { type: 'gradients'; id: number; parts: Batch[]; coefs: number[][]; loss: LossSpec; seed?: number }
  /** Logits of these batches with the current weights, dropout off (evaluation). */
  | { type: 'logits'; id: number; batches: Batch[] }
  /** Sum every worker's gradients into grads[0] over [from, to); answer Σ g² there. */
  | { type: 'reduce'; id: number; from: number; to: number }
  /** AdamW on [from, to) with the summed gradients in grads[0]. */
  | ({ type: 'update'; id: number; from: number; to: number } & FlatAdamWStep);

export type FromWorker =
  | { type: 'ready' }
  | { type: 'gradients'; id: number; loss: number; seconds: number }
  | { type: 'logits'; id: number; logits: Float32Array[] }
  | { type: 'reduce'; id: number; sumOfSquares: number }
  | { type: 'update'; id: number }
  | { type: 'error'; id?: number; message: string; stack?: string };
