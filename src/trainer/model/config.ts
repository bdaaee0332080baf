/**
 * A classifier's config.json, as Hugging Face `transformers` writes it: the family's architecture
 * keys (read and written by the family, families/*.ts) plus the PretrainedConfig fields a
 * classifier needs. Unknown keys are kept so that saving gives them back.
 */
import { FAMILIES, familyOfModelType, supportedModelTypes, type FamilyName } from '../../shared/families';
import { TRAIN_LIMITS } from '../../shared/trainerProtocol';
import { ConfigError, positiveInt, type HiddenAct } from './configFields';
import { familyNamed } from './families/index';

export { ConfigError } from './configFields';
export type { HiddenAct } from './configFields';

export interface ModelShape {
  vocabSize: number;
  hiddenSize: number;
  /** Width of the token embeddings: hiddenSize, except ELECTRA's (embedding_size, projected to hiddenSize). */
  embeddingSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: HiddenAct;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  /** null: the head uses hiddenDropoutProb, as in transformers. */
  classifierDropout: number | null;
  maxPositionEmbeddings: number;
  /** 0 for a family without token types. */
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  /** ModernBERT's own choices (families/modernbert.ts); absent for every other family. */
  modernBert?: ModernBertShape;
  /** DeBERTa's own choices (families/deberta.ts); absent for every other family. */
  deberta?: DebertaShape;
}

/** What a DeBERTa-v2/v3 config decides beyond the common shape (its config class's defaults when a key is missing). */
export interface DebertaShape {
  relativeAttention: boolean;
  c2p: boolean;
  p2c: boolean;
  /** Log buckets of relative positions (v3: 256); -1 for none. */
  positionBuckets: number;
  /** max_relative_positions, -1 read as max_position_embeddings. */
  maxRelativePositions: number;
  shareAttKey: boolean;
  normRelEmbeddings: boolean;
  /** Absolute position embeddings added to the input (false in v3). */
  positionBiasedInput: boolean;
  poolerDropout: number;
  poolerAct: HiddenAct;
}

/** What ModernBERT's config decides beyond the common shape, read from either of its config forms. */
export interface ModernBertShape {
  /** Per layer: global ("full_attention") or within the window ("sliding_attention"). */
  layerTypes: ('full_attention' | 'sliding_attention')[];
  /** RoPE's theta for the global and for the local layers. */
  globalRopeTheta: number;
  localRopeTheta: number;
  /** Local layers attend where |i − j| ≤ localAttention / 2 (rounded down). */
  localAttention: number;
  normBias: boolean;
  attentionBias: boolean;
  mlpBias: boolean;
  classifierBias: boolean;
  classifierActivation: HiddenAct;
  classifierPooling: 'cls' | 'mean';
  embeddingDropout: number;
  initializerCutoffFactor: number;
}

/** The config with every dropout rate at `rate` (0 for exact, repeatable runs), whatever the family calls them. */
export function withDropout(c: ModelConfig, rate: number): ModelConfig {
  return {
    ...c,
    hiddenDropoutProb: rate,
    attentionProbsDropoutProb: rate,
    classifierDropout: rate,
    ...(c.modernBert && { modernBert: { ...c.modernBert, embeddingDropout: rate } }),
    ...(c.deberta && { deberta: { ...c.deberta, poolerDropout: rate } }),
  };
}

/**
 * A classifier's config.json, as Hugging Face `transformers` writes it for its family: the
 * architecture in common names (each family reads its own keys), the labels and the task.
 * Plain data: it crosses to the gradient workers, which find the family by its name.
 */
export interface ModelConfig extends ModelShape {
  family: FamilyName;
  /** config.json's model_type as written ("xlm-roberta" stays so when saved). */
  modelType: string;
  id2label: string[];
  problemType: 'single_label_classification' | 'multi_label_classification' | 'regression' | null;
  /** Every key of the file, for writing back what we do not model. */
  raw: Record<string, unknown>;
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

export function parseModelConfig(raw: unknown, file = 'config.json'): ModelConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${file}: not a JSON object`);
  const r = raw as Record<string, unknown>;
  // An old BERT config has no model_type; transformers reads it as BERT too.
  const modelType = r.model_type === undefined ? 'bert' : r.model_type;
  const family = typeof modelType === 'string' ? familyOfModelType(modelType) : undefined;
  if (!family) {
    throw new ConfigError(
      `${file}: model_type is ${JSON.stringify(modelType)}, which BERT Tune does not run. It runs these model types: ${supportedModelTypes()} (e.g. bert-base-uncased, distilbert-base-uncased, roberta-base, xlm-roberta-base, google/electra-base-discriminator).`,
    );
  }
  const problemType = r.problem_type ?? null;
  if (problemType !== null && problemType !== 'single_label_classification' && problemType !== 'multi_label_classification' && problemType !== 'regression') {
    throw new ConfigError(`${file}: unknown problem_type ${JSON.stringify(problemType)}`);
  }
  return {
    ...familyNamed(family).readShape(r, file),
    family,
    modelType: modelType as string,
    id2label: labels(r, file),
    problemType: problemType as ModelConfig['problemType'],
    raw: { ...r },
  };
}

/** config.json as transformers writes it for the family's ...ForSequenceClassification. */
export function serializeModelConfig(c: ModelConfig): Record<string, unknown> {
  const id2label = Object.fromEntries(c.id2label.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(c.id2label.map((l, i) => [l, i]));
  const out: Record<string, unknown> = {
    ...c.raw,
    ...familyNamed(c.family).writeShape(c),
    model_type: c.modelType,
    id2label,
    label2id,
    torch_dtype: 'float32',
  };
  // What transformers records once a classifier has been trained with integer labels.
  // What the head was trained for; a model no task has trained yet (a base model) says none, as transformers writes it.
  if (c.problemType) out.problem_type = c.problemType;
  delete out.num_labels; // implied by id2label, as transformers writes it
  // Sorted keys, as transformers' to_json_string(sort_keys=True) writes them.
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map(k => [k, out[k]]),
  );
}

/**
 * Keys that transformers' config classes type as float: a whole value is written with ".0"
 * (JSON.stringify writes 2, and ModernBertConfig's strict fields refuse an int).
 */
const FLOAT_KEYS = ['initializer_range', 'initializer_cutoff_factor', 'layer_norm_eps', 'norm_eps', 'rope_theta', 'global_rope_theta', 'local_rope_theta'];

/** config.json's text, as transformers writes it: sorted keys, two-space indent, floats as floats. */
export function configJson(c: ModelConfig): string {
  const text = JSON.stringify(serializeModelConfig(c), null, 2);
  return text.replace(new RegExp(`^(\\s*"(?:${FLOAT_KEYS.join('|')})": )(-?\\d+)(,?)$`, 'gm'), '$1$2.0$3') + '\n';
}

/** The family's title ("RoBERTa") for a config: what the Runs view and the log name. */
export function familyTitle(c: Pick<ModelConfig, 'family'>): string {
  return FAMILIES[c.family].title;
}
