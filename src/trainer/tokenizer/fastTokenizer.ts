/**
 * A model's tokenizer.json, run by @huggingface/tokenizers (the JavaScript port of Hugging Face's
 * fast tokenizers): normalisation, pre-tokenisation and the model (WordPiece, BPE or Unigram) as
 * that file defines them. Truncation and the special tokens are ours (template.ts), as the Rust
 * library applies them, from the file's post_processor.
 */
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import safeRegex from 'safe-regex';
import { boundedWords, type Encoding, type TextTokenizer } from './bertTokenizer';
import { assemble, bertTemplate, templateOf, type Template } from './template';

/** The tokenizer.json models BERT Tune runs: BERT's and ELECTRA's WordPiece, RoBERTa's byte-level BPE, XLM-R's Unigram. */
export const TOKENIZER_MODELS = ['WordPiece', 'BPE', 'Unigram'] as const;

/** The parts of @huggingface/tokenizers' Tokenizer (0.2) that encode_text runs, used to keep the pre-tokenizer's pieces apart. */
interface TokenizerInternals {
  added_tokens_map: Map<string, { id: number; lstrip?: boolean; rstrip?: boolean }>;
  model: ((tokens: string[]) => string[]) & { tokens_to_ids: Map<string, number>; unk_token_id: number };
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options: { section_index: number }) => string[]) | null;
  splitter_unnormalized: { split(text: string): string[] };
  splitter_normalized: { split(text: string): string[] };
  remove_space?: boolean;
  do_lowercase_and_remove_accent?: boolean;
}

/** An added token that strips spaces on its left or right takes them from its neighbours, as encode_text does. */
function stripAround(sections: string[], t: TokenizerInternals): void {
  sections.forEach((section, i) => {
    const added = t.added_tokens_map.get(section);
    if (!added) return;
    if (added.lstrip && i > 0) sections[i - 1] = sections[i - 1].trimEnd();
    if (added.rstrip && i < sections.length - 1) sections[i + 1] = sections[i + 1].trimStart();
  });
}

export class FastTokenizer implements TextTokenizer {
  /** The file it was built from: tokenizer.json, or a DeBERTa spm.model or RoBERTa vocab.json converted as transformers converts them. */
  readonly source: 'tokenizer.json' | 'spm.model' | 'sentencepiece.bpe.model' | 'vocab.json';
  readonly padId: number;
  readonly maxId: number;
  /** Whether its pre-tokenisation is BERT's, which never splits a run of letters, digits and marks (boundedIds may then shorten long words). */
  private readonly wordsWhole: boolean;
  private readonly tokenizer: Tokenizer;
  private readonly template: Template;
  /** The replacement character of a splitting Metaspace pre-tokenizer ("▁"): a word starts at each token that begins with it. */
  private readonly metaspace: string | undefined;

