/** #18: an evaluation message stays small whatever the number of classes and the length of texts. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { TRAIN_DEFAULTS, type TrainConfig } from '../../src/shared/trainerProtocol';
import { RUN_FILES } from '../../src/shared/runFolder';
import { initCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseModelConfig } from '../../src/trainer/model/config';
import { MAX_REPORTED_CLASSES, MAX_REPORTED_TEXT, reportedClasses } from '../../src/shared/reportedEvaluation';
import { useBackend } from './backendSetup';
import { runCollecting } from './runHelpers';
import { tempDir } from './helpers';

const VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

describe('bounded evaluations', () => {
  let model: string;
  before(async () => {
    await useBackend('wasm');
    model = path.join(tempDir(), 'base');
    await initCheckpoint(
      parseModelConfig({
        model_type: 'bert',
        vocab_size: 30522,
        num_hidden_layers: 1,
        hidden_size: 16,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 64,
      }),
      VOCAB,
      model,
      1,
    );
  });

  it('keeps the largest classes, in label order, with the matrix over exactly those', () => {
    const perClass = ['a', 'b', 'c', 'd'].map((label, i) => ({ label, precision: 0, recall: 0, f1: 0, support: [5, 1, 7, 5][i] }));
    const confusion = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 16],
    ];
    const r = reportedClasses(perClass, confusion, 3);
    assert.deepEqual(
      r.perClass.map(c => c.label),
      ['a', 'c', 'd'],
    );
    assert.deepEqual(r.confusion, [
      [1, 3, 4],
      [9, 11, 12],
      [13, 15, 16],
    ]);
    assert.equal(r.omittedClasses, 1);
    assert.deepEqual(reportedClasses(perClass, confusion, 4), { perClass, confusion });
  });

  it('600 rows of 300 classes: the message carries 50 classes and clipped texts, and the split warns of its share', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'many.csv');
    const long = 'word '.repeat(2000).trim();
    fs.writeFileSync(data, 'text,label\n' + Array.from({ length: 600 }, (_, i) => `${long} row ${i},class${i % 300}\n`).join(''));
    const out = path.join(dir, 'run');
    const cfg: TrainConfig = { ...TRAIN_DEFAULTS, data, textCol: 'text', labelCol: 'label', model, out, maxSteps: 1, batchSize: 32, maxLength: 32 };
    const { done, messages } = await runCollecting(cfg);
    assert.equal(done.status, 'completed', done.reason);
    assert.ok(messages.some(m => m.type === 'warning' && /Validation takes 50% of the rows, not the 20% asked: 300 classes/.test(m.message)));
    const e = messages.find(m => m.type === 'evaluation');
    assert.ok(e && e.type === 'evaluation');
    assert.equal(e.perClass.length, MAX_REPORTED_CLASSES);
    assert.equal(e.omittedClasses, 250);
    assert.equal(e.confusion.length, MAX_REPORTED_CLASSES);
    assert.ok(e.confusion.every(r => r.length === MAX_REPORTED_CLASSES));
    assert.ok(e.misclassified.every(m => m.text.length <= MAX_REPORTED_TEXT + 1));
    assert.ok(
      e.misclassified.some(m => m.text.endsWith('…')),
      `a long text was clipped: ${e.misclassified.length} ${e.misclassified.map(m => m.text.length).join()}`,
    );
    const longest = Math.max(
      ...fs
        .readFileSync(path.join(out, RUN_FILES.metrics), 'utf8')
        .split('\n')
        .map(l => l.length),
    );
    assert.ok(longest < 200_000, `the longest metrics line is ${longest} characters`);
  });
});
