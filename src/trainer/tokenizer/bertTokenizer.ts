/**
 * Hugging Face's slow BertTokenizer (transformers 4.31), bit for bit: special-token strings in
 * the text are kept whole, the rest is lower-cased character by character, basic-tokenized and
 * WordPiece-split; then [CLS] a [SEP] (b [SEP]), truncation and masks.
 */
import { basicTokenize, type BasicOptions } from './basicTokenizer';
import { assemble, bertTemplate, type Template } from './template';
import { MAX_INPUT_CHARS_PER_WORD, wordpiece } from './wordpiece';

export interface SpecialTokens {
  unk: string;
  sep: string;
  pad: string;
  cls: string;
  mask: string;
}

export interface BertTokenizerOptions extends BasicOptions {
  special: SpecialTokens;
  /** The longest input the model accepts, from tokenizer_config.json's model_max_length. */
  modelMaxLength: number;
}

export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  /** Whether truncation removed tokens. */
  truncated: boolean;
}

/** What every tokenizer of a BERT model offers the trainer, whichever files it was built from. */
export interface TextTokenizer {
  encode(text: string, textPair?: string, maxLength?: number): Encoding;
  readonly padId: number;
  /** The longest input the model accepts (tokenizer_config.json's model_max_length). */
  readonly modelMaxLength: number;
  /** Which file defines it. */
  readonly source: 'vocab.txt' | 'tokenizer.json' | 'spm.model' | 'sentencepiece.bpe.model' | 'vocab.json';
  /** The largest id it can produce: the model's embedding table must have a row for it. */
  readonly maxId: number;
}

/**
 * The ids of `text`, enough of them for an input of `limit` tokens: a 50 MB selection is not
 * tokenised whole to keep its first 128 tokens. Prefixes of growing length are tried, each cut
 * at whitespace, where BERT's pre-tokenisation splits anyway, so the ids of the prefix are the
 * first ids of the whole text; the first prefix with `limit` ids or more is the answer.
 * (With `limit` at least the max length, truncation gives what the whole text would give, pairs
 * included: each side keeps at most max length - 3 ids.)
 */
export function boundedIds(text: string, limit: number, ids: (t: string) => number[], options: { shortenLongWords?: boolean } = {}): number[] {
  return bounded(text, limit, ids, got => got.length, options);
}

/** boundedIds for a tokenisation word by word: the ids of each word of a long enough prefix. */
export function boundedWords(text: string, limit: number, words: (t: string) => number[][], options: { shortenLongWords?: boolean } = {}): number[][] {
  return bounded(text, limit, words, got => got.reduce((n, w) => n + w.length, 0), options);
}

function bounded<T>(text: string, limit: number, tokenize: (t: string) => T, count: (got: T) => number, options: { shortenLongWords?: boolean }): T {
  if (options.shortenLongWords !== false && text.length > Math.max(4096, 32 * limit)) text = shortenLongWords(text);
  for (let chars = Math.max(4096, 32 * limit); chars < text.length; chars *= 4) {
    let cut = chars;
    const stop = Math.max(0, chars - 256);
    // Only the four characters both tokenizers split on: \f or \v are removed, not split on (ab\fcd is one word).
    while (cut > stop && !/[ \t\n\r]/.test(text[cut])) cut--;
    if (cut === stop) continue; // no whitespace near: try a longer prefix
    const got = tokenize(text.slice(0, cut));
    if (count(got) >= limit) return got;
  }
  return tokenize(text);
}

/** Raw length from which a word is shortened: far above the 100 characters after which WordPiece reads a whole word as [UNK]. */
export const LONG_WORD = 1000;

const CJK = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\u{20000}-\u{2FA1F}]/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
/** What normalisation may remove from a word (accents when they are stripped; control and format characters): not counted as its length. */
const REMOVABLE = /[\p{M}\p{Cc}\p{Cf}]/u;

/** A character no BERT pre-tokenisation splits at: a letter, digit or mark that is not a CJK ideograph (those stand alone). */
function isWordChar(c: string): boolean {
  const code = c.codePointAt(0)!;
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return WORD_CHAR.test(c) && !CJK.test(c);
}

/**
 * The text with each word of more than LONG_WORD characters cut to its first LONG_WORD, when
 * those already hold more than 100 characters that no normalisation removes: WordPiece reads
 * such a word as one [UNK] whatever its length, so the ids stay the same, and a 50 MB cell
 * without a space is not tokenised whole. Words are runs of letters, digits and marks, which
 * BERT's pre-tokenisation never splits. Linear, one pass.
 */