  constructor(
    tokenizerJson: Record<string, unknown>,
    config: Record<string, unknown>,
    readonly modelMaxLength: number,
    special: { cls: string; sep: string; pad: string },
    private readonly file = 'tokenizer.json',
  ) {
    // The file it was built from: a converted SentencePiece model or BPE vocabulary names itself.
    const from = (['spm.model', 'sentencepiece.bpe.model', 'vocab.json'] as const).find(f => path.basename(file) === f);
    this.source = from ?? 'tokenizer.json';
    tokenizerJson = checkedTokenizerJson(tokenizerJson, file);
    const model = tokenizerJson.model as { type: (typeof TOKENIZER_MODELS)[number]; vocab: Record<string, number> | [string, number][] };
    // Whatever else the library trips over ("type is not iterable") is told with the file's name.
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, config);
      this.tokenizer.encode('probe', { add_special_tokens: false });
    } catch (e) {
      throw new Error(
        `${file} cannot be used as a tokenizer (${(e as Error).message}). Save the tokenizer again (tokenizer.save_pretrained), or remove tokenizer.json to use vocab.txt.`,
      );
    }
    const preTokenizer = tokenizerJson.pre_tokenizer as { type?: unknown; pretokenizers?: unknown[] } | null | undefined;
    this.wordsWhole = preTokenizer?.type === 'BertPreTokenizer';
    const members = (preTokenizer?.type === 'Sequence' ? (preTokenizer.pretokenizers ?? []) : [preTokenizer]) as {
      type?: unknown;
      split?: unknown;
      replacement?: unknown;
    }[];
    const metaspace = members.find(m => m?.type === 'Metaspace' && m.split !== false);
    this.metaspace = metaspace ? (typeof metaspace.replacement === 'string' ? metaspace.replacement : '▁') : undefined;
    // checkedTokenizerJson made them whole numbers; a loop, not Math.max(...ids), which a
    // 250,000-token vocabulary would overflow
    let maxId = Array.isArray(model.vocab) ? model.vocab.length - 1 : -1; // Unigram's ids are its pieces' places
    if (!Array.isArray(model.vocab)) for (const id of Object.values(model.vocab)) maxId = Math.max(maxId, id);
    for (const { id } of tokenizerJson.added_tokens as { id: number }[]) maxId = Math.max(maxId, id);
    this.maxId = maxId;
    const id = (token: string) => {
      const v = this.tokenizer.token_to_id(token);
      if (v === undefined) throw new Error(`${file}: the vocabulary has no "${token}" token`);
      return v;
    };
    this.padId = id(special.pad);
    // An old WordPiece tokenizer.json without a post_processor: BERT's template, from its special tokens.
    this.template =
      tokenizerJson.post_processor === null && model.type === 'WordPiece'
        ? bertTemplate(id(special.cls), id(special.sep))
        : templateOf(tokenizerJson.post_processor, file);
  }

  encode(text: string, textPair?: string, maxLength = Math.min(512, this.modelMaxLength)): Encoding {
    const words = (t: string) => boundedWords(t, maxLength, part => this.words(part), { shortenLongWords: this.wordsWhole });
    return assemble(this.template, words(text), textPair === undefined ? undefined : words(textPair), maxLength);
  }

  /**
   * The ids of a text, word by word (a word: an added token, or a piece of the pre-tokenizer),
   * as @huggingface/tokenizers' encode_text makes them, which gives the same ids flattened
   * (test/unit/tokenizer.test.ts holds it to that). Pairs are truncated by words' ends.
   */
  words(text: string): number[][] {
    const t = this.tokenizer as unknown as TokenizerInternals;
    const idOf = (token: string) => t.added_tokens_map.get(token)?.id ?? t.model.tokens_to_ids.get(token) ?? t.model.unk_token_id;
    const out: number[][] = [];
    let pieceStart = true;
    // encode_text's steps: added tokens split out (stripping where they say), normalisation,
    // added tokens again, pre-tokenisation, the model; here each piece of the pre-tokenizer apart.
    const sections = t.splitter_unnormalized.split(text);
    stripAround(sections, t);
    sections.forEach((section, sectionIndex) => {
      if (!section.length) return;
      if (t.added_tokens_map.has(section)) return void out.push([idOf(section)]);
      let normalized = section;
      if (t.remove_space === true) normalized = normalized.trim().split(/\s+/).join(' ');
      if (t.do_lowercase_and_remove_accent) throw new Error(`${this.file}: do_lowercase_and_remove_accent is not supported`);
      if (t.normalizer !== null) normalized = t.normalizer(normalized);
      if (!normalized.length) return;
      const subsections = t.splitter_normalized.split(normalized);
      stripAround(subsections, t);
      for (const sub of subsections) {
        if (!sub.length) continue;
        if (t.added_tokens_map.has(sub)) {
          out.push([idOf(sub)]);
          continue;
        }
        const pieces = t.pre_tokenizer !== null ? t.pre_tokenizer(sub, { section_index: sectionIndex }) : [sub];
        for (const piece of pieces) {
          const tokens = t.model([piece]);
          // The library's Metaspace leaves "▁a▁b" one piece; Rust's splits it before each "▁".
          if (this.metaspace) {
            for (const token of tokens) {
              if (token.startsWith(this.metaspace) || !out.length || pieceStart) out.push([idOf(token)]);
              else out[out.length - 1].push(idOf(token));
              pieceStart = false;
            }
            pieceStart = true;
          } else if (tokens.length) out.push(tokens.map(idOf));
        }
      }
    });
    return out;
  }
}

