/** CLI commands over a model folder: init-checkpoint, tokenize, logits. */
import { maxTokens } from '../model/parameters';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initCheckpoint, loadCheckpoint } from '../checkpoint/hfCheckpoint';
import { supportedModelTypes } from '../../shared/families';
import { familyTitle, parseModelConfig } from '../model/config';
import { loadTokenizer } from '../tokenizer/loadTokenizer';
import { BACKENDS, selectBackend, type BackendName } from '../backend';
import { resolveModel } from '../hub/resolveModel';
import { intOption, parseOptions, readTextLines, requireOption, UsageError } from './args';
import { TRAIN_LIMITS } from '../../shared/trainerProtocol';

/** --model: a folder, or a Hub id (owner/name[@revision]) downloaded into the Hugging Face cache. */
async function modelDir(ref: string): Promise<string> {
  const resolved = await resolveModel(ref);
  resolved.notices.forEach(n => process.stderr.write(`note: ${n}\n`));
  return resolved.dir;
}

export const INIT_USAGE = `usage: bert-tune init-checkpoint --layers N --hidden N --heads N --intermediate N
                       --vocab FILE --labels a,b,c --out DIR [--seed N] [--max-position N]
       bert-tune init-checkpoint --config FILE --tokenizer DIR --labels a,b,c --out DIR [--seed N]

Writes a random-initialised classifier in the Hugging Face layout (config.json,
model.safetensors, tokenizer files), initialised as transformers initialises it: Linear and
embedding weights ~ normal(0, initializer_range), biases 0, LayerNorm 1/0, padding rows 0.
Same seed, same weights. The first form is a BERT of that shape with a WordPiece vocab.txt;
the second takes the architecture from a config.json of any family (${supportedModelTypes()})
and copies the tokenizer files of a model folder.`;

export async function initCheckpointCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    {
      layers: { type: 'string' },
      hidden: { type: 'string' },
      heads: { type: 'string' },
      intermediate: { type: 'string' },
      vocab: { type: 'string' },
      config: { type: 'string' },
      tokenizer: { type: 'string' },
      labels: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      'max-position': { type: 'string' },
      help: { type: 'boolean' },
    },
    INIT_USAGE,
  );
  if (o.help) return help(INIT_USAGE);
  const labels = requireOption(o.labels, 'labels', INIT_USAGE)
    .split(',')
    .map(l => l.trim());
  if (labels.length < 2 || labels.some(l => !l) || new Set(labels).size !== labels.length) {
    throw new UsageError('--labels takes at least two distinct, non-empty names separated by commas');
  }
  const out = requireOption(o.out, 'out', INIT_USAGE);
  const id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  let config;
  let tokenizer: string;
  if (o.config !== undefined) {
    tokenizer = requireOption(o.tokenizer, 'tokenizer', INIT_USAGE);
    if (!fs.existsSync(o.config)) throw new UsageError(`--config: ${o.config} does not exist`);
    if (!fs.existsSync(tokenizer) || !fs.statSync(tokenizer).isDirectory()) throw new UsageError(`--tokenizer: ${tokenizer} is not a folder`);
    const raw = readConfigFile(o.config);
    delete raw.label2id;
    delete raw.num_labels;
    config = parseModelConfig({ ...raw, id2label }, o.config);
  } else {
    tokenizer = requireOption(o.vocab, 'vocab', INIT_USAGE);
    config = parseModelConfig(
      {
        model_type: 'bert',
        num_hidden_layers: intOption(o.layers, 'layers'),
        hidden_size: intOption(o.hidden, 'hidden'),
        num_attention_heads: intOption(o.heads, 'heads'),
        intermediate_size: intOption(o.intermediate, 'intermediate'),
        max_position_embeddings: intOption(o['max-position'], 'max-position', 512),
        vocab_size: countLines(tokenizer),
        id2label,
      },
      'the options',
    );
  }
  await initCheckpoint(config, tokenizer, out, intOption(o.seed, 'seed', 42));
  process.stderr.write(`wrote ${out}: ${familyTitle(config)}, ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}, ${labels.length} labels\n`);
  return 0;
}

