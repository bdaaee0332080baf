/**
 * A gradient worker: a thread with its own TensorFlow.js (one WASM instance uses one core) and
 * its own copy of the model, loaded from the shared master weights before every pass. It
 * computes gradients on its share of each batch and, with the others, reduces them and runs
 * AdamW on its slice of the shared arrays.
 *
 * The word-embedding table (most of a small BERT's weights) is not copied into the worker's
 * heap: each pass reads the rows of its ids from shared memory, and their gradient is added into
 * the shared gradient's rows, so neither the table nor its dense [vocab, hidden] gradient ever
 * sits in the heap (whose high-water mark it keeps for the whole run).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend';
import { addInto } from '../kernels/nativeKernels';
import { wasmHeapView } from '../kernels/wasmKernels';
import { Classifier } from '../model/classifier';
import { familyNamed } from '../model/families/index';
import { batchTensors, disposeInputs } from '../step/batch';
import { targetTensor, weightedLoss } from '../step/loss';
import { tapeGradients } from '../step/tapeGradients';
import { Random } from '../util/random';
import { adamwSlice } from './flatAdamW';
import { tensorValues, viewOf } from './flatParameters';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';
import { wasmSliceOptimizer } from './wasmOptimizer';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

async function main() {
  const report = await selectBackend({ prefer: init.backend, wasmDir: init.wasmDir });
  if (report.tfBackend !== init.backend) {
    throw new Error(
      `could not load the ${init.backend} backend the trainer uses (${report.attempts.find(a => a.backend === init.backend)?.reason ?? 'unknown reason'})`,
    );
  }
  const { layout } = init;
  const index = new Map(layout.names.map((n, i) => [n, i]));
  // The family by name, on this side of the boundary: the config crossed as plain data.
  const WORD_EMBEDDINGS = familyNamed(init.config.family).wordEmbeddings;
  const model = Classifier.fromOwnLayout(
    init.config,
    name => tensorValues(viewOf(init.weights, layout, index.get(name)!), init.backend),
    new Set([WORD_EMBEDDINGS]),
  );
  model.freeze(new Set(layout.names.filter((_, i) => layout.frozen[i])));
  const mine = init.grads[init.index];
  const wordIndex = index.get(WORD_EMBEDDINGS)!;
  const hidden = init.config.embeddingSize; // the table's width (ELECTRA's is below the hidden size)

  /** The table's rows at a pass's ids, from the shared master weights. */
  const wordRows = (inputIds: number[][]): tf.Tensor2D => {
    const table = viewOf(init.weights, layout, wordIndex);
    const ids = inputIds.flat();
    const rows = new Float32Array(ids.length * hidden);
    ids.forEach((id, i) => rows.set(table.subarray(id * hidden, (id + 1) * hidden), i * hidden));
    return tf.tensor2d(rows, [ids.length, hidden]);
  };
  /** The rows' gradient into this worker's gradient of the table: summed per id, in the order of the ids, as the dense scatter summed them. */
  const addWordGradient = (inputIds: number[][], grad: Float32Array) => {
    const g = viewOf(mine, layout, wordIndex);
    const ids = inputIds.flat();
    for (let i = 0; i < ids.length; i++) {
      const to = ids[i] * hidden;
      const from = i * hidden;
      for (let j = 0; j < hidden; j++) g[to + j] += grad[from + j];
    }
  };
  const byVariable = new Map<string, number>();
  for (const [name, v] of model.params) byVariable.set(v.name, index.get(name)!);

  /** Master weights → this worker's variables (new tensors: the backend caches packed weights per tensor). */
  const loadWeights = () => {
    for (const [name, v] of model.params) {
      const i = index.get(name)!;
      if (layout.frozen[i]) continue; // never changes
      const t = tf.tensor(tensorValues(viewOf(init.weights, layout, i), init.backend), layout.shapes[i], 'float32');
      v.assign(t);
      t.dispose();
    }
  };

  // Whether an update changed the master weights since this worker last loaded them.
  let stale = false;

  const gradients = async (m: Extract<ToWorker, { type: 'gradients' }>): Promise<FromWorker> => {
    const t0 = performance.now();
    loadWeights();
    stale = false;
    const random = m.seed === undefined ? undefined : new Random(m.seed);
    const nextSeed = random && (() => Math.floor(random.next() * 2 ** 31));
    let loss = 0;
    let first = true;
    // The table's gradient is summed row by row into place: it starts from zero each step (a frozen table has none).
    if (!layout.frozen[wordIndex]) viewOf(mine, layout, wordIndex).fill(0);
    for (let p = 0; p < m.parts.length; p++) {
      const part = m.parts[p];
      if (!part.labels.length) continue;
      const inputs = batchTensors(part);
      const targets = targetTensor(m.loss, part);
      const coefs = tf.tensor1d(m.coefs[p]);
      // A variable of this pass only, so that the tape gives the rows' gradient.
      const rows = wordRows(part.inputIds);
      const words = tf.variable(rows, !layout.frozen[wordIndex]);
      rows.dispose();
      try {
        // Each gradient goes to shared memory the moment it is complete, and out of the heap.
        const { value } = tapeGradients(
          () => weightedLoss(m.loss, model.forward(inputs, { training: true, nextSeed, wordEmbeddings: words }).logits, targets, coefs),
          (v, g) => {
            const data = wasmHeapView(g) ?? (g.dataSync() as Float32Array);
            if (v === words) addWordGradient(part.inputIds, data);
            else {
              const view = viewOf(mine, layout, byVariable.get(v.name)!);
              if (first) view.set(data);
              else addInto(view, data); // a later pass of the step: its gradient added
            }
            g.dispose();
          },
        );
        loss += (await value.data())[0];
        value.dispose();
        first = false;
      } finally {
        disposeInputs(inputs);
        tf.dispose([targets, coefs, words]);
      }
    }
    if (first) mine.fill(0); // no rows for this worker in this step
    return { type: 'gradients', id: m.id, loss, seconds: (performance.now() - t0) / 1000 };
  };

  const simd = wasmSliceOptimizer(init, layout, init.adam);
  const reduce = (m: Extract<ToWorker, { type: 'reduce' }>): FromWorker => {
    if (simd) return { type: 'reduce', id: m.id, sumOfSquares: simd.reduce(m.from, m.to) };
    const [sum, ...others] = init.grads;
    const last = others.pop();
    // One simple loop per buffer (V8 compiles these far better than one loop over all of them);
    // the last also squares, while the values are in cache.
    for (const o of others) for (let j = m.from; j < m.to; j++) sum[j] += o[j];
    let squares = 0;
    if (last) {
      for (let j = m.from; j < m.to; j++) {
        const g = Math.fround(sum[j] + last[j]);
        sum[j] = g;
        squares += g * g;
      }
    } else for (let j = m.from; j < m.to; j++) squares += sum[j] * sum[j];
    return { type: 'reduce', id: m.id, sumOfSquares: squares };
  };

  const logits = async (m: Extract<ToWorker, { type: 'logits' }>): Promise<Float32Array[]> => {
    if (stale) loadWeights();
    stale = false;
    const out: Float32Array[] = [];
    for (const batch of m.batches) {
      const inputs = batchTensors(batch);
      const words = wordRows(batch.inputIds);
      const result = model.forward(inputs, { training: false, wordEmbeddings: words });
      out.push(new Float32Array((await result.logits.data()) as Float32Array));
      tf.dispose([result.logits, result.pooled, result.clsHidden, words]);
      disposeInputs(inputs);
    }
    return out;
  };

  const update = (m: Extract<ToWorker, { type: 'update' }>): void => {
    stale = true;
    if (simd) simd.update(m.from, m.to, m);
    else adamwSlice(layout, m.from, m.to, { weights: init.weights, grads: init.grads[0], m: init.m, v: init.v }, init.adam, m);
  };

  port.on('message', (m: ToWorker) => {
    void (async () => {
      try {
        if (m.type === 'gradients') post(await gradients(m));
        else if (m.type === 'logits') {
          const values = await logits(m);
          port.postMessage(
            { type: 'logits', id: m.id, logits: values } satisfies FromWorker,
            values.map(v => v.buffer as ArrayBuffer),
          );
        } else if (m.type === 'reduce') post(reduce(m));
        else {
          update(m);
          post({ type: 'update', id: m.id });
        }
      } catch (e) {
        post({ type: 'error', id: m.id, message: (e as Error).message, stack: (e as Error).stack });
      }
    })();
  });
  post({ type: 'ready' });
}

main().catch(e => post({ type: 'error', message: (e as Error).message, stack: (e as Error).stack }));
