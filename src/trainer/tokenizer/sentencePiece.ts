/**
 * A SentencePiece model file (a protobuf ModelProto), as DeBERTa-v2/v3 (`spm.model`) and XLM-R
 * (`sentencepiece.bpe.model`) repositories ship their tokenizer without a tokenizer.json, turned
 * into the tokenizer.json transformers 5 builds from it. DeBERTa: the pieces and scores as a
 * Unigram model, its own normalizer (not the file's precompiled one: transformers replaces it),
 * Metaspace, [CLS] A [SEP] B [SEP]. XLM-R: fairseq's ids (<s> <pad> </s> <unk>, the pieces from
 * the fourth on, <mask> last), the file's precompiled normalizer, Metaspace, <s> A </s></s> B </s>.
 * The protobuf is read with @bufbuild/protobuf's wire reader: no generated code, only the
 * fields used here.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

export interface SentencePiece {
  piece: string;
  score: number;
  /** 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  type: number;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  /** trainer_spec.unk_id, when the file says. */
  unkId?: number;
  /** normalizer_spec.precompiled_charsmap: the normalization the model was trained with, compiled. */
  precompiledCharsmap?: Uint8Array;
}

function skip(reader: BinaryReader, wireType: WireType): void {
  reader.skip(wireType);
}

/** The pieces and the unknown piece's id of a ModelProto; throws, naming `file`, on bytes that are not one. */
export function parseSentencePieceModel(bytes: Uint8Array, file: string): SentencePieceModel {
  const pieces: SentencePiece[] = [];
  let unkId: number | undefined;
  let precompiledCharsmap: Uint8Array | undefined;
  try {
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) {
        // SentencePiece { string piece = 1; float score = 2; Type type = 3; }
        const sub = new BinaryReader(reader.bytes());
        const p: SentencePiece = { piece: '', score: 0, type: 1 };
        while (sub.pos < sub.len) {
          const [f, w] = sub.tag();
          if (f === 1 && w === WireType.LengthDelimited) p.piece = sub.string();
          else if (f === 2 && w === WireType.Bit32) p.score = sub.float();
          else if (f === 3 && w === WireType.Varint) p.type = sub.int32();
          else skip(sub, w);
        }
        pieces.push(p);
      } else if (field === 2 && wireType === WireType.LengthDelimited) {
        // TrainerSpec: unk_id = 40
        const sub = new BinaryReader(reader.bytes());
        while (sub.pos < sub.len) {
          const [f, w] = sub.tag();
          if (f === 40 && w === WireType.Varint) unkId = sub.int32();
          else skip(sub, w);
        }
      } else if (field === 3 && wireType === WireType.LengthDelimited) {
        // NormalizerSpec: precompiled_charsmap = 2
        const sub = new BinaryReader(reader.bytes());
        while (sub.pos < sub.len) {
          const [f, w] = sub.tag();
          if (f === 2 && w === WireType.LengthDelimited) precompiledCharsmap = sub.bytes();
          else skip(sub, w);
        }
      } else skip(reader, wireType);
    }
  } catch (e) {
    throw new Error(`${file}: not a SentencePiece model (${(e as Error).message}). Download it again, or give the folder a tokenizer.json.`);
  }
  if (!pieces.length) throw new Error(`${file}: a SentencePiece model with no pieces. Download it again, or give the folder a tokenizer.json.`);
  return { pieces, unkId, ...(precompiledCharsmap?.length && { precompiledCharsmap }) };
}

export interface DebertaTokenizerOptions {
  doLowerCase: boolean;
  splitByPunct: boolean;
  addPrefixSpace: boolean;
  special: { cls: string; sep: string; pad: string; unk: string; mask: string };
}

