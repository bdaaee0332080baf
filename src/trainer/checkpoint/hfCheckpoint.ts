/**
 * Loads and saves classifiers of every family in the Hugging Face layout, so that a folder
 * written here loads in Python with `AutoModelForSequenceClassification.from_pretrained(folder)`
 * and the other way round.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Classifier, type TorchTensor } from '../model/classifier';
import { configJson, familyTitle, parseModelConfig, withDropout, type ModelConfig } from '../model/config';
import { familyNamed } from '../model/families/index';
import { isHead } from '../model/family';
import { maxTokens, parameterSpecs } from '../model/parameters';
import { loadTokenizer, TOKENIZER_FILES } from '../tokenizer/loadTokenizer';
import type { TextTokenizer } from '../tokenizer/bertTokenizer';
import { Random } from '../util/random';
import { initParameter } from './initWeights';
import { serializeSafetensors, writeSafetensors, type TensorSource } from './safetensors';
import { readWeights } from './weightsFiles';
import { writeFolderAtomically, type FileContent } from './atomicFolder';
import { firstNonFinite } from '../util/finite';
import { TASKS, thresholdsFileSchema, type TaskName } from '../../shared/tasks';
import { CHECKPOINT_FILES } from '../../shared/runFolder';

export interface LoadOptions {
  /** Labels of the task to train: a classifier for other labels is replaced by a fresh one. */
  labels?: string[];
  /** The task to train: config.json's problem_type becomes it, and a classifier trained for another task is replaced by a fresh one. */
  task?: TaskName;
  /** Seed for parameters initialised fresh. */
  seed?: number;
  /** One dropout rate for hidden states, attention and the classifier (e.g. 0 for exact runs). */
  dropout?: number;
}

export interface LoadedModel {
  config: ModelConfig;
  model: Classifier;
  tokenizer: TextTokenizer;
  /** What was adapted on the way, for the log: fresh classifier, unused weights, renamed keys. */
  notices: string[];
  dir: string;
  /** Multi-label: the decision threshold per label from the checkpoint's thresholds.json (absent: 0.5 each). */
  thresholds?: number[];
}

/** A multi-label checkpoint's tuned thresholds, when its thresholds.json is for these labels; else none (0.5), and a notice says why. */
export function readThresholds(dir: string, labels: readonly string[], notices: string[]): number[] | undefined {
  const file = path.join(dir, CHECKPOINT_FILES.thresholds);
  if (!fs.existsSync(file)) return undefined;
  let parsed;
  try {
    parsed = thresholdsFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    notices.push(`${file}: not valid JSON (${(e as Error).message}); deciding each label at 0.5.`);
    return undefined;
  }
  if (!parsed.success) {
    notices.push(`${file}: not a thresholds file of this version (${parsed.error.issues[0]?.message}); deciding each label at 0.5.`);
    return undefined;
  }
  const t = parsed.data;
  if (t.labels.length !== labels.length || t.labels.some((l, i) => l !== labels[i]) || t.thresholds.length !== labels.length) {
    notices.push(`${file}: its labels are not config.json's (${labels.join(', ')}); deciding each label at 0.5.`);
    return undefined;
  }
  notices.push(
    `Decision thresholds per label from ${CHECKPOINT_FILES.thresholds}, tuned on ${t.rows ?? 'the'} validation rows${t.step !== undefined ? ` at step ${t.step}` : ''}.`,
  );
  return t.thresholds;
}

export function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new Error(`${dir}: no config.json; this does not look like a Hugging Face model folder`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseModelConfig(raw, file);
}

