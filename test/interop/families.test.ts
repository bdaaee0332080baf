/**
 * Every encoder family against the real transformers (test/interop/families.py makes the
 * folders): per family and config form, the token ids of 2,780 varied texts, logits within 1e-4,
 * a 5-step training trajectory within 1e-4 (relative loss), and the model BERT Tune saves loading
 * in transformers as the same class with the same logits.
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
import type { Classifier } from '../../src/trainer/model/classifier';
import type { TextTokenizer } from '../../src/trainer/tokenizer/bertTokenizer';
import { useBackend } from '../unit/backendSetup';
import { runPython, skip } from './python';

const TOLERANCE = 1e-4;
const TEXTS = path.join(__dirname, '..', 'fixtures', 'families', 'texts.jsonl');

interface Text {
  text: string;
  pair?: string;
}

interface Reference {
  transformers: string;
  max_length: number;
  ids: number[][];
  logit_cases: Text[];
  logits: number[][];
  trajectory: {
    batches: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] }[];
    steps: { lr: number; loss: number; grad_norm: number }[];
    batch0_logits_after: number[][];
    decayed: string[];
  };
}

const VARIANTS: [string, string, string][] = [
  ['distilbert', 'DistilBERT', 'DistilBertForSequenceClassification'],
  ['distilbert-sinusoidal', 'DistilBERT with sinusoidal positions', 'DistilBertForSequenceClassification'],
  ['roberta', 'RoBERTa (byte-level BPE)', 'RobertaForSequenceClassification'],
  ['xlm-roberta', 'XLM-RoBERTa (Unigram from SentencePiece)', 'XLMRobertaForSequenceClassification'],
  ['electra', 'ELECTRA (embedding_size below hidden_size)', 'ElectraForSequenceClassification'],
  [
    'deberta-v3',
    'DeBERTa-v3 (relative attention in log buckets, shared keys, no absolute positions; Unigram from spm.model)',
    'DebertaV2ForSequenceClassification',
  ],
  [
    'deberta-v2',
    'DeBERTa-v2 style (absolute positions, separate position projections, pos_att_type "p2c|c2p", token types)',
    'DebertaV2ForSequenceClassification',
  ],
  ['modernbert', "ModernBERT, transformers 5's config (layer_types, rope_parameters; every bias; [CLS] pooling)", 'ModernBertForSequenceClassification'],
  [
    'modernbert-2024',
    'ModernBERT, the 2024 config (global_attn_every_n_layers, global/local_rope_theta; no biases; mean pooling)',
    'ModernBertForSequenceClassification',
  ],
];

function logitsOf(model: Classifier, tokenizer: TextTokenizer, cases: Text[], maxLength: number): number[][] {
  return cases.map(c => {
    const e = tokenizer.encode(c.text, c.pair, maxLength);
    const inputs = batchTensors(padBatch([{ inputIds: e.inputIds, tokenTypeIds: e.tokenTypeIds, label: 0, line: 1 }], tokenizer.padId));
    const row = tf.tidy(() => (model.forward(inputs, { training: false }).logits.arraySync() as number[][])[0]);
    disposeInputs(inputs);
    return row;
  });
}

/**
 * Texts whose ids are known to differ, each for a reason found in the measurement (README,
 * "Tokenizers"): @huggingface/tokenizers lower-cases a word-final capital sigma, and normalises a
 * zero-width-joiner emoji sequence, otherwise than the Rust library. Anything else that differs
 * fails the test.
 */
const KNOWN_ID_DIFFERENCES = ['Ελληνικά ΣΊΣΥΦΟΣ', 'emoji 😀👍🏽 and ZWJ 👩‍💻'];

const worst = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