/** The tokenizer.json DebertaV2Tokenizer (transformers 5) makes of an spm.model with these options. */
export function debertaTokenizerJson(model: SentencePieceModel, options: DebertaTokenizerOptions): Record<string, unknown> {
  const vocab: [string, number][] = model.pieces.map(p => [p.piece, p.score]);
  const index = new Map<string, number>();
  vocab.forEach(([piece], i) => index.has(piece) || index.set(piece, i));
  // transformers: the unknown token's place when it is in the vocabulary with score 0, else unk_id.
  const unkAt = vocab.findIndex(([piece, score]) => piece === options.special.unk && score === 0);
  const unkId = unkAt >= 0 ? unkAt : (model.unkId ?? 1);
  const s = options.special;
  const added: { id: number; content: string }[] = [];
  for (const token of [s.pad, s.cls, s.sep, s.unk, s.mask]) {
    if (added.some(a => a.content === token)) continue;
    let id = index.get(token);
    if (id === undefined) id = vocab.length + added.filter(a => a.id >= vocab.length).length;
    added.push({ id, content: token });
  }
  added.sort((a, b) => a.id - b.id);
  const idOf = (token: string) => added.find(a => a.content === token)!.id;
  const prependScheme = options.addPrefixSpace ? 'always' : 'first';
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map(a => ({ ...a, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        ...(options.doLowerCase ? [{ type: 'Lowercase' }] : []),
        { type: 'Replace', pattern: { Regex: '\\s{2,}|[\\n\\r\\t]' }, content: ' ' },
        { type: 'NFC' },
        { type: 'Strip', strip_left: false, strip_right: true },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...(options.splitByPunct ? [{ type: 'Punctuation', behavior: 'Isolated' }] : []),
        { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split: true },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: s.cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: s.sep, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: s.cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: s.sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: s.sep, type_id: 1 } },
      ],
      special_tokens: {
        [s.cls]: { id: s.cls, ids: [idOf(s.cls)], tokens: [s.cls] },
        [s.sep]: { id: s.sep, ids: [idOf(s.sep)], tokens: [s.sep] },
      },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split: true },
    model: { type: 'Unigram', unk_id: unkId, vocab, byte_fallback: false },
  };
}

export interface XlmRobertaTokenizerOptions {
  addPrefixSpace: boolean;
  special: { cls: string; sep: string; pad: string; unk: string; mask: string; bos?: string; eos?: string };
}

/**
 * The tokenizer.json transformers 5's XLMRobertaTokenizer makes of a sentencepiece.bpe.model
 * (SentencePieceExtractor, XLMRobertaConverter.convert_from_spm): fairseq's four first ids, the
 * file's pieces from the fourth on (their ids one up), <mask> last; Unigram with unk id 3; the
 * file's precompiled normalizer; whitespace split, then Metaspace; <s> A </s> </s> B </s>. The
 * file's control and user-defined pieces and the special tokens are added tokens, at the id the
 * vocabulary gives them (its last entry of that piece, as a tokenizers vocabulary maps it).
 */
export function xlmRobertaTokenizerJson(model: SentencePieceModel, options: XlmRobertaTokenizerOptions): Record<string, unknown> {
  const s = options.special;
  const bos = s.bos ?? s.cls;
  const eos = s.eos ?? s.sep;
  const vocab: [string, number][] = [
    [bos, 0],
    [s.pad, 0],
    [eos, 0],
    [s.unk, 0],
    ...model.pieces.slice(3).map((p): [string, number] => [p.piece, p.score]),
    [s.mask, 0],
  ];
  const index = new Map<string, number>();
  vocab.forEach(([piece], i) => index.set(piece, i));
  const added: { id: number; content: string; special: boolean }[] = [];
  const add = (content: string, special: boolean) => {
    if (added.some(a => a.content === content)) return;
    const id = index.get(content) ?? vocab.length + added.filter(a => a.id >= vocab.length).length;
    added.push({ id, content, special });
  };
  for (const p of model.pieces) if (p.type === 3 || p.type === 4) add(p.piece, p.type === 3);
  for (const token of [bos, eos, s.unk, s.sep, s.pad, s.cls, s.mask]) add(token, true);
  added.sort((a, b) => a.id - b.id);
  const prependScheme = options.addPrefixSpace ? 'always' : 'never';
  const special = (token: string) => ({ id: token, ids: [added.find(a => a.content === token)!.id], tokens: [token] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map(a => ({ id: a.id, content: a.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: a.special })),
    normalizer: model.precompiledCharsmap ? { type: 'Precompiled', precompiled_charsmap: Buffer.from(model.precompiledCharsmap).toString('base64') } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split: true }],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: eos, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: eos, type_id: 0 } },
        { SpecialToken: { id: eos, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: eos, type_id: 0 } },
      ],
      special_tokens: { [eos]: special(eos), [bos]: special(bos) },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: prependScheme, split: true },
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
}
