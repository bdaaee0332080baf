import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assemble, bertTemplate, longestFirst, robertaTemplate, templateOf } from '../../src/trainer/tokenizer/template';

describe('truncation as Hugging Face tokenizers does it', () => {
  it('shares the budget as transformers 5 does in every case up to 24 tokens (a grid the library itself made)', () => {
    const { grid, transformers } = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'reference', 'tokenizer', 'longest-first-grid.json'), 'utf8'),
    ) as {
      grid: number[][];
      transformers: string;
    };
    assert.match(transformers, /^5\./);
    // An empty second text is no pair at all to transformers ("" is falsy): those rows say nothing of pairs.
    const pairs = grid.filter(([, lb]) => lb > 0);
    assert.ok(pairs.length > 10_000);
    const wrong = pairs.filter(([la, lb, budget, ka, kb]) => longestFirst(la, lb, budget).join() !== `${ka},${kb}`);
    assert.deepEqual(wrong.slice(0, 5), []);
    assert.deepEqual(longestFirst(10, 10, 15), [7, 8]);
    assert.deepEqual(longestFirst(12, 10, 15), [8, 7]);
    assert.deepEqual(longestFirst(20, 19, 15), [7, 8], 'both longer than the whole max length: the second keeps the odd token');
  });

  it('cuts only the longer text when the shorter fits in half', () => {
    assert.deepEqual(longestFirst(3, 20, 15), [3, 12]);
    assert.deepEqual(longestFirst(20, 3, 15), [12, 3]);
    assert.deepEqual(longestFirst(5, 5, 10), [5, 5]);
  });

  it('fills the budget exactly, never keeping more than a text has, in every small case', () => {
    for (let max = 0; max < 12; max++)
      for (let la = 0; la < 14; la++)
        for (let lb = 0; lb < 14; lb++) {
          const [na, nb] = longestFirst(la, lb, max);
          assert.ok(na <= la && nb <= lb, `${la},${lb} at ${max}: kept ${na},${nb}`);
          assert.equal(na + nb, Math.min(la + lb, max), `${la},${lb} at ${max}`);
          // the longer text is never cut below the shorter
          if (la >= lb) assert.ok(na >= Math.min(nb, la) - 1);
        }
  });
});

describe('templates from the post_processor', () => {
  it('places BERT, RoBERTa and TemplateProcessing special tokens with their type ids', () => {
    const a = [5, 6];
    const b = [7];
    assert.deepEqual(assemble(bertTemplate(1, 2), a, b, 99).inputIds, [1, 5, 6, 2, 7, 2]);
    assert.deepEqual(assemble(bertTemplate(1, 2), a, b, 99).tokenTypeIds, [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(assemble(robertaTemplate(0, 2), a, b, 99).inputIds, [0, 5, 6, 2, 2, 7, 2]);
    const template = templateOf(
      {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [102], tokens: ['[SEP]'] } },
      },
      'tokenizer.json',
    );
    const e = assemble(template, [9, 9, 9, 9], [8, 8, 8, 8], 7);
    assert.deepEqual(e.inputIds, [101, 9, 9, 102, 8, 8, 102], 'budget 4: two and two');
    assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1]);
    assert.equal(e.truncated, true);
    const roberta = templateOf(
      { type: 'Sequence', processors: [{ type: 'ByteLevel' }, { type: 'RobertaProcessing', cls: ['<s>', 0], sep: ['</s>', 2] }] },
      'f',
    );
    assert.deepEqual(assemble(roberta, [4], undefined, 9).inputIds, [0, 4, 2]);
  });

  it('refuses a post_processor it does not know, naming the file', () => {
    assert.throws(() => templateOf({ type: 'Mystery' }, '/m/tokenizer.json'), /\/m\/tokenizer\.json: its post_processor is of type "Mystery"/);
    assert.throws(() => assemble(bertTemplate(1, 2), [1], [2], 2), /leaves no room/);
  });
});
