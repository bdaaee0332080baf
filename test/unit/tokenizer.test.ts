import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BertTokenizer, DEFAULT_SPECIAL_TOKENS, parseVocab } from '../../src/trainer/tokenizer/bertTokenizer';

const FIX = path.join(__dirname, '..', 'fixtures', 'reference');

interface Case {
  text: string;
  text_pair?: string;
  max_len: number;
  input_ids: number[];
  token_type_ids: number[];
  tokens: string[];
  truncated: boolean;
  source: string;
}

const readCases = (f: string): Case[] =>
  fs.readFileSync(path.join(FIX, 'tokenizer', f), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l));

function tokenizer(vocabFile: string): BertTokenizer {
  const vocab = parseVocab(fs.readFileSync(path.join(FIX, 'vocab', vocabFile), 'utf8'));
  return new BertTokenizer(vocab, { lowerCase: true, stripAccents: undefined, tokenizeChineseChars: true, special: DEFAULT_SPECIAL_TOKENS, modelMaxLength: 512 });
}

for (const [file, vocabFile] of [['uncased-cases.jsonl', 'bert-base-uncased-vocab.txt'], ['chinese-cases.jsonl', 'bert-base-chinese-vocab.txt']]) {
  describe(`BertTokenizer against Hugging Face: ${file}`, () => {
    const tok = tokenizer(vocabFile);
    const cases = readCases(file);

    it(`gives the same ids as transformers on all ${cases.length} cases`, () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const enc = tok.encode(c.text, c.text_pair, c.max_len);
        try {
          assert.deepEqual(enc.inputIds, c.input_ids);
          assert.deepEqual(enc.tokenTypeIds, c.token_type_ids);
          assert.equal(enc.truncated, c.truncated);
          assert.deepEqual(enc.attentionMask, c.input_ids.map(() => 1));
        } catch {
          wrong.push(`${c.source} ${JSON.stringify(c.text).slice(0, 80)}: got ${JSON.stringify(tok.idsToTokens(enc.inputIds))} want ${JSON.stringify(c.tokens)}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  });
}

describe('BertTokenizer details', () => {
  const tok = tokenizer('bert-base-uncased-vocab.txt');

  it('matches the published ids for the README examples', () => {
    assert.deepEqual(tok.encode('How are you doing?').inputIds, [101, 2129, 2024, 2017, 2725, 1029, 102]);
    assert.deepEqual(tok.encode('UNwantéd,running').inputIds, [101, 18162, 1010, 2770, 102]);
    assert.deepEqual(tok.encode('My name is John', 'pair').inputIds, [101, 2026, 2171, 2003, 2198, 102, 3940, 102]);
  });

  it('reads a vocab line by line on \\n only, so a U+2028 token keeps its id', () => {
    const vocab = parseVocab('[PAD]\n\u2028\nb\r\nc\n');
    assert.deepEqual([...vocab.entries()], [['[PAD]', 0], ['\u2028', 1], ['b', 2], ['c', 3]]);
    const chinese = parseVocab(fs.readFileSync(path.join(FIX, 'vocab', 'bert-base-chinese-vocab.txt'), 'utf8'));
    assert.equal(chinese.size, 21128);
    assert.equal(chinese.get('\u2028'), 343);
  });

  it('refuses a max length with no room for the text', () => {
    assert.throws(() => tok.encode('a', 'b', 2), /no room/);
  });
});