function readConfigFile(file: string): Record<string, unknown> {
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--config: ${file} is not valid JSON (${(e as Error).message})`);
  }
  throw new UsageError(`--config: ${file} is not a JSON object`);
}

function countLines(file: string): number {
  if (!fs.existsSync(file)) throw new UsageError(`--vocab: ${file} does not exist`);
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
}

export const TOKENIZE_USAGE = `usage: bert-tune tokenize --model DIR|HUB_ID [--max-length N] < lines.jsonl

Reads {"text": ..., "text_pair"?: ...} per line on stdin and prints
{"input_ids": [...], "token_type_ids": [...], "attention_mask": [...]} per line, exactly as
Hugging Face's BertTokenizer (truncation=True, max_length=N; default 512).`;

export async function tokenizeCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    {
      model: { type: 'string' },
      'max-length': { type: 'string' },
      /* the old spelling, still read */ 'max-len': { type: 'string' },
      help: { type: 'boolean' },
    },
    TOKENIZE_USAGE,
  );
  if (o.help) return help(TOKENIZE_USAGE);
  const tokenizer = loadTokenizer(await modelDir(requireOption(o.model, 'model', TOKENIZE_USAGE)));
  const maxLen = intOption(o['max-length'] ?? o['max-len'], 'max-length', Math.min(512, tokenizer.modelMaxLength), { min: 8, max: TRAIN_LIMITS.maxLength });
  for await (const line of readTextLines()) {
    const e = tokenizer.encode(line.text, line.text_pair, maxLen);
    process.stdout.write(JSON.stringify({ input_ids: e.inputIds, token_type_ids: e.tokenTypeIds, attention_mask: e.attentionMask }) + '\n');
  }
  return 0;
}

export const LOGITS_USAGE = `usage: bert-tune logits --model DIR|HUB_ID [--max-length N] [--backend ${BACKENDS.join('|')}] < lines.jsonl

Reads {"text": ..., "text_pair"?: ...} per line on stdin and prints {"logits": [...]} per line:
the model in evaluation mode (no dropout), one example at a time, no padding.
A Hub id (owner/name[@revision]) is downloaded into the Hugging Face cache first
(HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME and HF_HUB_CACHE are honoured).`;

export async function logitsCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    {
      model: { type: 'string' },
      'max-length': { type: 'string' },
      /* the old spelling, still read */ 'max-len': { type: 'string' },
      backend: { type: 'string' },
      help: { type: 'boolean' },
    },
    LOGITS_USAGE,
  );
  if (o.help) return help(LOGITS_USAGE);
  if (o.backend !== undefined && !BACKENDS.includes(o.backend as BackendName)) throw new UsageError(`--backend takes one of ${BACKENDS.join(', ')}`);
  await selectBackend({ prefer: o.backend as BackendName | undefined });
  const { model, tokenizer, notices } = loadCheckpoint(await modelDir(requireOption(o.model, 'model', LOGITS_USAGE)));
  notices.forEach(n => process.stderr.write(`note: ${n}\n`));
  const maxLen = intOption(o['max-length'] ?? o['max-len'], 'max-length', Math.min(512, tokenizer.modelMaxLength, maxTokens(model.config)), {
    min: 8,
    max: TRAIN_LIMITS.maxLength,
  });
  try {
    for await (const line of readTextLines()) {
      const e = tokenizer.encode(line.text, line.text_pair, maxLen);
      const logits = tf.tidy(
        () =>
          model.forward(
            {
              inputIds: tf.tensor2d([e.inputIds], undefined, 'int32'),
              tokenTypeIds: tf.tensor2d([e.tokenTypeIds], undefined, 'int32'),
              attentionMask: tf.tensor2d([e.attentionMask], undefined, 'int32'),
            },
            { training: false },
          ).logits,
      );
      const values = Array.from(await logits.data());
      logits.dispose();
      process.stdout.write(JSON.stringify({ logits: values }) + '\n');
    }
  } finally {
    model.dispose();
  }
  return 0;
}

function help(text: string): number {
  process.stdout.write(text + '\n');
  return 0;
}
