/**
 * A SentencePiece model file (`spm.model`, a protobuf ModelProto), as DeBERTa-v2/v3 repositories
 * ship their tokenizer without a tokenizer.json, turned into the tokenizer.json transformers 5's
 * DebertaV2Tokenizer builds from it: the pieces and scores as a Unigram model, its own normalizer
 * (not the file's precompiled one: transformers replaces it), Metaspace, [CLS] A [SEP] B [SEP].
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
}

function skip(reader: BinaryReader, wireType: WireType): void {
  reader.skip(wireType);
}

/** The pieces and the unknown piece's id of a ModelProto; throws, naming `file`, on bytes that are not one. */
export function parseSentencePieceModel(bytes: Uint8Array, file: string): SentencePieceModel {
  const pieces: SentencePiece[] = [];
  let unkId: number | undefined;
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
      } else skip(reader, wireType);
    }
  } catch (e) {
    throw new Error(`${file}: not a SentencePiece model (${(e as Error).message}). Download it again, or give the folder a tokenizer.json.`);
  }
  if (!pieces.length) throw new Error(`${file}: a SentencePiece model with no pieces. Download it again, or give the folder a tokenizer.json.`);
  return { pieces, unkId };
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
