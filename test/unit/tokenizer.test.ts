import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BertTokenizer, DEFAULT_SPECIAL_TOKENS, LONG_WORD, boundedIds, parseVocab, shortenLongWords } from '../../src/trainer/tokenizer/bertTokenizer';
import { loadTokenizer } from '../../src/trainer/tokenizer/loadTokenizer';
import { tempDir } from './helpers';

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
  fs
    .readFileSync(path.join(FIX, 'tokenizer', f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l));

/**
 * Pairs as transformers 5 truncates them (tokenizers' LongestFirst: the second text keeps the odd
 * token when both are cut), re-encoded by make-transformers5-pairs.py; the cases files hold
 * transformers 4.31's slow tokenizer, which gave it to the first.
 */
const transformers5Pairs = new Map(
  readCases('transformers5-pairs.jsonl').map(c => [`${(c as Case & { file: string }).file} ${c.source} ${c.max_len} ${c.text} ${c.text_pair}`, c] as const),
);

/** The cases as transformers 5 encodes them: pairs from transformers5-pairs.jsonl. */
function transformers5Cases(file: string): Case[] {
  return readCases(file).map(c => {
    // An empty second text: transformers 5 reads tok(text, "") as no pair ("" is falsy), but a
    // batch of pairs, as the export's train.py and BERT Tune encode them, keeps it: [SEP] [SEP].
    const now = !c.text_pair ? undefined : transformers5Pairs.get(`${file} ${c.source} ${c.max_len} ${c.text} ${c.text_pair}`);
    return now ? { ...c, input_ids: now.input_ids, token_type_ids: now.token_type_ids } : c;
  });
}

function tokenizer(vocabFile: string): BertTokenizer {
  const vocab = parseVocab(fs.readFileSync(path.join(FIX, 'vocab', vocabFile), 'utf8'));
  return new BertTokenizer(vocab, {
    lowerCase: true,
    stripAccents: undefined,
    tokenizeChineseChars: true,
    special: DEFAULT_SPECIAL_TOKENS,
    modelMaxLength: 512,
  });
}

for (const [file, vocabFile] of [
  ['uncased-cases.jsonl', 'bert-base-uncased-vocab.txt'],
  ['chinese-cases.jsonl', 'bert-base-chinese-vocab.txt'],
]) {
  describe(`BertTokenizer against Hugging Face: ${file}`, () => {
    const tok = tokenizer(vocabFile);
    const cases = transformers5Cases(file);

    it(`gives the same ids as transformers on all ${cases.length} cases`, () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const enc = tok.encode(c.text, c.text_pair, c.max_len);
        try {
          assert.deepEqual(enc.inputIds, c.input_ids);
          assert.deepEqual(enc.tokenTypeIds, c.token_type_ids);
          assert.equal(enc.truncated, c.truncated);
          assert.deepEqual(
            enc.attentionMask,
            c.input_ids.map(() => 1),
          );
        } catch {
          wrong.push(
            `${c.source} ${JSON.stringify(c.text).slice(0, 80)}: got ${JSON.stringify(tok.idsToTokens(enc.inputIds))} want ${JSON.stringify(c.tokens)}`,
          );
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
    assert.deepEqual(
      [...vocab.entries()],
      [
        ['[PAD]', 0],
        ['\u2028', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
    const chinese = parseVocab(fs.readFileSync(path.join(FIX, 'vocab', 'bert-base-chinese-vocab.txt'), 'utf8'));
    assert.equal(chinese.size, 21128);
    assert.equal(chinese.get('\u2028'), 343);
  });

  it('refuses a max length with no room for the text', () => {
    assert.throws(() => tok.encode('a', 'b', 2), /no room/);
  });
});

/** The tokenizer.json transformers writes for a BERT WordPiece vocabulary. */
function bertTokenizerJson(vocabFile: string): Record<string, unknown> {
  const vocab = parseVocab(fs.readFileSync(path.join(FIX, 'vocab', vocabFile), 'utf8'));
  const special = (t: string) => ({ id: vocab.get(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', vocab.get('[SEP]')], cls: ['[CLS]', vocab.get('[CLS]')] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
}

describe('tokenizer.json through @huggingface/tokenizers', () => {
  for (const [file, vocabFile] of [
    ['uncased-cases.jsonl', 'bert-base-uncased-vocab.txt'],
    ['chinese-cases.jsonl', 'bert-base-chinese-vocab.txt'],
  ]) {
    it(`is chosen over vocab.txt and matches transformers on ${file}, but for the fast tokenizer's final sigma`, () => {
      const dir = tempDir();
      fs.copyFileSync(path.join(FIX, 'vocab', vocabFile), path.join(dir, 'vocab.txt'));
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(vocabFile)));
      fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 512 }));
      const fast = loadTokenizer(dir);
      assert.equal(fast.source, 'tokenizer.json');
      assert.equal(loadTokenizer(dir, { preferVocab: true }).source, 'vocab.txt');
      const differ: string[] = [];
      for (const c of transformers5Cases(file)) {
        const enc = fast.encode(c.text, c.text_pair, c.max_len);
        if (
          JSON.stringify(enc.inputIds) !== JSON.stringify(c.input_ids) ||
          JSON.stringify(enc.tokenTypeIds) !== JSON.stringify(c.token_type_ids) ||
          enc.truncated !== c.truncated
        ) {
          differ.push(c.text);
        }
      }
      // The slow tokenizer lower-cases one character at a time (Σ → σ); the fast one lower-cases
      // whole words, so a word-final Σ becomes ς, as Hugging Face's Rust tokenizer does too.
      assert.deepEqual(differ, file.startsWith('uncased') ? ['ΣΊΣΥΦΟΣ and ΟΔΥΣΣΕΥΣ (Greek capitals, final sigma)'] : []);
    });
  }

  it('refuses a tokenizer.json whose model it does not run, naming those it runs', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'WordLevel', vocab: {} } }));
    assert.throws(() => loadTokenizer(dir), /its model is "WordLevel"; BERT Tune runs tokenizers whose model is WordPiece, BPE, Unigram/);
  });
});

