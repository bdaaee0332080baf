import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { columnNames, detectHeader, parseSample, sniffDialect } from '../../src/trainer/data/sniff';
import { fixture } from './helpers';

const read = (...p: string[]) => fs.readFileSync(fixture(...p), 'utf8').replace(/^\uFEFF/, '');

describe('sniffDialect', () => {
  it('finds tabs without quoting in GLUE-style TSV whose texts hold bare quotes', () => {
    assert.deepEqual(sniffDialect(read('sst2-dev-200.tsv'), '\t'), { delimiter: '\t', quoting: false });
    assert.deepEqual(sniffDialect(read('mrpc-test-100.tsv'), '\t'), { delimiter: '\t', quoting: false });
  });

  it('finds quoted commas in a CSV whose fields hold commas', () => {
    assert.deepEqual(sniffDialect(read('chnsenticorp-200.csv'), ','), { delimiter: ',', quoting: true });
  });

  it('finds semicolons in a file named .csv', () => {
    assert.equal(sniffDialect(read('more', 'emotion-val-150.csv'), ',').delimiter, ';');
  });

  it('finds pipes', () => {
    assert.equal(sniffDialect('a|b|c\n1|2|3\n4|5|6\n', ',').delimiter, '|');
  });

  it('falls back to the preferred delimiter for a single column', () => {
    assert.deepEqual(sniffDialect('just text\nmore text\n', '\t'), { delimiter: '\t', quoting: false });
    assert.deepEqual(sniffDialect('just text\nmore text\n', ','), { delimiter: ',', quoting: true });
  });

  it('keeps a quoted newline inside one record', () => {
    const text = 'text,label\n"line one\nline two, still the same field",pos\nsecond,neg\n';
    const dialect = sniffDialect(text, ',');
    assert.deepEqual(dialect, { delimiter: ',', quoting: true });
    assert.equal(parseSample(text, dialect).length, 3);
  });
});

describe('detectHeader', () => {
  const records = (text: string, delimiter: ',' | '\t' = '\t', quoting = false) => parseSample(text, { delimiter, quoting });

  it('sees the header of SST-2, MRPC, SMS spam and emotion', () => {
    assert.equal(detectHeader(records(read('sst2-dev-200.tsv'))), true);
    assert.equal(detectHeader(records(read('mrpc-test-100.tsv'))), true);
    assert.equal(detectHeader(records(read('more', 'sms-spam-300.tsv'))), true);
    assert.equal(detectHeader(parseSample(read('more', 'emotion-val-150.csv'), { delimiter: ';', quoting: true })), true);
  });

  it('sees that ChnSentiCorp has no header (its first cell is a label like the rest)', () => {
    assert.equal(detectHeader(records(read('chnsenticorp-200.csv'), ',', true)), false);
  });

  it('treats a lone row of names as a header and a lone row of numbers as data', () => {
    assert.equal(detectHeader([['text', 'label']]), true);
    assert.equal(detectHeader([['1', '2']]), false);
    assert.equal(detectHeader([]), false);
  });

  it('counts a repeated first-row value as data', () => {
    assert.equal(
      detectHeader([
        ['pos', 'good'],
        ['neg', 'bad'],
        ['pos', 'fine'],
        ['neg', 'awful'],
        ['pos', 'ok'],
      ]),
      false,
    );
  });
});

describe('columnNames', () => {
  it('names blank and missing header cells by position and numbers repeats', () => {
    assert.deepEqual(columnNames(['text', '', 'text', ' label '], 5), ['text', 'column 2', 'text (2)', 'label', 'column 5']);
    assert.deepEqual(columnNames(undefined, 2), ['column 1', 'column 2']);
  });
});
