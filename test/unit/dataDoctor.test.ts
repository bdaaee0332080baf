import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTokenLengths, FINDING_LINES_KEPT, tokenLengthAdvice, tokenLengths } from '../../src/shared/dataFindings';
import { CENSUS_MAX_TEXTS, TextCensus, censusProblems, rowFindings } from '../../src/trainer/data/doctor';
import { inspectDataset } from '../../src/trainer/data/inspectDataset';
import { loadLabelledData, type LabelledRow } from '../../src/trainer/data/loadLabelledData';
import { estimateDetail, findingSentence, hasLines, type Estimate } from '../../src/extension/training/estimateText';
import { tempFile } from './helpers';

const row = (line: number, text: string, label: string, pair?: string): LabelledRow => ({ line, text, label, pair });

describe('the data doctor: what the rows of a run hold', () => {
  it('finds the same text under two labels, with every line of it, across the split', () => {
    const train = [row(2, 'free entry now', 'spam'), row(3, 'see you later', 'ham'), row(5, ' free  entry now', 'ham'), row(6, 'ok', 'ham')];
    const validation = [row(4, 'free entry now', 'spam'), row(7, 'fine', 'ham')];
    const findings = rowFindings(train, validation, 'd.csv', 'd.csv');
    const conflict = findings.find(f => f.kind === 'conflictingLabels');
    assert.ok(conflict, JSON.stringify(findings));
    assert.equal(conflict.count, 3);
    assert.deepEqual(conflict.lines, [2, 4, 5]);
    assert.match(
      conflict.message,
      /^d\.csv: 1 text has more than one label, on 3 rows \(lines 2, 4, 5\); for example "free entry now" is "spam" on line 2 and "ham" on line 5/,
    );
  });

  it('says nothing of repeated texts that agree, or of distinct pairs that share a first text', () => {
    const train = [row(2, 'a', 'x', 'b'), row(3, 'a', 'y', 'c'), row(4, 'same', 'x'), row(5, 'same', 'x')];
    assert.deepEqual(rowFindings(train, [row(6, 'other', 'y')], 'd.csv', 'd.csv'), []);
  });

  it('finds validation rows that repeat a training row, on the validation side, and names its file', () => {
    const train = [row(2, 'hello world', 'a'), row(3, 'bye', 'b')];
    const validation = [row(2, 'hello   world', 'a'), row(3, 'new', 'b'), row(4, 'bye', 'b')];
    const [overlap] = rowFindings(train, validation, 'train.csv', 'dev.csv');
    assert.equal(overlap.kind, 'trainValidationOverlap');
    assert.equal(overlap.file, 'dev.csv');
    assert.deepEqual(overlap.lines, [2, 4]);
    assert.match(overlap.message, /^dev\.csv: 2 validation rows have the same text as a training row \(lines 2, 4\)\. On them validation/);
  });

  it('keeps at most FINDING_LINES_KEPT lines of a finding, and counts them all', () => {
    const train = Array.from({ length: 300 }, (_, i) => row(i + 2, `t${i}`, 'a'));
    const validation = Array.from({ length: 300 }, (_, i) => row(i + 400, `t${i}`, 'a'));
    const [overlap] = rowFindings(train, validation, 'd.csv', 'd.csv');
    assert.equal(overlap.count, 300);
    assert.equal(overlap.lines.length, FINDING_LINES_KEPT);
    assert.match(overlap.message, /lines 400, 401, 402, 403, 404, …\): the file holds those texts more than once/);
  });

  it('the loader tells skipped rows as findings with all their lines', async () => {
    const file = tempFile('messy.csv', 'text,label\ngood,pos\nno label,\nhello, world,neg\nshort\nfine,neg\n');
    const d = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(
      d.findings.map(f => [f.kind, f.count, f.lines]),
      [
        ['ragged', 2, [4, 5]],
        ['empty', 1, [3]],
      ],
    );
    assert.deepEqual(
      d.warnings,
      d.findings.map(f => f.message),
    );
  });
});