export function shortenLongWords(text: string): string {
  const parts: string[] = [];
  let kept = 0; // text before this is in parts
  let runStart = -1;
  let cutAt = -1; // where the current run is cut, once it is long enough
  let survivors = 0;
  for (let i = 0; i < text.length;) {
    const code = text.codePointAt(i)!;
    const c = String.fromCodePoint(code);
    const width = code > 0xffff ? 2 : 1;
    if (isWordChar(c)) {
      if (runStart < 0) {
        runStart = i;
        survivors = 0;
        cutAt = -1;
      }
      if (cutAt < 0) {
        if (!REMOVABLE.test(c)) survivors++;
        if (i + width - runStart >= LONG_WORD && survivors > MAX_INPUT_CHARS_PER_WORD) cutAt = i + width;
      }
    } else if (runStart >= 0) {
      if (cutAt >= 0) {
        parts.push(text.slice(kept, cutAt));
        kept = i;
      }
      runStart = -1;
    }
    i += width;
  }
  if (runStart >= 0 && cutAt >= 0) {
    parts.push(text.slice(kept, cutAt));
    kept = text.length;
  }
  if (!parts.length) return text;
  parts.push(text.slice(kept));
  return parts.join('');
}

export const DEFAULT_SPECIAL_TOKENS: SpecialTokens = { unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]' };

/**
 * Parses vocab.txt: one token per line, ids in line order. Lines end at "\n" (or "\r\n", "\r",
 * as Python's text mode reads them) and nowhere else: the Chinese vocab holds a U+2028 token.
 */
export function parseVocab(text: string): Map<string, number> {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((token, id) => vocab.set(token, id));
  return vocab;
}

export class BertTokenizer implements TextTokenizer {
  readonly source = 'vocab.txt';

  private readonly specials: string[];
  private readonly ids: Record<keyof SpecialTokens, number>;
  private readonly template: Template;
  private readonly idToToken: string[];

  constructor(
    readonly vocab: ReadonlyMap<string, number>,
    readonly options: BertTokenizerOptions,
  ) {
    // Longest first, so that matching at a position prefers the longest special token.
    this.specials = [...new Set(Object.values(options.special))].sort((a, b) => b.length - a.length);
    const id = (k: keyof SpecialTokens) => {
      const v = vocab.get(options.special[k]);
      if (v === undefined) throw new Error(`the vocabulary has no ${k} token "${options.special[k]}"`);
      return v;
    };
    this.ids = { unk: id('unk'), sep: id('sep'), pad: id('pad'), cls: id('cls'), mask: id('mask') };
    this.template = bertTemplate(this.ids.cls, this.ids.sep);
    this.idToToken = [];
    for (const [t, i] of vocab) this.idToToken[i] = t;
  }

  get padId(): number {
    return this.ids.pad;
  }

  get maxId(): number {
    return this.idToToken.length - 1;
  }

  get modelMaxLength(): number {
    return this.options.modelMaxLength;
  }

  /** Tokens of one text, without special tokens added around it. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const piece of this.splitOnSpecialTokens(this.options.lowerCase ? this.lowerCaseOutsideSpecials(text) : text)) {
      if (piece.special) {
        out.push(piece.text);
        continue;
      }
      for (const word of basicTokenize(piece.text, this.options)) out.push(...wordpiece(word, this.vocab, this.options.special.unk));
    }
    return out;
  }

  tokensToIds(tokens: string[]): number[] {
    return tokens.map(t => this.vocab.get(t) ?? this.ids.unk);
  }

  idsToTokens(ids: number[]): string[] {
    return ids.map(i => this.idToToken[i] ?? this.options.special.unk);
  }

  /** The ids of a text word by word: a special token, or the WordPiece ids of a basic token. */
  words(text: string): number[][] {
    const out: number[][] = [];
    for (const piece of this.splitOnSpecialTokens(this.options.lowerCase ? this.lowerCaseOutsideSpecials(text) : text)) {
      if (piece.special) out.push(this.tokensToIds([piece.text]));
      else for (const word of basicTokenize(piece.text, this.options)) out.push(this.tokensToIds(wordpiece(word, this.vocab, this.options.special.unk)));
    }
    return out;
  }

  /** [CLS] text [SEP] (text_pair [SEP]), at most maxLength ids, truncated as tokenizers does (template.ts). */
  encode(text: string, textPair?: string, maxLength = Math.min(512, this.options.modelMaxLength)): Encoding {
    const words = (t: string) => boundedWords(t, maxLength, part => this.words(part));
    return assemble(this.template, words(text), textPair === undefined ? undefined : words(textPair), maxLength);
  }

  private specialAt(text: string, i: number): string | undefined {
    return this.specials.find(s => text.startsWith(s, i));
  }

  /** transformers lower-cases everything but special-token strings, one character at a time. */
  private lowerCaseOutsideSpecials(text: string): string {
    let out = '';
    let i = 0;
    while (i < text.length) {
      const special = this.specialAt(text, i);
      if (special) {
        out += special;
        i += special.length;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      // Python's "." does not match a newline, so newlines pass through unchanged (as they would anyway).
      out += ch.toLowerCase();
      i += ch.length;
    }
    return out;
  }

  private splitOnSpecialTokens(text: string): { text: string; special: boolean }[] {
    const out: { text: string; special: boolean }[] = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      const special = this.specialAt(text, i);
      if (!special) {
        i++;
        continue;
      }
      if (i > start) out.push({ text: text.slice(start, i), special: false });
      out.push({ text: special, special: true });
      i += special.length;
      start = i;
    }
    if (start < text.length) out.push({ text: text.slice(start), special: false });
    return out;
  }
}
