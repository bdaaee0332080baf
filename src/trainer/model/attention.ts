/**
 * BERT's scaled dot-product attention as one differentiable op, so that the backward pass keeps
 * what PyTorch's keeps: the heads of Q, K and V and the attention probabilities. Written as
 * separate ops, tfjs's autodiff also kept the dense outputs behind each reshape, the scores
 * before and after scaling, the probabilities before and after dropout (with the residual and
 * GELU changes in ops.ts, what a layer keeps went from 38.8 to 24.7 × hidden floats a token,
 * measured at H256, 128 tokens). The dropout mask is drawn
 * again from its seed in the backward pass, as dropout.ts does.
 *
 * Forward and backward run the very kernels tfjs's autodiff of the separate ops ran, in the
 * same order, so the values are unchanged (test/unit/attention.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; the separate ops' autodiff needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { applyDropout, dropout, hasSeededDropout } from './dropout';

export interface AttentionShape {
  batch: number;
  /** Positions that ask (all of them, or only [CLS] in the last layer). */
  queries: number;
  /** Positions asked: the sequence length. */
  keys: number;
  heads: number;
  headSize: number;
}

export interface AttentionDropout {
  rate: number;
  seed: number;
}

/**
 * softmax(q·kᵀ/√d + mask) · v per head. q [batch·queries, hidden], k and v [batch·keys, hidden],
 * mask [batch, 1, 1, keys] (0 or the most negative float) or any shape that broadcasts to the
 * scores [batch, heads, queries, keys]; returns [batch·queries, hidden]. With `biasGradient`
 * the mask is a trained score bias too (DeBERTa's relative positions) and gets its gradient.
 */
export function attention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  mask: tf.Tensor4D,
  shape: AttentionShape,
  drop?: AttentionDropout,
  biasGradient = false,
): tf.Tensor2D {
  // Without our seeded dropout kernel (tfjs-node) the mask cannot be drawn again: separate ops.
  if (drop && drop.rate > 0 && !hasSeededDropout()) return separateOps(q, k, v, mask, shape, drop);
  const { batch, queries, keys, heads, headSize } = shape;
  const scale = Math.sqrt(headSize);
  const toHeads = (t: tf.Tensor2D, positions: number) => tf.transpose(tf.reshape(t, [batch, positions, heads, headSize]), [0, 2, 1, 3]) as tf.Tensor4D;
  const fromHeads = (t: tf.Tensor, positions: number) => tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [batch * positions, heads * headSize]);
  const dropping = drop && drop.rate > 0 ? drop : undefined;
  const fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q2, k2, v2, m, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor4D, tf.GradSaveFunc];
    const qh = toHeads(q2, queries);
    const kh = toHeads(k2, keys);
    const vh = toHeads(v2, keys);
    const probs = tf.softmax(tf.add(tf.div(tf.matMul(qh, kh, false, true), scale), m));
    const dropped = dropping ? applyDropout(probs, dropping.rate, dropping.seed) : probs;
    save([qh, kh, vh, probs]);
    return {
      value: fromHeads(tf.matMul(dropped, vh), queries) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qs, ks, vs, p] = saved as tf.Tensor4D[];
        const dContext = toHeads(dy as tf.Tensor2D, queries);
        const pd = dropping ? applyDropout(p, dropping.rate, dropping.seed) : p;
        const dv = tf.matMul(pd, dContext, true, false);
        const dDropped = tf.matMul(dContext, vs, false, true);
        const dProbs = dropping ? applyDropout(dDropped, dropping.rate, dropping.seed) : dDropped;
        // softmax's gradient as tfjs writes it: dy·y − Σ(dy·y)·y
        const dyTimesY = tf.mul(dProbs, p);
        const dBiased = tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, -1, true), p));
        const dScores = tf.div(dBiased, scale);
        const dq = tf.matMul(dScores, ks, false, false);
        const dk = tf.matMul(dScores, qs, true, false);
        return [fromHeads(dq, queries), fromHeads(dk, keys), fromHeads(dv, keys), biasGradient ? reduceTo(dBiased, mask.shape) : tf.zerosLike(mask)];
      },
    };
  });
  return fn(q, k, v, mask) as tf.Tensor2D;
}

/** A gradient of the scores' shape summed over the axes `shape` broadcast along. */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = shape.flatMap((n, i) => (n === 1 && g.shape[i] !== 1 ? [i] : []));
  return axes.length ? tf.sum(g, axes, true) : g;
}

/** The same function as tfjs ops, differentiated by tfjs: the definition attention() is held to, and the path without seeded dropout. */
export function separateOps(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor4D, shape: AttentionShape, drop: AttentionDropout): tf.Tensor2D {
  const { batch, queries, keys, heads, headSize } = shape;
  const toHeads = (t: tf.Tensor2D, positions: number) => tf.transpose(tf.reshape(t, [batch, positions, heads, headSize]), [0, 2, 1, 3]);
  return tf.tidy(() => {
    const scores = tf.add(tf.div(tf.matMul(toHeads(q, queries), toHeads(k, keys), false, true), Math.sqrt(headSize)), mask);
    const probs = dropout(tf.softmax(scores), drop.rate, drop.seed);
    return tf.reshape(tf.transpose(tf.matMul(probs, toHeads(v, keys)), [0, 2, 1, 3]), [batch * queries, heads * headSize]) as tf.Tensor2D;
  });
}