describe('the encoder families against the real transformers', { skip }, () => {
  let made: string;
  let texts: Text[];
  before(async () => {
    await useBackend('wasm');
    made = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-families-'));
    runPython('families.py', ['make', made]);
    texts = fs
      .readFileSync(TEXTS, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l));
  });
  after(() => fs.rmSync(made, { recursive: true, force: true }));

  for (const [name, what, architecture] of VARIANTS) {
    describe(what, () => {
      const ref = () => JSON.parse(fs.readFileSync(path.join(made, name, 'reference.json'), 'utf8')) as Reference;

      it(`gives transformers' token ids for all ${'2,780'} texts and pairs, truncated at 64`, t => {
        const r = ref();
        assert.match(r.transformers, /^5\./);
        assert.equal(r.ids.length, texts.length);
        const { tokenizer, model } = loadCheckpoint(path.join(made, name));
        model.dispose();
        let known = 0;
        const wrong = texts.flatMap((t, i) => {
          const ids = tokenizer.encode(t.text, t.pair, r.max_length).inputIds;
          if (ids.join() === r.ids[i].join()) return [];
          if (KNOWN_ID_DIFFERENCES.some(k => t.text.startsWith(k))) return (known++, []);
          const at = ids.findIndex((id, k) => id !== r.ids[i][k]);
          return [
            `${JSON.stringify(t.text).slice(0, 50)}${t.pair ? ' (pair)' : ''}: from index ${at}, ${ids.slice(at, at + 6)} vs ${r.ids[i].slice(at, at + 6)} (lengths ${ids.length}, ${r.ids[i].length})`,
          ];
        });
        t.diagnostic(`${texts.length - known} of ${texts.length} equal; ${known} known to differ`);
        assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${texts.length} differ`);
      });

      const spmOnly = { 'deberta-v3': 'spm.model', 'xlm-roberta': 'sentencepiece.bpe.model' }[name];
      if (spmOnly)
        it(`reads ${spmOnly} alone (no tokenizer.json, as ${name === 'deberta-v3' ? 'microsoft/deberta-v3-*' : 'older XLM-R repositories'} ship it) with transformers' ids for every text`, () => {
          const r = ref();
          const dir = path.join(made, `${name}-spm-only`);
          fs.mkdirSync(dir);
          for (const f of fs.readdirSync(path.join(made, name))) if (f !== 'tokenizer.json') fs.copyFileSync(path.join(made, name, f), path.join(dir, f));
          const { tokenizer, model } = loadCheckpoint(dir);
          model.dispose();
          assert.equal(tokenizer.source, spmOnly);
          // As with its tokenizer.json: the same texts known to differ (the Precompiled normalizer's ZWJ emoji), and no other.
          const wrong = texts.filter(
            (t, i) =>
              tokenizer.encode(t.text, t.pair, r.max_length).inputIds.join() !== r.ids[i].join() && !KNOWN_ID_DIFFERENCES.some(k => t.text.startsWith(k)),
          );
          assert.deepEqual(
            wrong.map(t => t.text.slice(0, 40)),
            [],
          );
        });

      it(`gives transformers' logits within ${TOLERANCE}`, t => {
        const r = ref();
        const { tokenizer, model, config } = loadCheckpoint(path.join(made, name));
        try {
          assert.deepEqual(config.id2label, ['negative', 'positive', 'mixed']);
          const diff = worst(logitsOf(model, tokenizer, r.logit_cases, r.max_length), r.logits);
          t.diagnostic(`max |Δ logit| ${diff.toExponential(2)} over ${r.logits.length} texts`);
          assert.ok(diff < TOLERANCE, `logits differ by ${diff}`);
        } finally {
          model.dispose();
        }
      });

      it('trains 5 steps as transformers does: loss within 1e-4 relative, gradient norm within 1e-3, the same decayed parameters', async t => {
        const r = ref().trajectory;
        const { model } = loadCheckpoint(path.join(made, name), { dropout: 0 });
        const decayed = new Set(model.specs.filter(isDecayed).map(s => s.name));
        assert.deepEqual([...decayed].sort(), [...r.decayed].sort());
        const optimizer = new AdamW(model.params, decayed, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
        try {
          let worstLoss = 0;
          let worstNorm = 0;
          for (let s = 0; s < r.steps.length; s++) {
            const lr = 1e-3 * lrFactor({ kind: 'linear', warmupSteps: 2, totalSteps: r.steps.length }, s);
            assert.ok(Math.abs(lr - r.steps[s].lr) < 1e-12, `lr of step ${s + 1}`);
            const b = r.batches[s];
            const batch: Batch = { inputIds: b.input_ids, tokenTypeIds: b.token_type_ids, attentionMask: b.attention_mask, labels: b.labels };
            const result = await trainStep(model, optimizer, [batch], { lr, maxGradNorm: 1 });
            worstLoss = Math.max(worstLoss, Math.abs(result.loss - r.steps[s].loss) / r.steps[s].loss);
            worstNorm = Math.max(worstNorm, Math.abs(result.gradNorm - r.steps[s].grad_norm) / r.steps[s].grad_norm);
          }
          const first = r.batches[0];
          const inputs = batchTensors({
            inputIds: first.input_ids,
            tokenTypeIds: first.token_type_ids,
            attentionMask: first.attention_mask,
            labels: first.labels,
          });
          const after = tf.tidy(() => model.forward(inputs, { training: false }).logits.arraySync() as number[][]);
          disposeInputs(inputs);
          const diffAfter = worst(after, r.batch0_logits_after);
          t.diagnostic(`loss rel ${worstLoss.toExponential(2)}, grad norm rel ${worstNorm.toExponential(2)}, logits after ${diffAfter.toExponential(2)}`);
          assert.ok(worstLoss <= 1e-4, `loss differs by ${worstLoss} (relative)`);
          assert.ok(worstNorm <= 1e-3, `gradient norm differs by ${worstNorm} (relative)`);
          assert.ok(diffAfter <= 1e-3, `logits after 5 steps differ by ${diffAfter}`);
        } finally {
          optimizer.dispose();
          model.dispose();
        }
      });

      it(`saves a folder transformers loads as ${architecture}, with the same ids and logits within ${TOLERANCE}`, async () => {
        const r = ref();
        const dir = path.join(made, name);
        const { model, tokenizer } = loadCheckpoint(dir);
        const out = path.join(made, `${name}-saved`);
        try {
          await saveCheckpoint(model, dir, out);
          const ours = logitsOf(model, tokenizer, r.logit_cases, r.max_length);
          const theirs = JSON.parse(runPython('families.py', ['check', out])) as { class: string; ids: number[][]; logits: number[][] };
          assert.equal(theirs.class, architecture);
          r.logit_cases.forEach((c, i) => assert.deepEqual(tokenizer.encode(c.text, c.pair, r.max_length).inputIds, theirs.ids[i]));
          const diff = worst(ours, theirs.logits);
          assert.ok(diff < TOLERANCE, `logits differ by ${diff}`);
        } finally {
          model.dispose();
        }
      });
    });
  }
});
