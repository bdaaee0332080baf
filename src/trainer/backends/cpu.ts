/** TensorFlow.js's plain-JavaScript backend: always loads; the last resort. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DROPOUT_KERNEL } from '../kernels/kernelNames';
// Registers the pure-JS backend's seeded dropout kernel (it lives beside the op it computes).
import '../model/dropout';
import type { TrainingBackend } from './types';

export const cpuBackend: TrainingBackend = {
  name: 'cpu',
  async load() {
    await tf.setBackend('cpu');
    await tf.ready();
    return { report: { backend: 'cpu', tfBackend: 'cpu', kernels: tf.getKernel(DROPOUT_KERNEL, 'cpu') ? ['dropout'] : [] } };
  },
};