describe('long texts', () => {
  const cases = readCases('uncased-cases.jsonl').concat(readCases('chinese-cases.jsonl'));
  // Every case's text many times over, joined by each kind of whitespace, some \f inside words.
  const long = Array.from({ length: 400 }, (_, i) => cases[i % cases.length].text + (i % 7 === 0 ? 'ab\fcd' : ''))
    .reduce((text, part, i) => text + ' \n\t\r'[i % 4] + part, '')
    .repeat(3);

  it('is tokenised from a prefix only, with exactly the ids the whole text gives', () => {
    const tok = tokenizer('bert-base-uncased-vocab.txt');
    const full = (t: string) => tok.tokensToIds(tok.tokenize(t));
    const [cls, sep] = tok.tokensToIds(['[CLS]', '[SEP]']);
    for (const maxLength of [8, 128, 512]) {
      const want = full(long);
      assert.ok(want.length > 4 * maxLength);
      const enc = tok.encode(long, undefined, maxLength);
      assert.deepEqual(enc.inputIds, [cls, ...want.slice(0, maxLength - 2), sep], `max length ${maxLength}`);
      assert.equal(enc.truncated, true);
      const pair = tok.encode(long, long.slice(1000), maxLength);
      const b = full(long.slice(1000));
      // both texts are longer than the max length: the first keeps half, rounded down (template.ts)
      const la = Math.floor((maxLength - 3) / 2);
      assert.deepEqual(pair.inputIds, [cls, ...want.slice(0, la), sep, ...b.slice(0, maxLength - 3 - la), sep]);
    }
  });

  it('of 50 MB reads a few kilobytes of it', () => {
    const seen: number[] = [];
    const tok = tokenizer('bert-base-uncased-vocab.txt');
    const huge = 'many words here '.repeat((50 * 2 ** 20) / 16);
    const ids = boundedIds(huge, 128, part => {
      seen.push(part.length);
      return tok.tokensToIds(tok.tokenize(part));
    });
    assert.ok(ids.length >= 128);
    assert.ok(Math.max(...seen) < 10_000, `tokenised ${seen.join(', ')} characters`);
  });
});

describe('a long word, bounded (#26, 14)', () => {
  const tok = tokenizer('bert-base-uncased-vocab.txt');
  const id = (t: string) => tok.encode(t, undefined, 16).inputIds.slice(1, -1);

  it('a 5 MB cell without whitespace is one [UNK], as the whole word is, and the text after it still counts', () => {
    const [unk] = id('\u2603\u2603'.repeat(200)); // a word WordPiece cannot read: [UNK]
    const huge = 'x'.repeat(5_000_000);
    assert.deepEqual(tok.encode(`${huge} hello world`, undefined, 16).inputIds.slice(1, -1), [unk, ...id('hello world')]);
    assert.deepEqual(tok.encode(`hello ${huge}, world`, undefined, 16).inputIds.slice(1, -1), [...id('hello'), unk, ...id(', world')]);
  });

  it('never shortens what normalisation shrinks, or what pre-tokenisation splits', () => {
    // one letter and 5,000 accents: stripped, it is the word "a", not [UNK]
    const accents = `a${'\u0301'.repeat(5000)} ok`;
    assert.deepEqual(tok.encode(accents, undefined, 16).inputIds.slice(1, -1), id('a ok'));
    // Chinese characters are tokens each: 10,000 of them in a row keep their order and count
    const chinese = tokenizer('bert-base-chinese-vocab.txt');
    const zhong = chinese.encode('中', undefined, 8).inputIds[1];
    assert.deepEqual(chinese.encode('中'.repeat(10_000), undefined, 16).inputIds.slice(1, -1), Array(14).fill(zhong));
  });

  it('shortenLongWords keeps short words, and cuts only long ones', () => {
    assert.equal(shortenLongWords('short words only'), 'short words only');
    const cut = shortenLongWords(`${'y'.repeat(3000)} tail`);
    assert.equal(cut, `${'y'.repeat(LONG_WORD)} tail`);
  });
});
