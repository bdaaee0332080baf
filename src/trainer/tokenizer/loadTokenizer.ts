/**
 * Builds the tokenizer a model folder describes: its tokenizer.json where it has one (as
 * transformers' AutoTokenizer picks the fast tokenizer), else vocab.txt with tokenizer_config.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BertTokenizer, DEFAULT_SPECIAL_TOKENS, parseVocab, type SpecialTokens, type TextTokenizer } from './bertTokenizer';
import { FastTokenizer } from './fastTokenizer';
import { debertaTokenizerJson, parseSentencePieceModel, xlmRobertaTokenizerJson } from './sentencePiece';
import { parseBpeVocab, parseMerges, robertaTokenizerJson } from './bpeFiles';

/**
 * Files a tokenizer may come with, of every family; saving a model copies those present, so a
 * folder written here keeps what transformers reads (and the SentencePiece or BPE files besides).
 */
export const TOKENIZER_FILES = [
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'spm.model',
  'sentencepiece.bpe.model',
] as const;

function readJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  throw new Error(`${file}: not a JSON object`);
}

/** Whether a folder holds this family's model: config.json's model_type, else the tokenizer class its tokenizer_config.json names. */
function folderOf(dir: string, modelType: string, tokenizerClass: RegExp): boolean {
  if (readJson(path.join(dir, 'config.json'))?.model_type === modelType) return true;
  return tokenizerClass.test(String(readJson(path.join(dir, 'tokenizer_config.json'))?.tokenizer_class ?? ''));
}

/**
 * What tokenizer_config.json and special_tokens_map.json say of a folder's tokenizer: its options,
 * its special tokens (these defaults where neither names one) and the longest input it takes.
 */
function tokenizerSettings(dir: string, defaults: SpecialTokens): { config: Record<string, unknown>; special: SpecialTokens; maxLength: number } {
  const config = readJson(path.join(dir, 'tokenizer_config.json')) ?? {};
  const map = readJson(path.join(dir, 'special_tokens_map.json')) ?? {};
  const special = { ...defaults };
  for (const k of Object.keys(special) as (keyof SpecialTokens)[]) {
    special[k] = tokenString(map[`${k}_token`]) ?? tokenString(config[`${k}_token`]) ?? special[k];
  }
  const maxLength = typeof config.model_max_length === 'number' && config.model_max_length < 1e9 ? config.model_max_length : 512;
  return { config, special, maxLength };
}

/** RoBERTa with vocab.json + merges.txt and no tokenizer.json: the tokenizer.json transformers 5 builds from them. */
function robertaFromBpeFiles(dir: string): TextTokenizer {
  const { config, special, maxLength } = tokenizerSettings(dir, { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' });
  const vocabFile = path.join(dir, 'vocab.json');
  const mergesFile = path.join(dir, 'merges.txt');
  const json = robertaTokenizerJson(
    parseBpeVocab(readJson(vocabFile), vocabFile),
    parseMerges(fs.readFileSync(mergesFile, 'utf8'), mergesFile),
    { addPrefixSpace: config.add_prefix_space === true, trimOffsets: config.trim_offsets !== false, special },
    vocabFile,
  );
  return new FastTokenizer(json, config, maxLength, special, vocabFile);
}

/**
 * DeBERTa-v2/v3 as its Hub repository ships it (spm.model, no tokenizer.json): the tokenizer.json
 * transformers 5 builds from it, with tokenizer_config.json's options.
 */
function debertaFromSentencePiece(dir: string, spmFile: string): TextTokenizer {
  const { config, special, maxLength } = tokenizerSettings(dir, DEFAULT_SPECIAL_TOKENS);
  const json = debertaTokenizerJson(parseSentencePieceModel(fs.readFileSync(spmFile), spmFile), {
    doLowerCase: config.do_lower_case === true,
    splitByPunct: config.split_by_punct === true,
    addPrefixSpace: config.add_prefix_space !== false,
    special,
  });
  return new FastTokenizer(json, config, maxLength, special, spmFile);
}

/**
 * XLM-R as its older Hub repositories ship it (sentencepiece.bpe.model, no tokenizer.json): the
 * tokenizer.json transformers 5 builds from it, with tokenizer_config.json's options.
 */
function xlmRobertaFromSentencePiece(dir: string, spmFile: string): TextTokenizer {
  const { config, special, maxLength } = tokenizerSettings(dir, { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' });
  const bos = tokenString(config.bos_token);
  const eos = tokenString(config.eos_token);
  const json = xlmRobertaTokenizerJson(parseSentencePieceModel(fs.readFileSync(spmFile), spmFile), {
    addPrefixSpace: config.add_prefix_space !== false,
    special: { ...special, ...(bos && { bos }), ...(eos && { eos }) },
  });
  return new FastTokenizer(json, config, maxLength, special, spmFile);
}

/** A special token is written as a string, or as an AddedToken object {"content": ...}. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export function loadTokenizer(dir: string, options: { preferVocab?: boolean } = {}): TextTokenizer {
  const tokenizerJson = path.join(dir, 'tokenizer.json');
  const vocabFile = path.join(dir, 'vocab.txt');
  const hasJson = fs.existsSync(tokenizerJson);
  const spmFile = path.join(dir, 'spm.model');
  const noTokenizerJson = !fs.existsSync(vocabFile) && !hasJson;
  if (noTokenizerJson && fs.existsSync(spmFile) && folderOf(dir, 'deberta-v2', /^DebertaV2Tokenizer$/)) return debertaFromSentencePiece(dir, spmFile);
  const xlmrFile = path.join(dir, 'sentencepiece.bpe.model');
  if (noTokenizerJson && fs.existsSync(xlmrFile) && folderOf(dir, 'xlm-roberta', /^XLMRobertaTokenizer(Fast)?$/))
    return xlmRobertaFromSentencePiece(dir, xlmrFile);
  if (
    noTokenizerJson &&
    fs.existsSync(path.join(dir, 'vocab.json')) &&
    fs.existsSync(path.join(dir, 'merges.txt')) &&
    folderOf(dir, 'roberta', /^Roberta(Tokenizer|TokenizerFast)$/)
  )
    return robertaFromBpeFiles(dir);
  if (noTokenizerJson) {
    throw new Error(
      `${dir}: no tokenizer.json or vocab.txt. BERT Tune reads a model's tokenizer from its tokenizer.json, a BERT vocab.txt, a RoBERTa vocab.json + merges.txt, DeBERTa's spm.model or XLM-R's sentencepiece.bpe.model; this folder can be given a tokenizer.json in Python: AutoTokenizer.from_pretrained(folder).save_pretrained(folder).`,
    );
  }
  const { config, special, maxLength } = tokenizerSettings(dir, DEFAULT_SPECIAL_TOKENS);
  const bool = (key: string, fallback: boolean | undefined) => (typeof config[key] === 'boolean' ? (config[key] as boolean) : fallback);
  if (hasJson && !(options.preferVocab && fs.existsSync(vocabFile))) {
    return new FastTokenizer(readJson(tokenizerJson)!, config, maxLength, special, tokenizerJson);
  }
  return new BertTokenizer(parseVocab(fs.readFileSync(vocabFile, 'utf8')), {
    lowerCase: bool('do_lower_case', true)!,
    stripAccents: bool('strip_accents', undefined),
    tokenizeChineseChars: bool('tokenize_chinese_chars', true)!,
    special,
    modelMaxLength: maxLength,
  });
}
