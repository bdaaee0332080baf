/**
 * Gradients of a scalar with respect to the trainable variables: tf.variableGrads, with the
 * memory kept the way PyTorch's autograd keeps it.
 *
 * tf.variableGrads (tfjs-core's engine.gradients) keeps every gradient it computes until the
 * whole backward pass ends: each intermediate tensor's gradient, every customGrad's working
 * tensors, and every op's saved inputs, so the backward pass of BERT held several times the
 * activations the forward pass needed (measured: L4/H256 at 8 × 128 tokens took the WASM heap
 * to 472 MiB with it, 158 MiB with this and the ops of ../model).
 * This walks the same tape with the same gradient functions, in the same order — so the values
 * are bit for bit tf.variableGrads' — but frees as it goes: an intermediate gradient once the
 * node that consumes it has run, a node's saved tensors once its gradient has run, each
 * gradient function's working tensors at once, and (with `onGradient`) each variable's
 * gradient as soon as it is complete, handed over to be copied out, so that the full set of
 * weight gradients never sits in the backend's memory beside the activations.
 *
 * It reads tfjs-core's tape (engine internals of the pinned 4.22: `state.activeTape`,
 * `startTape`/`endTape`, `getFilteredNodesXToY`); test/unit/tapeGradients.test.ts holds it to
 * tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; taping needs them whatever the model imported.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { getFilteredNodesXToY, type TapeNode } from '@tensorflow/tfjs-core/dist/tape';

/** The engine's members this file uses (private in tfjs-core's typings). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  registeredVariables: Record<string, tf.Variable>;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

export interface TapeGradients {
  value: tf.Scalar;
  /** By variable name: the gradients not handed to onGradient (all of them without it). */
  grads: Map<string, tf.Tensor>;
}

/**
 * `onGradient(variable, grad)` takes each trainable variable's gradient as soon as it is final
 * and owns it (disposes it); variables `f` does not reach get none, as with tf.variableGrads.
 */
export function tapeGradients(f: () => tf.Scalar, onGradient?: (variable: tf.Variable, grad: tf.Tensor) => void): TapeGradients {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth > 0) throw new Error('tapeGradients does not nest inside another gradient computation');
  const variables = Object.values(engine.registeredVariables).filter(v => v.trainable);
  if (!variables.length) throw new Error('no trainable variables to take gradients of');

  const value = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  const tape = engine.state.activeTape ?? [];
  engine.state.activeTape = null;
  try {
    if (value.rank !== 0) throw new Error(`the loss must be a scalar, got a rank-${value.rank} tensor`);
    const path = getFilteredNodesXToY(tape, variables, value);
    // Saved tensors of nodes off the path to the loss are never needed.
    const onPath = new Set(path.map(n => n.id));
    for (const node of tape) if (!onPath.has(node.id)) node.saved?.forEach(t => t.dispose());

    let grads = new Map<string, tf.Tensor>();
    // (A Map is no TensorContainer: the kept gradients are tf.keep'd, the rest go with the scope.)
    tf.tidy(() => void (grads = backward(engine, path, value, variables, onGradient)));
    return { value, grads };
  } catch (e) {
    value.dispose();
    throw e;
  } finally {
    for (const node of tape) node.saved?.forEach(t => t.dispose());
  }
}

function backward(
  engine: EngineInternals,
  path: TapeNode[],
  y: tf.Scalar,
  variables: tf.Variable[],
  onGradient?: (variable: tf.Variable, grad: tf.Tensor) => void,
): Map<string, tf.Tensor> {
  const variableById = new Map(variables.map(v => [v.id, v]));
  // The earliest node reading each tensor: walking back, its gradient is complete after that node.
  const firstReader = new Map<number, number>();
  path.forEach((node, i) => {
    for (const x of Object.values(node.inputs)) if (!firstReader.has(x.id)) firstReader.set(x.id, i);
  });

  // Gradient of each tensor id; a gradient function may hand back a tensor it was given (or one
  // tensor for two inputs), so tensors are disposed only when no entry holds them.
  const gradOf = new Map<number, tf.Tensor>();
  const holders = new Map<tf.Tensor, number>();
  const hold = (id: number, g: tf.Tensor) => {
    gradOf.set(id, g);
    holders.set(g, (holders.get(g) ?? 0) + 1);
  };
  const release = (id: number) => {
    const g = gradOf.get(id);
    if (!g) return undefined;
    gradOf.delete(id);
    const left = holders.get(g)! - 1;
    if (left > 0) holders.set(g, left);
    else holders.delete(g);
    return { g, last: left === 0 };
  };
  hold(y.id, tf.onesLike(y));

  const done = new Map<string, tf.Tensor>();
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map(o => gradOf.get(o.id) ?? null) as tf.Tensor[];
    const names = Object.keys(node.inputs);
    // The gradient function's working tensors go at once; only the input gradients stay.
    const dxs = engine.tidy(node.kernelName, () => {
      const fns = node.gradient!(dys);
      return names.map(name => {
        if (!(name in fns)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(fns)}.`);
        return fns[name]();
      });
    });
    // This node's outputs have no other readers left (later nodes ran first): their gradients go.
    for (const o of node.outputs) {
      const r = release(o.id);
      if (r?.last && !dxs.includes(r.g)) r.g.dispose();
    }
    names.forEach((name, k) => {
      const x = node.inputs[name];
      const dx = dxs[k];
      if (dx.dtype !== 'float32')
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      if (dx.shape.join() !== x.shape.join())
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
        );
      const prev = release(x.id);
      if (!prev) hold(x.id, dx);
      else {
        hold(x.id, tf.add(prev.g, dx));
        if (prev.last) prev.g.dispose();
        if (!holders.has(dx) && !dxs.slice(k + 1).includes(dx)) dx.dispose();
      }
    });
    node.saved?.forEach(t => holders.has(t) || t.dispose());
    // Variables read first by this node now have their whole gradient.
    for (const x of Object.values(node.inputs)) {
      const v = variableById.get(x.id);
      if (!v || firstReader.get(x.id) !== i || !gradOf.has(x.id)) continue;
      const { g } = release(x.id)!;
      if (onGradient) onGradient(v, g);
      else done.set(v.name, tf.keep(g));
    }
  }
  return done;
}
