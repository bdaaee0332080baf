/**
 * AdamW on tensors, for the single-thread and GPU paths: the update of ../step/adamwMath.ts
 * (torch.optim.AdamW's single-tensor path), its constants from there, in tensor ops or, where a
 * backend has them, in our fused kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_KERNELS, type AdamMomentAttrs, type AdamUpdateAttrs } from '../kernels/kernelNames';

import { ADAMW_DEFAULTS, adamwConstants, adamwKeep, type AdamWOptions } from '../step/adamwMath';

/**
 * Our kernels for one parameter's update where a backend has them (WebGPU,
 * ../kernels/webgpuKernels.ts): the same float32 operations in three passes instead of ten.
 */
export { ADAM_KERNELS, type AdamMomentAttrs, type AdamUpdateAttrs } from '../kernels/kernelNames';

export class AdamW {
  /** Optimizer steps taken (torch's `state['step']`). */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    /** Names of the parameters that get weight decay. */
    private readonly decayed: ReadonlySet<string>,
    readonly options: AdamWOptions = ADAMW_DEFAULTS,
  ) {
    for (const [name, p] of params) {
      // tf.variable keeps its initial tensor alive: dispose that handle, keep the variable.
      const zeros = tf.zerosLike(p);
      this.m.set(name, tf.variable(zeros, false));
      this.v.set(name, tf.variable(zeros, false));
      zeros.dispose();
    }
  }

  /**
   * One update of every parameter with its gradient (by parameter name), at learning rate lr;
   * each gradient multiplied by `scale` first where given (gradient clipping's coefficient).
   */
  apply(grads: Map<string, tf.Tensor>, lr: number, scale?: tf.Scalar): void {
    this.step++;
    const { beta1, beta2, eps } = this.options;
    const { stepSize, bc2Sqrt, c1, c2 } = adamwConstants(this.options, lr, this.step);
    const fused = Boolean(tf.getKernel(ADAM_KERNELS.update, tf.getBackend()));
    // The fused kernels multiply by the scale as they read the gradient (no scaled copy of it): 1 when none is given.
    const c = fused ? (scale ?? tf.scalar(1)) : undefined;
    for (const [name, p] of this.params) {
      const given = grads.get(name);
      if (!given) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const keep = adamwKeep(this.options, lr, this.decayed.has(name));
      if (c) {
        tf.tidy(() => {
          const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: object) =>
            tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
          const m2 = run(ADAM_KERNELS.moment, { m, g: given, c }, { beta: beta1, oneMinusBeta: c1 } satisfies AdamMomentAttrs);
          const v2 = run(ADAM_KERNELS.square, { m: v, g: given, c }, { beta: beta2, oneMinusBeta: c2 } satisfies AdamMomentAttrs);
          const p2 = run(ADAM_KERNELS.update, { p, m: m2, v: v2 }, { keep, stepSize, bc2Sqrt, eps } satisfies AdamUpdateAttrs);
          m.assign(m2);
          v.assign(v2);
          p.assign(p2);
        });
        continue;
      }
      tf.tidy(() => {
        const g = scale ? tf.mul(given, scale) : given;
        const decayed = keep !== 1 ? tf.mul(p, keep) : p;
        const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, c1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), c2));
        const denom = tf.add(tf.div(tf.sqrt(v2), bc2Sqrt), eps);
        m.assign(m2);
        v.assign(v2);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m2, denom), stepSize)));
      });
    }
    if (c !== scale) c?.dispose();
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
