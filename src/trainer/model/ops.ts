/**
 * The few operations BERT needs, written so that TensorFlow.js runs them fast and exactly:
 * dense layers with hand-written gradients (transposed matmuls, which on WASM run in our SIMD
 * kernel, ../kernels, rather than through materialised transposes), and an embedding lookup
 * whose gradient is a scatter (tfjs's own is missing on WASM, and loops once per vocabulary row
 * on the CPU backend).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; training needs them (the union package imports this too).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { HiddenAct } from './config';
import { GELU_GRAD_KERNEL, GELU_KERNELS, LAYER_NORM_KERNELS, SEGMENT_SUMS_KERNEL } from '../kernels/kernelNames';

export { GELU_GRAD_KERNEL, LAYER_NORM_KERNELS, SEGMENT_SUMS_KERNEL } from '../kernels/kernelNames';

/** x [n, in] · w [in, out] + b [out]; dx = dy·wᵀ, dw = xᵀ·dy, db = Σ dy over rows. */
export const dense = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    // On WebGPU the bias rides in the matmul's epilogue, one pass fewer over the output; on WASM
    // FusedMatMul would bypass our own matmul kernels (../kernels), so there it stays an add.
    value: (tf.getBackend() === 'webgpu' ? tf.fused.matMul({ a: x, b: w, bias: b }) : tf.add(tf.matMul(x, w), b)) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, ws, false, true), tf.matMul(xs, dy as tf.Tensor2D, true, false), columnSums(dy as tf.Tensor2D)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** Σ over rows of [n, out] (on WASM our kernel: the backend's own transposes first). */
function columnSums(m: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(m, 0);
}

/** table [V, H] looked up at ids [n] → [n, H]; the gradient scatters (summing repeated ids). */
export const embeddingLookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([ids]);
  return {
    value: tf.gather(table, ids) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [i] = saved;
      // On the GPU the scatter adds repeated ids atomically, in no fixed order: sum them first, in order.
      const rows = tf.getKernel(SEGMENT_SUMS_KERNEL, tf.getBackend()) ? (tf.engine().runKernel(SEGMENT_SUMS_KERNEL, { ids: i, dy }) as tf.Tensor) : dy;
      return [tf.scatterND(tf.expandDims(i, 1), rows, table.shape), tf.zerosLike(i)];
    },
  };
}) as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;

type LayerNormFn = (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D;
const layerNorms = new Map<string, LayerNormFn>();

/** The same function in five kernels: [rows, 2] statistics saved for the backward pass instead of x̂. */
function fusedLayerNorm(eps: number): LayerNormFn {
  const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor;
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const stats = run(LAYER_NORM_KERNELS.stats, { x }, { eps });
    save([x, stats, gamma]);
    return {
      value: run(LAYER_NORM_KERNELS.apply, { x, stats, gamma, beta }) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, st, g] = saved;
        return [
          run(LAYER_NORM_KERNELS.dx, { x: xs, stats: st, gamma: g, dy }),
          run(LAYER_NORM_KERNELS.dgamma, { x: xs, stats: st, dy }),
          run(LAYER_NORM_KERNELS.dbeta, { x: xs, stats: st, dy }),
        ];
      },
    };
  }) as LayerNormFn;
}

/**
 * LayerNorm over the last axis, biased variance, as torch.nn.LayerNorm, with its gradient in
 * closed form: a third of the kernels tfjs's autodiff of the same forward emits.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  const fused = Boolean(tf.getKernel(LAYER_NORM_KERNELS.stats, tf.getBackend()));
  const key = `${fused ? 'fused' : 'ops'}:${eps}`;
  let fn = layerNorms.get(key);
  if (!fn && fused) layerNorms.set(key, (fn = fusedLayerNorm(eps)));
  if (!fn) {
    fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xs, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
      const { mean, variance } = tf.moments(xs, -1, true);
      const rstd = tf.rsqrt(tf.add(variance, eps));
      const xhat = tf.mul(tf.sub(xs, mean), rstd);
      save([xhat, rstd, g]);
      return {
        value: tf.add(tf.mul(xhat, g), b) as tf.Tensor2D,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xh, r, gm] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
          const dxhat = tf.mul(dy, gm);
          // dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), per row
          const dx = tf.mul(r, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))));
          return [dx, columnSums(tf.mul(dy, xh) as tf.Tensor2D), columnSums(dy as tf.Tensor2D)];
        },
      };
    }) as LayerNormFn;
    layerNorms.set(key, fn);
  }
  return fn(x, gamma, beta);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * a + b of one shape, for the residual connections: tfjs's Add keeps both inputs for the
 * backward pass (to undo broadcasting), a hidden-sized tensor a layer that nothing else needs.
 */
export const residual = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b] = args as [tf.Tensor2D, tf.Tensor2D];
  // A new tensor object over the same data for b: one gradient per input, none freed twice.
  return { value: tf.add(a, b) as tf.Tensor2D, gradFunc: (dy: tf.Tensor) => [dy, tf.clone(dy)] };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

const cdfOf = (x: tf.Tensor) => tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);

/**
 * Exact GELU, x · Φ(x), Φ(x) = (1 + erf(x/√2)) / 2, with the gradient dy · (Φ(x) + x·φ(x)) in one
 * kernel (autodiff of the formula runs some ten, among them a slow exp). Only x is kept: Φ is
 * computed again in the backward pass, as PyTorch's GELU does, rather than held beside x
 * (the intermediate size, four times the hidden one, a token and layer).
 */
const gelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
  save([x]);
  // One pass each way where the backend has both kernels (WASM's, with PyTorch's erf).
  const fused = Boolean(tf.getKernel(GELU_KERNELS.forward, tf.getBackend()) && tf.getKernel(GELU_KERNELS.backward, tf.getBackend()));
  return {
    value: (fused ? tf.engine().runKernel(GELU_KERNELS.forward, { x }) : tf.mul(x, cdfOf(x))) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs] = saved;
      if (fused) return tf.engine().runKernel(GELU_KERNELS.backward, { x: xs, dy }) as tf.Tensor;
      const c = cdfOf(xs);
      if (tf.getKernel(GELU_GRAD_KERNEL, tf.getBackend())) return tf.engine().runKernel(GELU_GRAD_KERNEL, { x: xs, cdf: c, dy }) as tf.Tensor;
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return tf.mul(dy, tf.add(c, tf.mul(xs, pdf)));
    },
  };
}) as (x: tf.Tensor2D) => tf.Tensor2D;

export function activation(x: tf.Tensor2D, act: HiddenAct): tf.Tensor2D {
  return tf.tidy(() => {
    switch (act) {
      case 'gelu': // exact: x · Φ(x)
        return gelu(x);
      case 'gelu_new':
      case 'gelu_pytorch_tanh': // the tanh approximation
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI)), 1));
      case 'relu':
        return tf.relu(x);
    }
  });
}
