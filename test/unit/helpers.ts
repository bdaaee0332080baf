import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TextTokenizer } from '../../src/trainer/tokenizer/bertTokenizer';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'workspace');
export const fixture = (...p: string[]): string => path.join(FIXTURES, ...p);

const made = new Set<string>();
process.on('exit', () => made.forEach(dir => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix = 'bert-tune-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Writes `content` to a new file in a temporary folder and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, content);
  return file;
}

/** The uncased BERT vocabulary every tiny test model uses. */
export const BERT_VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

/** A random BERT classifier small enough for any test (1 layer, hidden 16, 64 positions) in `dir`, with these labels. */
export async function tinyCheckpoint(dir: string, id2label: Record<number, string> = { 0: 'a', 1: 'b' }, seed = 1): Promise<string> {
  const { initCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
  const { parseModelConfig } = await import('../../src/trainer/model/config');
  const config = parseModelConfig({
    model_type: 'bert',
    vocab_size: 30522,
    num_hidden_layers: 1,
    hidden_size: 16,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 64,
    id2label,
  });
  await initCheckpoint(config, BERT_VOCAB, dir, seed);
  return dir;
}

const FAMILY_FIXTURES = path.join(__dirname, '..', 'fixtures', 'families');

/** The 2,780 texts and pairs of the family tests (test/fixtures/families/texts.jsonl). */
export function familyTexts(): { text: string; pair?: string }[] {
  return fs
    .readFileSync(path.join(FAMILY_FIXTURES, 'texts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l) as { text: string; pair?: string });
}

/** The texts on which two tokenizers give other ids (their first 40 characters), truncated at 64. */
export function textsWithOtherIds(a: TextTokenizer, b: TextTokenizer): string[] {
  return familyTexts()
    .filter(t => a.encode(t.text, t.pair, 64).inputIds.join() !== b.encode(t.text, t.pair, 64).inputIds.join())
    .map(t => t.text.slice(0, 40));
}

/**
 * A tiny random model of each family beside BERT, as config.json keys (model_type included) and
 * the tokenizer it is built with (a BERT vocab.txt, or a fixture folder): for the tests that take
 * every family through a flow (families.test.ts, webgpu.test.ts).
 */
export const TINY_FAMILIES: { name: string; architecture: string; config: Record<string, unknown>; tokenizer: string }[] = [
  {
    name: 'distilbert',
    architecture: 'DistilBertForSequenceClassification',
    config: { model_type: 'distilbert', vocab_size: 30522, dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 32, max_position_embeddings: 64 },
    tokenizer: BERT_VOCAB,
  },
  {
    name: 'electra',
    architecture: 'ElectraForSequenceClassification',
    config: {
      model_type: 'electra',
      vocab_size: 30522,
      embedding_size: 8,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 64,
    },
    tokenizer: BERT_VOCAB,
  },
  {
    name: 'roberta',
    architecture: 'RobertaForSequenceClassification',
    config: JSON.parse(fs.readFileSync(path.join(FAMILY_FIXTURES, 'tiny-roberta', 'config.json'), 'utf8')),
    tokenizer: path.join(FAMILY_FIXTURES, 'tiny-roberta'),
  },
  {
    name: 'xlm-roberta',
    architecture: 'XLMRobertaForSequenceClassification',
    config: {
      model_type: 'xlm-roberta',
      vocab_size: 3002,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 66,
      type_vocab_size: 1,
      pad_token_id: 1,
      layer_norm_eps: 1e-5,
    },
    tokenizer: path.join(FAMILY_FIXTURES, 'xlmr-tokenizer'),
  },
  {
    name: 'deberta-v2',
    architecture: 'DebertaV2ForSequenceClassification',
    config: {
      model_type: 'deberta-v2',
      vocab_size: 3001,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 128,
      relative_attention: true,
      pos_att_type: ['p2c', 'c2p'],
      position_buckets: 8,
      share_att_key: true,
      norm_rel_ebd: 'layer_norm',
      position_biased_input: false,
      type_vocab_size: 0,
    },
    tokenizer: path.join(FAMILY_FIXTURES, 'deberta-v3-tokenizer'),
  },
  {
    name: 'modernbert',
    architecture: 'ModernBertForSequenceClassification',
    config: {
      model_type: 'modernbert',
      vocab_size: 1200,
      hidden_size: 16,
      num_hidden_layers: 3,
      num_attention_heads: 2,
      intermediate_size: 24,
      max_position_embeddings: 128,
      local_attention: 8,
      global_attn_every_n_layers: 2,
      classifier_pooling: 'mean',
      pad_token_id: 3,
    },
    tokenizer: path.join(FAMILY_FIXTURES, 'modernbert-tokenizer'),
  },
];