export function loadCheckpoint(dir: string, options: LoadOptions = {}): LoadedModel {
  const notices: string[] = [];
  let config = readConfig(dir);
  if (options.dropout !== undefined) {
    if (!(options.dropout >= 0 && options.dropout < 1)) throw new Error(`dropout must be in [0, 1), not ${options.dropout}`);
    config = withDropout(config, options.dropout);
  }
  const tokenizer = loadTokenizer(dir);
  // Checked now, not when a rare word first reaches an id the embedding table has no row for.
  if (tokenizer.maxId >= config.vocabSize)
    throw new Error(
      `${dir}: the tokenizer (${tokenizer.source}) has ids up to ${tokenizer.maxId}, but config.json's vocab_size is ${config.vocabSize}: the embedding table has no row for ids from ${config.vocabSize}. The tokenizer is not this model's; use the tokenizer files it was trained with.`,
    );
  const family = familyNamed(config.family);
  const { tensors: stored, source } = readWeights(dir);
  const tensors = new Map<string, TorchTensor>();
  const unused: string[] = [];
  for (const [name, t] of stored) {
    const canonical = family.canonicalName(name);
    if (canonical.endsWith('position_ids')) continue; // a buffer, rebuilt as 0..n-1
    tensors.set(canonical, t);
  }

  const labels = options.labels;
  const relabel = labels !== undefined && (labels.length !== config.id2label.length || labels.some((l, i) => l !== config.id2label[i]));
  const retask = options.task !== undefined && config.problemType !== null && config.problemType !== options.task;
  if ((labels && relabel) || retask) {
    notices.push(
      retask
        ? `The classifier is new: the checkpoint's was trained for ${TASKS[config.problemType!].title}, this run is ${TASKS[options.task!].title}.`
        : `The classifier is new: the checkpoint's labels (${config.id2label.join(', ')}) are not this task's (${labels!.join(', ')}).`,
    );
    config = { ...config, id2label: [...(labels ?? config.id2label)] };
    tensors.delete(`${family.parts.outputLayer}.weight`);
    tensors.delete(`${family.parts.outputLayer}.bias`);
  }
  if (options.task) config = { ...config, problemType: options.task };

  const random = new Random(options.seed ?? 42);
  const specs = parameterSpecs(config);
  const wanted = new Set(specs.map(s => s.name));
  const fresh: string[] = [];
  const missingEncoder: string[] = [];
  const weights = new Map<string, TorchTensor>();
  // First what is there and what is missing, then (only if nothing of the encoder is) the fresh
  // head: a config.json that declares a huge model over a tiny weights file is refused before
  // gigabytes are allocated for it.
  for (const spec of specs) {
    let t = tensors.get(spec.name);
    const head = isHead(family, spec.name);
    if (t && t.shape.join() !== spec.shape.join()) {
      if (!spec.name.startsWith(`${family.parts.outputLayer}.`)) {
        throw new Error(`${path.join(dir, source)}: ${spec.name} has shape [${t.shape}], but config.json implies [${spec.shape}]`);
      }
      notices.push(`The classifier is new: the checkpoint's has shape [${t.shape}], this task needs [${spec.shape}].`);
      t = undefined;
    }
    if (t) weights.set(spec.name, t);
    else if (head) fresh.push(spec.name);
    else missingEncoder.push(spec.name);
  }
  if (missingEncoder.length) {
    throw new Error(
      `${path.join(dir, source)}: ${missingEncoder.length} ${familyTitle(config)} weights are missing (${missingEncoder.slice(0, 3).join(', ')}${missingEncoder.length > 3 ? ', …' : ''}); is this a ${familyTitle(config)} checkpoint, and does its config.json describe these weights?`,
    );
  }
  // A NaN or an infinity in a weight makes every output NaN: refused here, naming it, not
  // discovered as "confidence: null" in every prediction or a loss of NaN at step 1.
  for (const [name, t] of weights) {
    const at = firstNonFinite(t.data);
    if (at >= 0)
      throw new Error(
        `${path.join(dir, source)}: the weight ${name} holds ${t.data[at]} (at index ${at} of [${t.shape}]), so every prediction would be NaN. The model is damaged (a training run that diverged, or a broken conversion): use another checkpoint, e.g. the run's checkpoints/best.`,
      );
  }
  for (const spec of specs) if (!weights.has(spec.name)) weights.set(spec.name, initParameter(spec, config, random));
  if (fresh.length) notices.push(`Initialised fresh (normal(0, ${config.initializerRange})): ${fresh.join(', ')}.`);
  for (const name of tensors.keys()) if (!wanted.has(name)) unused.push(name);
  if (unused.length)
    notices.push(
      `Not used: ${unused.length} weights of the checkpoint (${unused.slice(0, 3).join(', ')}${unused.length > 3 ? ', …' : ''}), e.g. a pre-training head.`,
    );
  if (source.startsWith('pytorch_model')) notices.push(`Read ${source} with the restricted tensor reader (no general unpickler).`);
  const thresholds = taskOf(config) === 'multi_label_classification' ? readThresholds(dir, config.id2label, notices) : undefined;
  return { config, model: Classifier.fromTorch(config, weights), tokenizer, notices, dir, thresholds };
}

