/**
 * BERT's basic tokenization, exactly as Hugging Face's slow BertTokenizer (transformers 4.31)
 * does it: clean, space out CJK ideographs, NFC, split on whitespace, lower-case and strip
 * accents, split off punctuation. Character classes follow Python's unicodedata categories.
 */

export interface BasicOptions {
  lowerCase: boolean;
  /** undefined: strip when lower-casing, as transformers' `strip_accents=None`. */
  stripAccents: boolean | undefined;
  tokenizeChineseChars: boolean;
}

const CONTROL = /\p{C}/u;
const SPACE_SEPARATOR = /\p{Zs}/u;
const NONSPACING_MARK = /\p{Mn}/gu;
const PUNCTUATION_CATEGORY = /\p{P}/u;

/** Python's str.split() on whitespace; after cleaning, JavaScript's \s covers the same set. */
export function whitespaceSplit(text: string): string[] {
  const t = text.trim();
  return t ? t.split(/\s+/u) : [];
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE_SEPARATOR.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  // Every non-alphanumeric printable ASCII character counts, though Unicode files "^$`" as symbols.
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCTUATION_CATEGORY.test(ch);
}

/** CJK Unified Ideographs and their extensions and compatibility blocks (not kana or Hangul). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function cleanText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    out += isWhitespace(ch) ? ' ' : ch;
  }
  return out;
}

function spaceOutChineseChars(text: string): string {
  let out = '';
  for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}

function stripAccents(word: string): string {
  return word.normalize('NFD').replace(NONSPACING_MARK, '');
}

function splitOnPunctuation(word: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of word) {
    if (isPunctuation(ch)) {
      if (current) out.push(current);
      out.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) out.push(current);
  return out;
}

export function basicTokenize(text: string, options: BasicOptions): string[] {
  let t = cleanText(text);
  if (options.tokenizeChineseChars) t = spaceOutChineseChars(t);
  t = t.normalize('NFC');
  const pieces: string[] = [];
  for (let word of whitespaceSplit(t)) {
    if (options.lowerCase) {
      word = word.toLowerCase();
      if (options.stripAccents !== false) word = stripAccents(word);
    } else if (options.stripAccents) {
      word = stripAccents(word);
    }
    pieces.push(...splitOnPunctuation(word));
  }
  return whitespaceSplit(pieces.join(' '));
}