describe('token lengths against the max length', () => {
  it('bins lengths in quarters of the max length, the cut ones apart, with the 95th percentile', () => {
    const lengths = [10, 20, 33, 64, 65, 100, 128, 128];
    const cut = [false, false, false, false, false, false, false, true];
    const t = tokenLengths(lengths, cut, 128);
    assert.deepEqual(t.edges, [32, 64, 96, 128]);
    assert.deepEqual(t.rows, [2, 2, 1, 2]);
    assert.equal(t.truncated, 1);
    assert.equal(t.p95, 128);
    assert.equal(describeTokenLengths(t), '≤ 32 tokens 25% · 33–64 25% · 65–96 13% · 97–128 25% · cut at 128 13%');
    assert.match(tokenLengthAdvice(t) ?? '', /^13% of the texts are longer than the max length \(128 tokens\)/);
  });

  it('gives no advice when few texts are cut', () => {
    const lengths = Array.from({ length: 100 }, (_, i) => 5 + (i % 20));
    const t = tokenLengths(
      lengths,
      lengths.map(() => false),
      64,
    );
    assert.equal(t.truncated, 0);
    assert.equal(t.p95, 23);
    assert.equal(tokenLengthAdvice(t), undefined);
  });
});

describe('the confirmation before a run', () => {
  const estimate: Estimate = {
    type: 'estimate',
    labelCounts: [
      ['ham', 8],
      ['spam', 2],
    ],
    trainRows: 10,
    validationRows: 2,
    skippedRows: 2,
    findings: [
      { kind: 'ragged', file: '/w/d.csv', count: 2, lines: [4, 9], message: '/w/d.csv: skipped 2 rows whose cells do not line up (lines 4, 9).' },
      { kind: 'trainValidationOverlap', file: '/w/dev.csv', count: 1, lines: [3], message: '/w/dev.csv: 1 validation row has the same text (line 3).' },
    ],
    tokenLengths: { maxLength: 64, edges: [16, 32, 48, 64], rows: [6, 3, 2, 0], truncated: 1, p95: 64 },
    notes: ['/w/d.csv is not valid UTF-8; read as Latin-1.'],
    totalSteps: 3,
    secondsPerStep: 0.5,
    estimatedSeconds: 2,
  };

  it('names what will be skipped, with lines, the other file by name, the lengths, and how to see the lines', () => {
    const detail = estimateDetail(estimate, { data: '/w/d.csv', classWeights: 'none', metricForBest: 'accuracy' });
    const lines = detail.split('\n');
    assert.ok(lines.includes('⚠ Skipped 2 rows whose cells do not line up (lines 4, 9).'), detail);
    assert.ok(lines.includes('⚠ dev.csv: 1 validation row has the same text (line 3).'), detail);
    assert.match(detail, /Show Lines lists every line in the Problems panel/);
    assert.ok(lines.includes('⚠ /w/d.csv is not valid UTF-8; read as Latin-1.'), detail);
    assert.match(detail, /Lengths: ≤ 16 tokens 50% · 17–32 25% · 33–48 17% · 49–64 0% · cut at 64 8%; 95% of the texts fit in 64 tokens\./);
    assert.match(detail, /⚠ 8% of the texts are longer than the max length/);
    assert.doesNotMatch(detail, /2 skipped \(/, 'the findings say it, not a vague count');
    assert.ok(hasLines(estimate));
  });

  it('restates the run (model, epochs, learning rate, batch, validation file) and the task, and warns a small run from scratch', () => {
    const run = {
      data: '/w/d.csv',
      classWeights: 'none' as const,
      metricForBest: 'accuracy' as const,
      model: 'bert-base-uncased',
      epochs: 3,
      learningRate: 5e-5,
      batchSize: 32,
      validationData: '/w/dev.csv',
    };
    const detail = estimateDetail(estimate, run);
    assert.match(detail, /^10 training rows, 2 validation rows \(from dev\.csv\)\.$/m);
    assert.match(detail, /^Model: bert-base-uncased · 3 epochs · learning rate 0\.00005 · batch 32\.$/m);
    assert.match(detail, /^Task: single-label classification\.$/m);
    assert.doesNotMatch(detail, /From scratch/);
    const scratch = estimateDetail(estimate, run, true);
    assert.match(scratch, /^Model: from scratch \(random weights\)/m);
    assert.match(scratch, /⚠ From scratch on 10 rows: .*Start from a pretrained model/);
    const regression = estimateDetail({ ...estimate, task: 'regression', labelCounts: [] }, run);
    assert.match(regression, /^Task: regression\.$/m);
    assert.doesNotMatch(regression, /Labels:/);
  });

  it("an older trainer's estimate, without findings, still says how many rows are skipped", () => {
    const older: Estimate = { ...estimate, findings: undefined, tokenLengths: undefined, notes: undefined };
    const detail = estimateDetail(older, { data: '/w/d.csv', classWeights: 'none', metricForBest: 'accuracy' });
    assert.match(detail, /10 training rows, 2 validation rows, 2 skipped \(/);
    assert.doesNotMatch(detail, /Show Lines|Lengths:/);
    assert.equal(hasLines(older), false);
  });

  it('a finding of the training file reads without its path', () => {
    assert.equal(findingSentence(estimate.findings![0], '/w/d.csv'), 'Skipped 2 rows whose cells do not line up (lines 4, 9).');
  });
});

describe('the text census of the Datasets view', () => {
  it('counts texts with two labels (every row of them), repeated rows, and lengths in words', () => {
    const census = new TextCensus();
    [
      row(2, 'free entry now', 'spam'),
      row(3, 'see you', 'ham'),
      row(4, 'free  entry now', 'ham'),
      row(5, 'see you', 'ham'),
      row(6, 'free entry now', 'spam'),
      row(7, Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), 'ham'),
    ].forEach(r => census.add(r));
    const c = census.finish();
    assert.deepEqual(c.conflicts, { texts: 1, rows: 3, lines: [2, 4, 6], example: { text: 'free  entry now', a: ['spam', 2], b: ['ham', 4] } });
    assert.deepEqual(c.duplicates, { rows: 1, lines: [5], first: [5, 3] });
    assert.deepEqual(c.wordLengths, [5, 0, 1, 0, 0]);
    const [conflict, duplicate] = censusProblems(c, 'text', 'label');
    assert.match(conflict.message, /^1 text in "text" has more than one label in "label", on 3 rows \(lines 2, 4, 6\)/);
    assert.equal(conflict.line, 2);
    assert.match(duplicate.message, /^1 row repeats an earlier row's text and label \(line 5; line 5 repeats line 3\)/);
  });

  it('stays bounded: past CENSUS_MAX_TEXTS distinct texts it compares no new ones, and says so', () => {
    const census = new TextCensus();
    for (let i = 0; i < CENSUS_MAX_TEXTS + 10; i++) census.add(row(i + 2, `t${i}`, 'a'));
    census.add(row(CENSUS_MAX_TEXTS + 20, 't0', 'a'));
    const c = census.finish();
    assert.equal(c.capped, true);
    assert.equal(c.duplicates.rows, 1);
    assert.match(censusProblems(c, 'text', 'label')[0].message, /the first 200,000 distinct texts were compared/);
  });

  it("the Datasets view's inspection lists them, reading the likely columns as training reads them", async () => {
    const file = tempFile('census.csv', 'text,label\nfree entry now,spam\nsee you,ham\nfree entry now,ham\nsee you,ham\nok then,ham\nbye,spam\n');
    const info = await inspectDataset(file);
    assert.match(info.problems.map(p => p.message).join('\n'), /1 text in "text" has more than one label in "label", on 2 rows \(lines 2, 4\)/);
    assert.match(info.problems.map(p => p.message).join('\n'), /1 row repeats an earlier row's text and label \(line 5; line 5 repeats line 3\)/);
    assert.deepEqual(info.textLengths, { column: 'text', edges: [16, 32, 64, 128], rows: [6, 0, 0, 0, 0] });
  });
});
