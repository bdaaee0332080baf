/** #26 (10, 14): data read as it is written, with no word lost: line endings, long lines. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { inspectDataset } from '../../src/trainer/data/inspectDataset';
import { loadLabelledData } from '../../src/trainer/data/loadLabelledData';
import { lines } from '../../src/trainer/data/textFile';
import { tempDir } from './helpers';

function write(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

async function collect(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines(
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(l);
  return out;
}

describe('line endings', () => {
  it('reads 300 rows whose lines end in \\n, \\r\\n and \\r mixed as 300 rows, with their lines', async () => {
    const endings = ['\n', '\r\n', '\r'];
    const body = Array.from({ length: 300 }, (_, i) => `text number ${i},${['pos', 'neg', 'neu'][i % 3]}${endings[Math.floor(i / 7) % 3]}`).join('');
    const file = write('mixed.csv', `text,label\n${body}`);
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.equal(data.rows.length, 300);
    assert.deepEqual(data.labels, ['neg', 'neu', 'pos']);
    assert.equal(data.rows[299].text, 'text number 299');
    assert.equal(data.rows[299].line, 301);
    const info = await inspectDataset(file);
    assert.equal(info.rows, 300);
    assert.equal(info.columns.find(c => c.name === 'label')!.distinct, 3);
  });

  it('JSON Lines too, and a CRLF split between two chunks is one ending', async () => {
    assert.deepEqual(await collect(['a\r', '\nb\rc\n', 'd\r\n\r\ne']), ['a', 'b', 'c', 'd', '', 'e']);
    const file = write('mixed.jsonl', '{"text":"a","label":"x"}\r{"text":"b","label":"y"}\n{"text":"c","label":"x"}\r\n');
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(
      data.rows.map(r => [r.text, r.line]),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
  });

  it('a line longer than many chunks comes whole (kept as pieces until its end: joining the rest to each chunk was quadratic)', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const got = await collect([...Array.from({ length: 1600 }, () => chunk), 'y\nnext']);
    assert.equal(got.length, 2);
    assert.equal(got[0].length, 1600 * chunk.length + 1);
    assert.ok(got[0].endsWith('xy'));
  });
});

describe('label values', () => {
  it('names labels that differ only in case or number spelling, and merges them when asked', async () => {
    const labels = ['pos', 'pos', 'pos', 'Pos', 'POS', 'neg', 'neg', ' neg', '1', '1', '1.0', '01', '2'];
    const file = write('variants.csv', `text,label\n${labels.map((l, i) => `text ${i},${l}`).join('\n')}\n`);
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(
      data.labels,
      ['01', '1', '1.0', '2', 'neg', 'POS', 'Pos', 'pos'].sort((a, b) => (a < b ? -1 : 1)),
    );
    const finding = data.findings.find(f => f.kind === 'labelVariants')!;
    assert.ok(finding);
    assert.match(
      finding.message,
      /"pos", "POS" and "Pos"; "1", "01" and "1.0" differ only in case or in how a number is written, and train as 6 classes instead of 2/,
    );
    assert.deepEqual(finding.lines, [5, 6, 12, 13], 'the less frequent spellings');
    assert.match(finding.message, /Merge Label Variants, or --merge-label-variants/);

    const merged = await loadLabelledData(file, { textCol: 'text', labelCol: 'label', mergeLabelVariants: true });
    assert.deepEqual(merged.labels, ['1', '2', 'neg', 'pos']);
    assert.deepEqual(
      merged.rows.map(r => r.label),
      ['pos', 'pos', 'pos', 'pos', 'pos', 'neg', 'neg', 'neg', '1', '1', '1', '1', '2'],
    );
    assert.ok(!merged.findings.some(f => f.kind === 'labelVariants'));
    assert.match(merged.warnings.join('\n'), /merged label variants: "POS" and "Pos" read as "pos"; "01" and "1.0" read as "1"/);

    // a validation file's variants become the training file's labels, whatever its own counts
    const validation = write('v.csv', 'text,label\na,POS\nb,POS\nc,pos\nd,NEG\n');
    const v = await loadLabelledData(validation, { textCol: 'text', labelCol: 'label', mergeLabelVariants: true, mergeInto: merged.labels });
    assert.deepEqual(
      v.rows.map(r => r.label),
      ['pos', 'pos', 'pos', 'neg'],
    );

    // the Datasets view counts the labels training reads (" neg" is "neg") and says the same
    const many = write(
      'variants-many.csv',
      `text,label\n${Array.from({ length: 5 }, () => labels)
        .flat()
        .map((l, i) => `text ${i},${l}`)
        .join('\n')}\n`,
    );
    const info = await inspectDataset(many);
    assert.equal(info.columns.find(c => c.name === 'label')!.distinct, 8);
    assert.match(info.problems.map(p => p.message).join('\n'), /differ only in case or in how a number is written: training reads 6 classes where 2 are meant/);
  });

  it('names "NaN", "None", "null" and "N/A" read as labels', async () => {
    const file = write('missing.csv', 'text,label\na,pos\nb,NaN\nc,neg\nd,None\ne,pos\nf,N/A\ng,null\nh,neg\n');
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    const finding = data.findings.find(f => f.kind === 'missingLabel')!;
    assert.equal(finding.count, 4);
    assert.deepEqual(finding.lines, [3, 5, 7, 8]);
    assert.match(finding.message, /4 rows have the label "NaN", "None", "N\/A" and "null" .*missing value/);
    assert.match((await inspectDataset(file)).problems.map(p => p.message).join('\n'), /4 rows have the label .*"NaN"/);
  });

  it('refuses a label column with a label for nearly every row, with the numbers', async () => {
    const file = write('ids.csv', `text,label\n${Array.from({ length: 3000 }, (_, i) => `text ${i},id-${i}`).join('\n')}\n`);
    await assert.rejects(
      loadLabelledData(file, { textCol: 'text', labelCol: 'label' }),
      /the label column "label" holds 3,000 distinct labels over 3,000 rows \(1\.0 rows a label\): a classifier needs several examples of each label\. Is "label" the label column\?/,
    );
  });
});

describe('the header, when the file does not make it clear', () => {
  it('a headerless file whose first row holds a rare label: says which was assumed, in training and in the Datasets view', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `a review of some length number ${i} that says things,${i % 2 ? 'pos' : 'neg'}`);
    const file = write('headerless.csv', ['the first review which no other row matches in its rating,neutral', ...rows].join('\n') + '\n');
    const data = await loadLabelledData(file, { textCol: '1', labelCol: '2' });
    assert.match(
      data.warnings.join('\n'),
      /line 1 \("the first review which no other row m…", "neutral"\) was taken as the header .*If it is a row of data, add a header line/,
    );
    const info = await inspectDataset(file);
    assert.ok(info.problems.some(p => p.line === 1 && /^Line 1 .* was taken as the header/.test(p.message)));
    // what the user says is not second-guessed
    const told = await loadLabelledData(file, { textCol: '1', labelCol: '2', header: false });
    assert.ok(!told.warnings.some(w => /was taken as/.test(w)));
    assert.equal(told.rows.length, 41);
  });

  it('says nothing when every column agrees', async () => {
    const file = write(
      'clear.csv',
      `text,label\n${Array.from({ length: 20 }, (_, i) => `a long enough text number ${i} here,${i % 2 ? 'pos' : 'neg'}`).join('\n')}\n`,
    );
    assert.ok(!(await loadLabelledData(file, { textCol: 'text', labelCol: 'label' })).warnings.some(w => /was taken as/.test(w)));
  });
});

describe('binary files without NUL bytes', () => {
  it('are refused as binary, not read as Latin-1, saying why', async () => {
    // bytes 1..255 shuffled: no NUL, but control characters no text holds
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => 1 + ((i * 7919) % 255)));
    const noise = path.join(tempDir(), 'noise.csv');
    fs.writeFileSync(noise, bytes);
    await assert.rejects(
      loadLabelledData(noise, { textCol: '1', labelCol: '2' }),
      /looks like a binary file, not text \(\d+ % of its first bytes are control characters\)/,
    );
    const info = await inspectDataset(noise);
    assert.equal(info.problems[0].severity, 'error');
    assert.match(info.problems[0].message, /binary file/);
    // an Excel workbook renamed .csv
    const xlsx = path.join(tempDir(), 'book.csv');
    fs.writeFileSync(xlsx, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('word/document.xml text text text')]));
    await assert.rejects(loadLabelledData(xlsx, { textCol: '1', labelCol: '2' }), /it is a zip archive \(an \.xlsx workbook is one\)/);
  });

  it('while Latin-1 text with a tab or a form feed still reads', async () => {
    const file = path.join(tempDir(), 'latin1.tsv');
    fs.writeFileSync(file, Buffer.from(`text\tlabel\n${Array.from({ length: 20 }, (_, i) => `caf\xe9 cr\xe8me ${i}\tpos`).join('\n')}\n\f`, 'latin1'));
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' }).catch(e => e as Error);
    assert.ok(!(data instanceof Error) || !/binary/.test(data.message), String(data));
  });
});

describe('a header of a million columns', () => {
  it('is refused by the Datasets view and by training with a sentence, not a stack overflow', async () => {
    const n = 1_000_000;
    const file = write('wide.csv', `${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: n }, (_, i) => i % 2).join(',')}\n`);
    const info = await inspectDataset(file);
    assert.equal(info.problems[0].severity, 'error');
    assert.match(info.problems[0].message, /^Line 1, the header, is longer than 64 KB/);
    await assert.rejects(loadLabelledData(file, { textCol: 'c0', labelCol: 'c1' }), /wide\.csv: line 1, the header, is longer than 64 KB/);
  });
});
