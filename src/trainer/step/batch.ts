/**
 * What a step takes and gives, shared by the one-thread step (../train/step.ts) and the
 * gradient workers (../parallel/): a padded batch as plain arrays, its tensors, the result.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelInputs } from '../model/classifier';

/** A padded batch, as plain arrays: what the data pipeline produces. */
export interface Batch {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
  /** Single-label: the class ids. Other tasks: 0 (the rows' count, and no class weight). */
  labels: number[];
  /** Multi-label: 0/1 per label; regression: [the value]. Absent for single-label. */
  targets?: number[][];
  /** 1-based data row numbers, for reporting. */
  rows?: number[];
}

export function batchTensors(b: Batch): ModelInputs {
  return {
    inputIds: tf.tensor2d(b.inputIds, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, undefined, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, undefined, 'int32'),
  };
}

export function disposeInputs(x: ModelInputs): void {
  tf.dispose([x.inputIds, x.tokenTypeIds, x.attentionMask]);
}

export interface StepResult {
  /** Mean loss over the micro-batches, before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
}
