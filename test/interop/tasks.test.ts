/**
 * Multi-label classification and regression against the real transformers and scikit-learn
 * (test/interop/tasks.py makes the folders): per task, a 5-step training trajectory within 1e-4
 * (relative loss) of transformers' own loss for the config's problem_type (and of
 * BCEWithLogitsLoss with pos_weight), the saved folder loading in transformers with its
 * problem_type and the same logits, and every metric equal to scikit-learn's and scipy's on the
 * same predictions.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { isDecayed } from '../../src/trainer/model/parameters';
import { batchTensors, disposeInputs, type Batch } from '../../src/trainer/step/batch';
import { padBatch } from '../../src/trainer/train/batches';
import { AdamW } from '../../src/trainer/train/adamw';
import { lrFactor } from '../../src/trainer/train/schedule';
import { trainStep } from '../../src/trainer/train/step';
import { multiLabelMetrics } from '../../src/trainer/task/multiLabelMetrics';
import { regressionMetrics } from '../../src/trainer/task/regressionMetrics';
import type { TaskName } from '../../src/shared/tasks';
import { Random } from '../../src/trainer/util/random';
import { useBackend } from '../unit/backendSetup';
import { runPython, skip } from './python';

interface Reference {
  transformers: string;
  task: TaskName;
  pos_weight: number[] | null;
  problem_type: string;
  trajectory: {
    batches: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; targets: (number[] | number)[] }[];
    steps: { lr: number; loss: number; grad_norm: number }[];
    batch0_logits_after: number[][];
  };
}

const VARIANTS: [string, string, string][] = [
  ['bert-multi-label', "multi-label (transformers' BCEWithLogitsLoss, the mean over rows and labels)", 'BertForSequenceClassification'],
  ['bert-multi-label-pos-weight', 'multi-label with a pos_weight per label (BCEWithLogitsLoss(pos_weight))', 'BertForSequenceClassification'],
  ['bert-regression', "regression (transformers' MSELoss on the one output)", 'BertForSequenceClassification'],
  ['distilbert-multi-label', 'DistilBERT multi-label (its pre_classifier + ReLU head)', 'DistilBertForSequenceClassification'],
  ['electra-regression', 'ELECTRA regression (its dense + GELU + out_proj head, embeddings projected)', 'ElectraForSequenceClassification'],
];

const worst = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

/** The reference batch as BERT Tune's Batch: targets per row, 0 as the class id. */
function batchOf(b: Reference['trajectory']['batches'][number]): Batch {
  return {
    inputIds: b.input_ids,
    tokenTypeIds: b.token_type_ids,
    attentionMask: b.attention_mask,
    labels: b.targets.map(() => 0),
    targets: b.targets.map(t => (Array.isArray(t) ? t : [t])),
  };
}

