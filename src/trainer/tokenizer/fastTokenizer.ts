/**
 * A model's tokenizer.json, run by @huggingface/tokenizers (the JavaScript port of Hugging Face's
 * fast tokenizers): normalisation, pre-tokenisation and WordPiece as that file defines them.
 * Truncation and the [CLS]/[SEP] template are ours (assembleBertInput), identical to the slow path.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import safeRegex from 'safe-regex';
import { assembleBertInput, boundedIds, type Encoding, type TextTokenizer } from './bertTokenizer';

export class FastBertTokenizer implements TextTokenizer {
  readonly source = 'tokenizer.json';
  readonly padId: number;
  readonly maxId: number;
  /** Whether its pre-tokenisation is BERT's, which never splits a run of letters, digits and marks (boundedIds may then shorten long words). */
  private readonly wordsWhole: boolean;
  private readonly tokenizer: Tokenizer;
  private readonly cls: number;
  private readonly sep: number;

  constructor(
    tokenizerJson: Record<string, unknown>,
    config: Record<string, unknown>,
    readonly modelMaxLength: number,
    special: { cls: string; sep: string; pad: string },
    file = 'tokenizer.json',
  ) {
    const model = (tokenizerJson as { model?: { type?: unknown } } | null)?.model;
    if (model?.type !== 'WordPiece') {
      throw new Error(`${file}: its model is ${JSON.stringify(model?.type)}, not WordPiece; BERT Tune runs BERT tokenizers only`);
    }
    tokenizerJson = checkedTokenizerJson(tokenizerJson, file);
    // Whatever else the library trips over ("type is not iterable") is told with the file's name.
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, config);
      this.tokenizer.encode('probe', { add_special_tokens: false });
    } catch (e) {
      throw new Error(
        `${file} cannot be used as a tokenizer (${(e as Error).message}). Save the tokenizer again (tokenizer.save_pretrained), or remove tokenizer.json to use vocab.txt.`,
      );
    }
    const preTokenizer = tokenizerJson.pre_tokenizer as { type?: unknown } | null | undefined;
    this.wordsWhole = preTokenizer?.type === 'BertPreTokenizer';
    // checkedTokenizerJson made them whole numbers; a loop, not Math.max(...ids), which a
    // 250,000-token vocabulary would overflow
    let maxId = -1;
    for (const id of Object.values((model as { vocab: Record<string, number> }).vocab)) maxId = Math.max(maxId, id);
    for (const { id } of tokenizerJson.added_tokens as { id: number }[]) maxId = Math.max(maxId, id);
    this.maxId = maxId;
    const id = (token: string) => {
      const v = this.tokenizer.token_to_id(token);
      if (v === undefined) throw new Error(`${file}: the vocabulary has no "${token}" token`);
      return v;
    };
    this.cls = id(special.cls);
    this.sep = id(special.sep);
    this.padId = id(special.pad);
  }

  encode(text: string, textPair?: string, maxLength = Math.min(512, this.modelMaxLength)): Encoding {
    const ids = (t: string) =>
      boundedIds(t, maxLength, part => this.tokenizer.encode(part, { add_special_tokens: false }).ids, { shortenLongWords: this.wordsWhole });
    return assembleBertInput(ids(text), textPair === undefined ? undefined : ids(textPair), maxLength, this.cls, this.sep);
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
  const model = out.model as { vocab?: unknown } | undefined;
  if (!model || typeof model !== 'object' || Array.isArray(model)) throw bad('it has no "model" object');
  const vocab = model.vocab;
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