/**
 * tokenizer.json as Python's `tokenizers` reads it: a component it lacks (a decoder, a
 * normalizer…) is none, as there; what @huggingface/tokenizers would trip over later with a
 * message naming nothing ("Iterator value undefined is not an entry object") is refused here,
 * naming the file, the field and what to do.
 */
export function checkedTokenizerJson(json: Record<string, unknown>, file: string): Record<string, unknown> {
  const bad = (what: string) => new Error(`${file}: ${what}. Save the tokenizer again (tokenizer.save_pretrained), or remove tokenizer.json to use vocab.txt.`);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad('it is not a JSON object');
  const out: Record<string, unknown> = { ...json };
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    const v = out[key];
    if (v === undefined) out[key] = null;
    else if (v !== null && (typeof v !== 'object' || Array.isArray(v) || typeof (v as { type?: unknown }).type !== 'string'))
      throw bad(`"${key}" must be null or an object with a "type", not ${JSON.stringify(v).slice(0, 60)}`);
  }
  const added = out.added_tokens ?? [];
  if (!Array.isArray(added)) throw bad('"added_tokens" must be a list');
  added.forEach((t: unknown, i) => {
    const token = t as { id?: unknown; content?: unknown } | null;
    if (!token || typeof token !== 'object' || !Number.isInteger(token.id) || (token.id as number) < 0 || typeof token.content !== 'string')
      throw bad(`added_tokens[${i}] must be an object with an "id" (a whole number) and a "content" (a string)`);
  });
  out.added_tokens = added;
  for (const key of ['normalizer', 'pre_tokenizer', 'decoder', 'post_processor']) {
    for (const { pattern, type } of regexPatterns(out[key])) {
      if (typeof pattern !== 'string') throw bad(`a "${type}" in its ${key} has a pattern that is not a string`);
      // Run as JavaScript regexes, which have no match limit: a quantifier inside a quantifier
      // ("(a+)+$") takes minutes on a few dozen characters. Python's tokenizers stops such a
      // match ("retry-limit-in-match over"); here it is refused when the file is read.
      if (!safeRegex(pattern))
        throw bad(
          `the pattern ${JSON.stringify(pattern)} of a "${type}" in its ${key} can take exponential time on some texts (a quantifier inside a quantifier), so BERT Tune does not run it`,
        );
    }
  }
  const model = out.model as { type?: unknown; vocab?: unknown } | undefined;
  if (!model || typeof model !== 'object' || Array.isArray(model)) throw bad('it has no "model" object');
  if (!TOKENIZER_MODELS.includes(model.type as (typeof TOKENIZER_MODELS)[number]))
    throw new Error(`${file}: its model is ${JSON.stringify(model.type)}; BERT Tune runs tokenizers whose model is ${TOKENIZER_MODELS.join(', ')}.`);
  const vocab = model.vocab;
  if (model.type === 'Unigram') {
    // Unigram's vocabulary is a list of [piece, score]; a piece's id is its place.
    if (!Array.isArray(vocab)) throw bad('"model.vocab" of a Unigram model must be a list of [piece, score]');
    vocab.forEach((entry: unknown, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number')
        throw bad(`"model.vocab" entry ${i} must be [piece, score], not ${JSON.stringify(entry).slice(0, 60)}`);
    });
    return out;
  }
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) throw bad('"model.vocab" must map each token to its id');
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0)
      throw bad(`"model.vocab" gives the token ${JSON.stringify(token)} the id ${JSON.stringify(id)}, not a whole number`);
  }
  return out;
}

/** Every regex pattern in a tokenizer component, its sequences' members included ({"pattern": {"Regex": "…"}}). */
function regexPatterns(component: unknown, depth = 0): { pattern: unknown; type: string }[] {
  if (!component || typeof component !== 'object' || depth > 16) return [];
  if (Array.isArray(component)) return component.flatMap(c => regexPatterns(c, depth + 1));
  const c = component as Record<string, unknown>;
  const found: { pattern: unknown; type: string }[] = [];
  const pattern = c.pattern as { Regex?: unknown } | undefined;
  if (pattern && typeof pattern === 'object' && 'Regex' in pattern) found.push({ pattern: pattern.Regex, type: String(c.type) });
  for (const v of Object.values(c)) if (v && typeof v === 'object' && v !== pattern) found.push(...regexPatterns(v, depth + 1));
  return found;
}
