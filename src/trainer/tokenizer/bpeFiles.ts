/**
 * A RoBERTa folder with vocab.json and merges.txt but no tokenizer.json (as older fine-tunes on
 * the Hub ship it), turned into the tokenizer.json transformers 5's RobertaTokenizer builds from
 * them: byte-level BPE, ByteLevel pre-tokenizer (add_prefix_space from tokenizer_config.json),
 * RobertaProcessing, the special tokens as added tokens.
 */

export interface RobertaFilesOptions {
  addPrefixSpace: boolean;
  trimOffsets: boolean;
  special: { cls: string; sep: string; pad: string; unk: string; mask: string };
}

/** merges.txt: one "a b" pair a line, after an optional "#version" line. */
export function parseMerges(text: string, file: string): [string, string][] {
  const out: [string, string][] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new Error(`${file}, line ${i + 1}: a merge is two tokens separated by one space, not ${JSON.stringify(line.slice(0, 60))}`);
    out.push([parts[0], parts[1]]);
  });
  return out;
}

/** vocab.json: token → id. */
export function parseBpeVocab(json: unknown, file: string): Record<string, number> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file}: not a JSON object of token → id`);
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isInteger(id) || (id as number) < 0)
      throw new Error(`${file}: the token ${JSON.stringify(token)} has the id ${JSON.stringify(id)}, not a whole number`);
  }
  return json as Record<string, number>;
}

export function robertaTokenizerJson(
  vocab: Record<string, number>,
  merges: [string, string][],
  options: RobertaFilesOptions,
  file: string,
): Record<string, unknown> {
  const s = options.special;
  const idOf = (token: string) => {
    const id = vocab[token];
    if (id === undefined) throw new Error(`${file}: the vocabulary has no "${token}" token`);
    return id;
  };
  const added = [...new Set([s.cls, s.pad, s.sep, s.unk, s.mask])]
    .filter(token => vocab[token] !== undefined)
    .map(token => ({ id: vocab[token], content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => a.id - b.id);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: options.addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [s.sep, idOf(s.sep)],
      cls: [s.cls, idOf(s.cls)],
      trim_offsets: options.trimOffsets,
      add_prefix_space: options.addPrefixSpace,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
