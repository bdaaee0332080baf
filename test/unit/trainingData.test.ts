import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataError, loadLabelledData, sortLabels } from '../../src/trainer/data/loadLabelledData';
import { stratifiedSplit } from '../../src/trainer/data/split';
import { batchesOf, epochOrder, padBatch } from '../../src/trainer/train/batches';
import { balancedClassWeights, classificationMetrics } from '../../src/trainer/train/metrics';
import { fixture, tempFile } from './helpers';

describe('loadLabelledData', () => {
  it('reads MRPC sentence pairs (BOM, CRLF, tabs) by column name, with line numbers', async () => {
    const d = await loadLabelledData(fixture('mrpc-test-100.tsv'), { textCol: '#1 String', pairCol: '#2 String', labelCol: 'Quality' });
    assert.equal(d.rows.length, 100);
    assert.deepEqual(d.labels, ['0', '1']);
    assert.equal(d.rows[0].line, 2);
    assert.ok(d.rows[0].pair && !d.rows[0].pair.endsWith('\r'));
    assert.equal(d.encoding, 'utf-8-bom');
  });

  it('reads a header-less CSV by column number, quoted commas intact', async () => {
    const d = await loadLabelledData(fixture('chnsenticorp-200.csv'), { textCol: '2', labelCol: '1' });
    assert.equal(d.rows.length, 200);
    assert.deepEqual(d.columns, ['column 1', 'column 2']);
    assert.ok(d.rows.some(r => r.text.includes('，') || r.text.includes(',')));
  });

  it('reads JSON Lines, skipping and counting rows without a label', async () => {
    const file = tempFile('d.jsonl', '{"text":"good","label":"pos"}\n{"text":"bad","label":"neg"}\n{"text":"no label"}\n{"text":"fine","label":"pos"}\n');
    const d = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.equal(d.rows.length, 3);
    assert.deepEqual(d.skipped, { count: 1, lines: [3] });
    assert.match(d.warnings[0], /d\.jsonl: skipped 1 row .*\(line 3\)/);
  });

  it('names the JSON line that is broken', async () => {
    const file = tempFile('bad.jsonl', '{"text":"good","label":"pos"}\n{oops\n');
    await assert.rejects(
      loadLabelledData(file, { textCol: 'text', labelCol: 'label' }),
      (e: Error) => e instanceof DataError && /bad\.jsonl: line 2 is not valid JSON/.test(e.message),
    );
  });

  it('reads Latin-1 with a warning, and names the line of an unclosed quote', async () => {
    const d = await loadLabelledData(fixture('bad', 'latin1.csv'), { textCol: 'text', labelCol: 'label' });
    assert.equal(d.encoding, 'latin1');
    assert.ok(d.rows[0].text.startsWith('café'));
    assert.match(d.warnings[0], /not valid UTF-8/);
    await assert.rejects(loadLabelledData(fixture('bad', 'unclosed-quote.csv'), { textCol: 'text', labelCol: 'label' }), /line 2/);
  });

  it('says when no row is left, and refuses a text column that is the label column', async () => {
    const file = tempFile('empty-labels.csv', 'text,label\na,\nb,\n');
    await assert.rejects(loadLabelledData(file, { textCol: 'text', labelCol: 'label' }), /no rows left to train on/);
    await assert.rejects(loadLabelledData(fixture('sst2-dev-200.tsv'), { textCol: 'label', labelCol: 'LABEL' }), /text and label columns are the same/);
  });

  it('sorts labels numerically when they are numbers', () => {
    assert.deepEqual(sortLabels(['10', '2', '1']), ['1', '2', '10']);
    assert.deepEqual(sortLabels(['pos', 'neg', 'Neutral']), ['Neutral', 'neg', 'pos']);
  });
});

describe('stratified split', () => {
  it('puts every class with two or more rows on both sides, reproducibly', () => {
    const rows = [...Array(50).fill('a'), ...Array(8).fill('b'), 'c', 'd', 'd'].map((label, i) => ({ label, i }));
    const one = stratifiedSplit(rows, r => r.label, 0.2, 42);
    const two = stratifiedSplit(rows, r => r.label, 0.2, 42);
    assert.deepEqual(one, two);
    const count = (xs: typeof rows, l: string) => xs.filter(r => r.label === l).length;
    assert.equal(count(one.validation, 'a'), 10);
    assert.equal(count(one.validation, 'b'), 2);
    assert.equal(count(one.validation, 'c'), 0); // one row: training only
    assert.equal(count(one.validation, 'd'), 1);
    assert.equal(count(one.train, 'd'), 1);
    assert.notDeepEqual(stratifiedSplit(rows, r => r.label, 0.2, 7).validation, one.validation);
  });
});

describe('batches', () => {
  const ex = (n: number, label = 0) => ({ inputIds: [101, ...Array(n).fill(7), 102], tokenTypeIds: Array(n + 2).fill(0), label, line: n });

  it('pads to the longest example of the batch only', () => {
    const b = padBatch([ex(1), ex(3)], 0);
    assert.deepEqual(b.inputIds, [
      [101, 7, 102, 0, 0],
      [101, 7, 7, 7, 102],
    ]);
    assert.deepEqual(b.attentionMask, [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ]);
  });

  it('shuffles per epoch from the seed, and groups similar lengths when asked', () => {
    assert.deepEqual(epochOrder(5, { seed: 1, epoch: 0, shuffle: false }), [0, 1, 2, 3, 4]);
    const a = epochOrder(100, { seed: 1, epoch: 0, shuffle: true });
    assert.deepEqual(a, epochOrder(100, { seed: 1, epoch: 0, shuffle: true }));
    assert.notDeepEqual(a, epochOrder(100, { seed: 1, epoch: 1, shuffle: true }));
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    );
    const lengths = Array.from({ length: 64 }, (_, i) => (i * 37) % 60);
    const examples = lengths.map(n => ex(n));
    const grouped = batchesOf(examples, epochOrder(64, { seed: 3, epoch: 0, shuffle: true, groupByLength: { lengths, batchSize: 8 } }), 8, 0);
    const plain = batchesOf(examples, epochOrder(64, { seed: 3, epoch: 0, shuffle: true }), 8, 0);
    const padded = (bs: typeof grouped) => bs.reduce((s, b) => s + b.inputIds.length * b.inputIds[0].length, 0);
    assert.ok(padded(grouped) < 0.75 * padded(plain), `${padded(grouped)} vs ${padded(plain)} padded tokens`);
  });
});

describe('metrics', () => {
  it('computes accuracy, per-class scores, macro-F1 and the confusion matrix', () => {
    const m = classificationMetrics(['a', 'b', 'c'], [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2]);
    assert.deepEqual(m.confusion, [
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    assert.equal(m.accuracy, 4 / 6);
    assert.deepEqual(
      m.perClass.map(c => [c.precision, c.recall, c.support]),
      [
        [0.5, 0.5, 2],
        [2 / 3, 1, 2],
        [1, 0.5, 2],
      ],
    );
    const f1 = [0.5, 0.8, 2 / 3];
    m.perClass.forEach((c, i) => assert.ok(Math.abs(c.f1 - f1[i]) < 1e-12));
    assert.ok(Math.abs(m.macroF1 - (0.5 + 0.8 + 2 / 3) / 3) < 1e-12);
  });

  it('weights classes as scikit-learn\'s "balanced"', () => {
    assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 2), [4 / 6, 2]);
  });
});