/**
 * Writes config.json, model.safetensors and the tokenizer files of `tokenizerDir` into `outDir`,
 * atomically: a reader sees the old folder or the new one, never a half-written one.
 */
/** What a checkpoint is written from: a Classifier, or a trainer's own copy of the weights. */
export interface SavableModel {
  config: ModelConfig;
  torchSources(): TensorSource[];
}

/**
 * Writes a model folder: config.json, model.safetensors (streamed, one tensor in memory at a
 * time), the tokenizer's files from `tokenizerDir`, and `extraFiles`, all at once.
 */
export async function saveCheckpoint(model: SavableModel, tokenizerDir: string, outDir: string, extraFiles: Record<string, FileContent> = {}): Promise<void> {
  const files: Record<string, FileContent> = {
    'config.json': configJson(model.config),
    'model.safetensors': file => writeSafetensors(file, model.torchSources()),
  };
  for (const f of TOKENIZER_FILES) {
    const from = path.join(tokenizerDir, f);
    if (fs.existsSync(from)) files[f] = fs.readFileSync(from);
  }
  await writeFolderAtomically(outDir, { ...files, ...extraFiles });
}

/**
 * A random-initialised checkpoint of any family in the Hugging Face layout, initialised as
 * transformers initialises it, for tests, benchmarks and training from scratch. `tokenizer` is a
 * BERT vocab.txt (written with BERT's tokenizer files), or a folder whose tokenizer files
 * (tokenizer.json, …) are copied.
 */
export async function initCheckpoint(config: ModelConfig, tokenizer: string, outDir: string, seed: number): Promise<void> {
  const random = new Random(seed);
  const tensors = parameterSpecs(config).map(spec => ({ name: spec.name, ...initParameter(spec, config, random) }));
  const files: Record<string, FileContent> = {
    'config.json': configJson(config),
    'model.safetensors': serializeSafetensors(tensors),
  };
  if (fs.statSync(tokenizer).isDirectory()) {
    const { maxId, source } = loadTokenizer(tokenizer);
    if (maxId >= config.vocabSize) throw new Error(`${path.join(tokenizer, source)} has ids up to ${maxId}, the config says vocab_size ${config.vocabSize}`);
    for (const f of TOKENIZER_FILES) if (fs.existsSync(path.join(tokenizer, f))) files[f] = fs.readFileSync(path.join(tokenizer, f));
  } else {
    const vocabLines = fs.readFileSync(tokenizer, 'utf8').replace(/\r\n?/g, '\n').split('\n');
    if (vocabLines[vocabLines.length - 1] === '') vocabLines.pop();
    if (vocabLines.length !== config.vocabSize)
      throw new Error(`${tokenizer} holds ${vocabLines.length} tokens, the config says vocab_size ${config.vocabSize}`);
    files['vocab.txt'] = fs.readFileSync(tokenizer);
    files['tokenizer_config.json'] =
      JSON.stringify({ do_lower_case: true, model_max_length: maxTokens(config), tokenizer_class: 'BertTokenizer' }, null, 2) + '\n';
    files['special_tokens_map.json'] =
      JSON.stringify({ cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' }, null, 2) + '\n';
  }
  await writeFolderAtomically(outDir, files);
}

/**
 * What a checkpoint's head computes, as transformers reads config.json: its problem_type, else
 * regression for one output (`num_labels == 1`), else single-label classification.
 */
export function taskOf(config: ModelConfig): TaskName {
  return config.problemType ?? (config.id2label.length === 1 ? 'regression' : 'single_label_classification');
}