describe('multi-label classification and regression against transformers and scikit-learn', { skip }, () => {
  let made: string;
  before(async () => {
    await useBackend('wasm');
    made = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-tasks-'));
    runPython('tasks.py', ['make', made]);
  });
  after(() => fs.rmSync(made, { recursive: true, force: true }));

  for (const [name, what, architecture] of VARIANTS) {
    describe(what, () => {
      const ref = () => JSON.parse(fs.readFileSync(path.join(made, name, 'reference.json'), 'utf8')) as Reference;

      it('trains 5 steps as transformers does: loss within 1e-4 relative, gradient norm within 1e-3, logits after within 1e-3', async t => {
        const r = ref();
        assert.match(r.transformers, /^5\./);
        const { model, config } = loadCheckpoint(path.join(made, name), { dropout: 0 });
        assert.equal(config.problemType, r.task);
        const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
        const optimizer = new AdamW(model.params, decayed, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
        const loss = { task: r.task, posWeight: r.pos_weight ?? undefined };
        try {
          let worstLoss = 0;
          let worstNorm = 0;
          const steps = r.trajectory.steps;
          for (let s = 0; s < steps.length; s++) {
            const lr = 1e-3 * lrFactor({ kind: 'linear', warmupSteps: 2, totalSteps: steps.length }, s);
            const result = await trainStep(model, optimizer, [batchOf(r.trajectory.batches[s])], { lr, maxGradNorm: 1, loss });
            worstLoss = Math.max(worstLoss, Math.abs(result.loss - steps[s].loss) / steps[s].loss);
            worstNorm = Math.max(worstNorm, Math.abs(result.gradNorm - steps[s].grad_norm) / steps[s].grad_norm);
          }
          const inputs = batchTensors(batchOf(r.trajectory.batches[0]));
          const logits = tf.tidy(() => model.forward(inputs, { training: false }).logits.arraySync() as number[][]);
          disposeInputs(inputs);
          const diffAfter = worst(logits, r.trajectory.batch0_logits_after);
          t.diagnostic(`loss rel ${worstLoss.toExponential(2)}, grad norm rel ${worstNorm.toExponential(2)}, logits after ${diffAfter.toExponential(2)}`);
          assert.ok(worstLoss <= 1e-4, `loss differs by ${worstLoss} (relative)`);
          assert.ok(worstNorm <= 1e-3, `gradient norm differs by ${worstNorm} (relative)`);
          assert.ok(diffAfter <= 1e-3, `logits after 5 steps differ by ${diffAfter}`);
        } finally {
          optimizer.dispose();
          model.dispose();
        }
      });

      it(`saves a folder transformers loads as ${architecture} with its problem_type and logits within 1e-4`, async () => {
        const dir = path.join(made, name);
        const { model, tokenizer, config } = loadCheckpoint(dir);
        const out = path.join(made, `${name}-saved`);
        try {
          await saveCheckpoint(model, dir, out);
          const theirs = JSON.parse(runPython('tasks.py', ['check', out])) as {
            class: string;
            problem_type: string;
            num_labels: number;
            texts: string[];
            logits: number[][];
          };
          assert.equal(theirs.class, architecture);
          assert.equal(theirs.problem_type, config.problemType);
          assert.equal(theirs.num_labels, config.id2label.length);
          const ours = theirs.texts.map(text => {
            const e = tokenizer.encode(text, undefined, 64);
            const inputs = batchTensors(padBatch([{ inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label: 0, line: 1 }], tokenizer.padId));
            const row = tf.tidy(() => (model.forward(inputs, { training: false }).logits.arraySync() as number[][])[0]);
            disposeInputs(inputs);
            return row;
          });
          const diff = worst(ours, theirs.logits);
          assert.ok(diff < 1e-4, `logits differ by ${diff}`);
        } finally {
          model.dispose();
        }
      });
    });
  }

  it('computes every multi-label and regression metric as scikit-learn and scipy do (ties, a label never present, tuned thresholds)', () => {
    const random = new Random(27);
    const labels = ['toxic', 'insult', 'threat', 'never'];
    const n = 300;
    // Probabilities on a grid of 0.05 so that ties occur, as they do with a saturated sigmoid.
    const probs = Array.from({ length: n }, () => labels.map(() => Math.round(random.next() * 20) / 20));
    const truth = probs.map(p => p.map((q, j) => (j === 3 ? 0 : random.next() < 0.3 + 0.5 * q ? 1 : 0)));
    const thresholds = [0.5, 0.35, 0.6, 0.5];
    const multi = multiLabelMetrics(labels, truth, probs, thresholds);
    const values = Array.from({ length: n }, () => Math.round(random.next() * 10) / 2);
    const predicted = values.map(v => v + (random.next() - 0.5) * 2);
    const regression = regressionMetrics(values, predicted);
    const file = path.join(made, 'metrics.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        { task: 'multi_label_classification', truth, probs, thresholds },
        { task: 'regression', truth: values, predicted },
      ]),
    );
    const [sk, skr] = JSON.parse(runPython('tasks.py', ['metrics', file])) as Record<string, number | (number | null)[]>[];
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs scikit-learn's ${b}`);
    for (const k of ['microF1', 'macroF1', 'weightedF1', 'subsetAccuracy', 'hammingLoss'] as const) close(multi[k], sk[k] as number, k);
    multi.perLabel.forEach((l, j) => {
      close(l.precision, (sk.precision as number[])[j], `precision of ${l.label}`);
      close(l.recall, (sk.recall as number[])[j], `recall of ${l.label}`);
      close(l.f1, (sk.f1 as number[])[j], `F1 of ${l.label}`);
      assert.equal(l.support, (sk.support as number[])[j]);
      const auc = (sk.rocAuc as (number | null)[])[j];
      if (auc === null) assert.equal(l.rocAuc, undefined, `ROC-AUC of ${l.label}, which no row has`);
      else close(l.rocAuc!, auc, `ROC-AUC of ${l.label}`);
    });
    for (const k of ['mse', 'rmse', 'mae', 'r2', 'pearson', 'spearman'] as const) close(regression[k], skr[k] as number, k);
  });
});
