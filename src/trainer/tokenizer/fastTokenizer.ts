/**
 * A model's tokenizer.json, run by @huggingface/tokenizers (the JavaScript port of Hugging Face's
 * fast tokenizers): normalisation, pre-tokenisation and WordPiece as that file defines them.
 * Truncation and the [CLS]/[SEP] template are ours (assembleBertInput), identical to the slow path.
 */
import { Tokenizer } from '@huggingface/tokenizers';
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
    const model = tokenizerJson.model as { type?: unknown } | undefined;
    if (model?.type !== 'WordPiece') {
      throw new Error(`${file}: its model is ${JSON.stringify(model?.type)}, not WordPiece; BERT Tune runs BERT tokenizers only`);
    }
    this.tokenizer = new Tokenizer(tokenizerJson, config);
    const preTokenizer = tokenizerJson.pre_tokenizer as { type?: unknown } | null | undefined;
    this.wordsWhole = preTokenizer?.type === 'BertPreTokenizer';
    // a loop, not Math.max(...ids): a 250,000-token vocabulary would overflow the call stack
    let maxId = -1;
    const vocab = (model as { vocab?: unknown }).vocab;
    const added = Array.isArray(tokenizerJson.added_tokens) ? (tokenizerJson.added_tokens as { id?: unknown }[]) : [];
    const ids = [...(vocab && typeof vocab === 'object' ? Object.values(vocab as Record<string, unknown>) : []), ...added.map(t => t.id)];
    for (const v of ids) if (typeof v === 'number' && v > maxId) maxId = v;
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
