/**
 * Predictions with a model kept in memory: texts in, what the model's task answers out (a label
 * and every label's probability; the labels over their thresholds; a value), batched by length. Loads a model once and keeps it until another is asked for.
 */
import { maxTokens } from '../model/parameters';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_MAX_LENGTH, type Prediction } from '../../shared/inferenceProtocol';
import { loadCheckpoint, taskOf, type LoadedModel } from '../checkpoint/hfCheckpoint';
import { resolveModel } from '../hub/resolveModel';
import { batchesOf } from '../train/batches';
import { batchTensors, disposeInputs } from '../step/batch';
import { afterBatch } from '../backend';
import { assertFiniteOutputs } from '../util/finite';
import { predictionOf } from '../task/outputs';
import type { TaskName } from '../../shared/tasks';

const BATCH = 32;

export class Predictor {
  private loaded: { ref: string; model: LoadedModel } | undefined;
  /** Notices of the last load (cache fallback, renamed keys), for the log. */
  notices: string[] = [];

  async model(ref: string): Promise<LoadedModel> {
    if (this.loaded?.ref === ref) return this.loaded.model;
    const resolved = await resolveModel(ref);
    const model = loadCheckpoint(resolved.dir);
    this.dispose();
    this.loaded = { ref, model };
    this.notices = [...resolved.notices, ...model.notices];
    return model;
  }

  async predict(
    ref: string,
    items: { text: string; pair?: string }[],
    maxLength?: number,
  ): Promise<{ labels: string[]; task: TaskName; thresholds?: number[]; results: Prediction[]; maxLength: number }> {
    const { model, tokenizer, thresholds } = await this.model(ref);
    const labels = model.config.id2label;
    const task = taskOf(model.config);
    const max = Math.min(maxLength ?? DEFAULT_MAX_LENGTH, tokenizer.modelMaxLength, maxTokens(model.config));
    const encoded = items.map(i => tokenizer.encode(i.text, i.pair, max));
    const examples = encoded.map((e, i) => ({ inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label: 0, line: i }));
    // Similar lengths together: little compute on padding. Results go back to input order.
    const order = examples.map((_, i) => i).sort((a, b) => examples[a].inputIds.length - examples[b].inputIds.length);
    const results: Prediction[] = new Array(items.length);
    for (const batch of batchesOf(examples, order, BATCH, tokenizer.padId)) {
      const inputs = batchTensors(batch);
      const logits = tf.tidy(() => model.forward(inputs, { training: false }).logits);
      disposeInputs(inputs);
      const rows = (await logits.array()) as number[][];
      logits.dispose();
      afterBatch();
      assertFiniteOutputs(rows, ref, k => `the text ${JSON.stringify(items[batch.rows![k]].text.slice(0, 60))}`);
      rows.forEach((l, k) => {
        const i = batch.rows![k];
        results[i] = { ...predictionOf(task, l, labels, thresholds), truncated: encoded[i].truncated, tokens: encoded[i].inputIds.length };
      });
    }
    return { labels, task, thresholds, results, maxLength: max };
  }

  dispose(): void {
    this.loaded?.model.model.dispose();
    this.loaded = undefined;
  }
}
