/**
 * A BERT classifier's config.json, as Hugging Face `transformers` writes it (BertConfig plus the
 * PretrainedConfig fields a classifier needs). Unknown keys are kept so that saving gives them back.
 */

import { TRAIN_LIMITS } from '../../shared/trainerProtocol';

export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
const HIDDEN_ACTS: readonly string[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: HiddenAct;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  /** null: the classifier uses hiddenDropoutProb, as in transformers. */
  classifierDropout: number | null;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  id2label: string[];
  problemType: 'single_label_classification' | 'multi_label_classification' | 'regression' | null;
  /** Every key of the file, for writing back what we do not model. */
  raw: Record<string, unknown>;
}

export class ConfigError extends Error {}

function num(raw: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${file}: "${key}" must be a number, got ${JSON.stringify(raw[key])}`);
  return v;
}

function positiveInt(raw: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = num(raw, key, file, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${file}: "${key}" must be a positive integer, got ${v}`);
  return v;
}

/**
 * The most labels a classifier may declare. A config.json is read before anything is allocated:
 * `num_labels: 1e9` would ask for a head of 768e9 weights.
 */
export const MAX_LABELS = TRAIN_LIMITS.labels;

/** Labels in id order: from id2label (keys are ids as strings: "0".."n-1", each once), else num_labels, else 2. */
function labels(raw: Record<string, unknown>, file: string): string[] {
  const id2label = raw.id2label;
  if (id2label && typeof id2label === 'object' && !Array.isArray(id2label)) {
    const entries = Object.entries(id2label as Record<string, unknown>);
    if (!entries.length)
      throw new ConfigError(`${file}: id2label is empty: a classifier needs at least one label. Give id2label (or num_labels) the model's labels.`);
    if (entries.length > MAX_LABELS) throw new ConfigError(`${file}: id2label names ${entries.length} labels; BERT Tune takes at most ${MAX_LABELS}.`);
    const out: string[] = [];
    for (const [k, v] of entries) {
      const id = Number(k);
      // "01" and "1" are one id to Number(): only the plain decimal form counts, once
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || String(id) !== k || typeof v !== 'string' || out[id] !== undefined) {
        throw new ConfigError(
          `${file}: id2label must map 0..${entries.length - 1} to label names, each id once; found ${JSON.stringify(k)}: ${JSON.stringify(v)}`,
        );
      }
      out[id] = v;
    }
    const seen = new Map<string, number>();
    out.forEach((label, id) => {
      if (seen.has(label)) throw new ConfigError(`${file}: id2label names "${label}" twice (ids ${seen.get(label)} and ${id}): each label must be distinct.`);
      seen.set(label, id);
    });
    return out;
  }
  const n = raw.num_labels === undefined ? 2 : positiveInt(raw, 'num_labels', file);
  if (n > MAX_LABELS) throw new ConfigError(`${file}: num_labels is ${n}; BERT Tune takes at most ${MAX_LABELS} labels.`);
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

/** A dropout rate: from 0 (off) up to, not including, 1 (which would drop every activation and train nothing). */
function dropoutRate(raw: Record<string, unknown>, key: string, file: string, fallback: number): number {
  const v = num(raw, key, file, fallback);
  if (!(v >= 0 && v < 1)) throw new ConfigError(`${file}: "${key}" is ${v}; a dropout rate must be at least 0 and below 1.`);
  return v;
}

export function parseBertConfig(raw: unknown, file = 'config.json'): BertConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${file}: not a JSON object`);
  const r = raw as Record<string, unknown>;
  if (r.model_type !== undefined && r.model_type !== 'bert') {
    throw new ConfigError(
      `${file}: model_type is "${String(r.model_type)}", but BERT Tune runs BERT models only (model_type "bert"). Choose a BERT checkpoint, e.g. google/bert_uncased_L-4_H-256_A-4 or bert-base-uncased.`,
    );
  }
  const hiddenAct = r.hidden_act ?? 'gelu';
  if (typeof hiddenAct !== 'string' || !HIDDEN_ACTS.includes(hiddenAct)) {
    throw new ConfigError(`${file}: hidden_act "${String(hiddenAct)}" is not supported (supported: ${HIDDEN_ACTS.join(', ')})`);
  }
  if (r.position_embedding_type !== undefined && r.position_embedding_type !== 'absolute') {
    throw new ConfigError(`${file}: position_embedding_type "${String(r.position_embedding_type)}" is not supported; only "absolute"`);
  }
  const hiddenSize = positiveInt(r, 'hidden_size', file, 768);
  const numAttentionHeads = positiveInt(r, 'num_attention_heads', file, 12);
  if (hiddenSize % numAttentionHeads) throw new ConfigError(`${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
  const problemType = r.problem_type ?? null;
  if (problemType !== null && problemType !== 'single_label_classification' && problemType !== 'multi_label_classification' && problemType !== 'regression') {
    throw new ConfigError(`${file}: unknown problem_type ${JSON.stringify(problemType)}`);
  }
  const classifierDropout = r.classifier_dropout === undefined || r.classifier_dropout === null ? null : dropoutRate(r, 'classifier_dropout', file, 0);
  const layerNormEps = num(r, 'layer_norm_eps', file, 1e-12);
  if (!(layerNormEps > 0)) throw new ConfigError(`${file}: "layer_norm_eps" is ${layerNormEps}; it must be more than 0 (BERT's is 1e-12).`);
  return {
    vocabSize: positiveInt(r, 'vocab_size', file, 30522),
    hiddenSize,
    numHiddenLayers: positiveInt(r, 'num_hidden_layers', file, 12),
    numAttentionHeads,
    intermediateSize: positiveInt(r, 'intermediate_size', file, 3072),
    hiddenAct: hiddenAct as HiddenAct,
    hiddenDropoutProb: dropoutRate(r, 'hidden_dropout_prob', file, 0.1),
    attentionProbsDropoutProb: dropoutRate(r, 'attention_probs_dropout_prob', file, 0.1),
    classifierDropout,
    maxPositionEmbeddings: positiveInt(r, 'max_position_embeddings', file, 512),
    typeVocabSize: positiveInt(r, 'type_vocab_size', file, 2),
    initializerRange: num(r, 'initializer_range', file, 0.02),
    layerNormEps,
    padTokenId: typeof r.pad_token_id === 'number' ? r.pad_token_id : 0,
    id2label: labels(r, file),
    problemType: problemType as BertConfig['problemType'],
    raw: { ...r },
  };
}

/** config.json as transformers writes it for BertForSequenceClassification. */
export function serializeBertConfig(c: BertConfig): Record<string, unknown> {
  const id2label = Object.fromEntries(c.id2label.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(c.id2label.map((l, i) => [l, i]));
  const out: Record<string, unknown> = {
    ...c.raw,
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    classifier_dropout: c.classifierDropout,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    initializer_range: c.initializerRange,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
    id2label,
    label2id,
    torch_dtype: 'float32',
  };
  // What transformers records once a classifier has been trained with integer labels.
  out.problem_type = c.problemType ?? 'single_label_classification';
  delete out.num_labels; // implied by id2label, as transformers writes it
  // Sorted keys, as transformers' to_json_string(sort_keys=True) writes them.
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map(k => [k, out[k]]),
  );
}
