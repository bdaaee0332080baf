/**
 * Truncation and special tokens, as Hugging Face's tokenizers (Rust, which transformers 5 runs
 * for every family) apply them after the texts are split: `longest_first` truncation to what the
 * post-processor leaves room for, then its template ([CLS] A [SEP] B [SEP]; <s> A </s></s> B </s>;
 * or any TemplateProcessing) with its type ids.
 */
import type { Encoding } from './bertTokenizer';

/** A special token's ids, or one of the texts, with the type id its tokens get. */
export type TemplatePiece = { special: number[]; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

export interface Template {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

/**
 * cls A sep, and for a pair cls A `between` B sep, B's part of type `secondType`: the shape of
 * both BERT's and RoBERTa's templates.
 */
function clsSepTemplate(cls: number, sep: number, between: number[], secondType: number): Template {
  const single: TemplatePiece[] = [
    { special: [cls], typeId: 0 },
    { sequence: 'A', typeId: 0 },
  ];
  return {
    single: [...single, { special: [sep], typeId: 0 }],
    pair: [...single, { special: between, typeId: 0 }, { sequence: 'B', typeId: secondType }, { special: [sep], typeId: secondType }],
  };
}

/** BERT's: [CLS] A [SEP] (B [SEP]), B's tokens and its [SEP] of type 1. */
export function bertTemplate(cls: number, sep: number): Template {
  return clsSepTemplate(cls, sep, [sep], 1);
}

/** RoBERTa's: <s> A </s> (</s> B </s>). Its models read no token types: all 0. */
export function robertaTemplate(cls: number, sep: number): Template {
  return clsSepTemplate(cls, sep, [sep, sep], 0);
}

const NO_SPECIALS: Template = {
  single: [{ sequence: 'A', typeId: 0 }],
  pair: [
    { sequence: 'A', typeId: 0 },
    { sequence: 'B', typeId: 1 },
  ],
};

type Json = Record<string, unknown>;

/**
 * The template a tokenizer.json's post_processor describes: BertProcessing, RobertaProcessing,
 * TemplateProcessing, a Sequence of those (with ByteLevel, which adds no tokens), or none.
 * Throws, naming `file`, for a form it does not know.
 */
export function templateOf(postProcessor: unknown, file: string): Template {
  const bad = (what: string) => new Error(`${file}: its post_processor ${what}. Save the tokenizer again with transformers (tokenizer.save_pretrained).`);
  if (postProcessor === null || postProcessor === undefined) return NO_SPECIALS;
  const p = postProcessor as Json;
  const tokenId = (v: unknown, key: string): number => {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || !Number.isInteger(v[1])) throw bad(`has a "${key}" that is not [token, id]`);
    return v[1] as number;
  };
  switch (p.type) {
    case 'BertProcessing':
      return bertTemplate(tokenId(p.cls, 'cls'), tokenId(p.sep, 'sep'));
    case 'RobertaProcessing':
      return robertaTemplate(tokenId(p.cls, 'cls'), tokenId(p.sep, 'sep'));
    case 'ByteLevel':
      return NO_SPECIALS;
    case 'Sequence': {
      const adding = ((p.processors as unknown[]) ?? []).filter(q => (q as Json)?.type !== 'ByteLevel');
      if (adding.length > 1) throw bad('chains more than one processor that adds tokens');
      return adding.length ? templateOf(adding[0], file) : NO_SPECIALS;
    }
    case 'TemplateProcessing': {
      const specials = (p.special_tokens ?? {}) as Record<string, { ids?: unknown }>;
      const pieces = (list: unknown, key: string): TemplatePiece[] => {
        if (!Array.isArray(list)) throw bad(`has no "${key}" list`);
        return list.map((item: Json) => {
          if (item?.Sequence) {
            const s = item.Sequence as { id?: unknown; type_id?: unknown };
            if (s.id !== 'A' && s.id !== 'B') throw bad(`names a sequence ${JSON.stringify(s.id)} (only A and B exist)`);
            return { sequence: s.id, typeId: Number(s.type_id ?? 0) };
          }
          if (item?.SpecialToken) {
            const s = item.SpecialToken as { id?: unknown; type_id?: unknown };
            const ids = specials[String(s.id)]?.ids;
            if (!Array.isArray(ids) || !ids.every(Number.isInteger)) throw bad(`uses the special token ${JSON.stringify(s.id)} without its ids`);
            return { special: ids as number[], typeId: Number(s.type_id ?? 0) };
          }
          throw bad(`has a piece ${JSON.stringify(item).slice(0, 60)} that is neither a Sequence nor a SpecialToken`);
        });
      };
      return { single: pieces(p.single, 'single'), pair: pieces(p.pair, 'pair') };
    }
    default:
      throw bad(
        `is of type ${JSON.stringify(p.type)}, which BERT Tune does not know (it knows BertProcessing, RobertaProcessing, TemplateProcessing, Sequence and ByteLevel)`,
      );
  }
}

/** Special tokens the template adds around one text, or a pair. */
export function specialsAdded(pieces: TemplatePiece[]): number {
  return pieces.reduce((n, p) => n + ('special' in p ? p.special.length : 0), 0);
}

/**
 * The lengths the texts of a pair keep so that both fit `budget` ids with truncation
 * "longest_first", as tokenizers' LongestFirst computes them: when the shorter text fits in half
 * the budget it stays whole and the longer gets the rest; otherwise each keeps half, the odd
 * token going to the longer text (to the second when they are equally long).
 */
export function longestFirst(la: number, lb: number, budget: number): [number, number] {
  if (la + lb <= budget) return [la, lb];
  const shorter = Math.min(la, lb);
  if (2 * shorter <= budget) return la > lb ? [budget - lb, lb] : [la, budget - la];
  const low = Math.floor(budget / 2);
  const high = low + (budget % 2);
  return la > lb ? [high, low] : [low, high];
}

/**
 * A text's length as transformers 5 weighs it for the pair's truncation: a text of more than
 * `maxLength` ids counts as far as the end of the word in which its maxLength-th id falls (its
 * Rust tokenizer has cut it there already). Measured: with this, template.ts gives transformers'
 * split for all 3,200 truncated pairs of the families' interop texts, WordPiece and BPE, and for
 * every case of test/fixtures/reference/tokenizer/longest-first-grid.json; without it, the odd
 * token goes to the wrong text in one pair of twenty.
 */
export function weighedLength(words: number[][], maxLength: number): number {
  let n = 0;
  for (const w of words) {
    n += w.length;
    if (n >= maxLength) return n;
  }
  return n;
}

/**
 * The ids of one text or a pair, truncated to `maxLength` in all, with the template's special
 * tokens. Each text comes as its words' ids (a word: what the pre-tokenizer makes one piece).
 */
export function assemble(template: Template, aWords: number[][], bWords: number[][] | undefined, maxLength: number): Encoding {
  let a = aWords.flat();
  let b = bWords?.flat();
  const pieces = b ? template.pair : template.single;
  const specials = specialsAdded(pieces);
  if (maxLength < specials) throw new Error(`max length ${maxLength} leaves no room for the text (${specials} special tokens)`);
  const budget = maxLength - specials;
  let truncated = false;
  if (!b) {
    if (a.length > budget) [a, truncated] = [a.slice(0, budget), true];
  } else {
    const [na, nb] = longestFirst(weighedLength(aWords, maxLength), weighedLength(bWords!, maxLength), budget);
    truncated = na < a.length || nb < b.length;
    a = a.slice(0, na);
    b = b.slice(0, nb);
  }
  const inputIds: number[] = [];
  const tokenTypeIds: number[] = [];
  for (const piece of pieces) {
    const ids = 'special' in piece ? piece.special : piece.sequence === 'A' ? a : b!;
    for (const id of ids) {
      inputIds.push(id);
      tokenTypeIds.push(piece.typeId);
    }
  }
  return { inputIds, tokenTypeIds, attentionMask: inputIds.map(() => 1), truncated };
}
