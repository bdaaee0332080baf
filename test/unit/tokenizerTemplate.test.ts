import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assemble, bertTemplate, longestFirst, robertaTemplate, templateOf, weighedLength } from '../../src/trainer/tokenizer/template';

/** Words of one id each. */
const ones = (ids: number[]) => ids.map(id => [id]);

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
    // The grid's texts are words of one token ("hello hello …"), its max length the budget and 3 special tokens.
    const word = (n: number) => Array.from({ length: n }, () => [7]);
    const wrong = pairs.filter(([la, lb, budget, ka, kb]) => {
      const e = assemble(bertTemplate(1, 2), word(la), word(lb), budget + 3);
      const sep = e.inputIds.indexOf(2);
      return `${sep - 1},${e.inputIds.length - sep - 2}` !== `${ka},${kb}`;
    });
    assert.deepEqual(wrong.slice(0, 5), []);
  });

  it('gives the longer text the odd token, the second when they are equally long', () => {
    assert.deepEqual(longestFirst(10, 10, 15), [7, 8]);
    assert.deepEqual(longestFirst(12, 10, 15), [8, 7]);
    assert.deepEqual(longestFirst(3, 20, 15), [3, 12]);
    assert.deepEqual(longestFirst(20, 3, 15), [12, 3]);
  });

  it('weighs a text longer than the max length to the end of the word its last id falls in, so a long last word decides which side keeps the odd token', () => {
    assert.equal(weighedLength([[1], [2, 3], [4]], 10), 4, 'a short text: all of it');
    assert.equal(weighedLength([[1], [2, 3, 4], [5]], 2), 4, 'the word holding id 2 ends at 4');
    // Both texts far longer than the max length 8 (budget 5): by raw length b is longer, but a's
    // eighth id falls inside a word of three, so a weighs 9 against b's 8 and keeps the odd token.
    const a = [[1], [1], [1], [1], [1], [1], [1, 1, 1], [1], [1], [1], [1], [1]];
    const b = Array.from({ length: 30 }, () => [2]);
    const e = assemble(bertTemplate(100, 101), a, b, 8);
    assert.deepEqual(e.inputIds, [100, 1, 1, 1, 101, 2, 2, 101]);
  });
});

describe('templates from the post_processor', () => {
  it('places BERT, RoBERTa and TemplateProcessing special tokens with their type ids', () => {
    const a = ones([5, 6]);
    const b = ones([7]);
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
    const e = assemble(template, ones([9, 9, 9, 9]), ones([8, 8, 8, 8]), 7);
    assert.deepEqual(e.inputIds, [101, 9, 9, 102, 8, 8, 102], 'budget 4: two and two');
    assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1]);
    assert.equal(e.truncated, true);
    const roberta = templateOf(
      { type: 'Sequence', processors: [{ type: 'ByteLevel' }, { type: 'RobertaProcessing', cls: ['<s>', 0], sep: ['</s>', 2] }] },
      'f',
    );
    assert.deepEqual(assemble(roberta, ones([4]), undefined, 9).inputIds, [0, 4, 2]);
  });

  it('refuses a post_processor it does not know, naming the file', () => {
    assert.throws(() => templateOf({ type: 'Mystery' }, '/m/tokenizer.json'), /\/m\/tokenizer\.json: its post_processor is of type "Mystery"/);
    assert.throws(() => assemble(bertTemplate(1, 2), ones([1]), ones([2]), 2), /leaves no room/);
  });
});
