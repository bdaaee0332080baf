/**
 * Reading config.json's fields with the checks every family needs: numbers that are numbers,
 * sizes that are whole and positive, dropout rates below 1, activations we compute. Each family
 * reads its own keys with these (families/*.ts); a wrong value is refused naming the file and key.
 */

export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
export const HIDDEN_ACTS: readonly string[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

export class ConfigError extends Error {}

export type RawConfig = Record<string, unknown>;

export function num(raw: RawConfig, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${file}: "${key}" must be a number, got ${JSON.stringify(raw[key])}`);
  return v;
}

export function positiveInt(raw: RawConfig, key: string, file: string, fallback?: number): number {
  const v = num(raw, key, file, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${file}: "${key}" must be a positive integer, got ${v}`);
  return v;
}

/** A dropout rate: from 0 (off) up to, not including, 1 (which would drop every activation and train nothing). */
export function dropoutRate(raw: RawConfig, key: string, file: string, fallback: number): number {
  const v = num(raw, key, file, fallback);
  if (!(v >= 0 && v < 1)) throw new ConfigError(`${file}: "${key}" is ${v}; a dropout rate must be at least 0 and below 1.`);
  return v;
}

/** classifier_dropout: null (absent) means "as hidden_dropout_prob" in transformers. */
export function optionalDropoutRate(raw: RawConfig, key: string, file: string): number | null {
  return raw[key] === undefined || raw[key] === null ? null : dropoutRate(raw, key, file, 0);
}

export function hiddenActivation(raw: RawConfig, key: string, file: string, fallback: HiddenAct): HiddenAct {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'string' || !HIDDEN_ACTS.includes(v))
    throw new ConfigError(`${file}: ${key} "${String(v)}" is not supported (supported: ${HIDDEN_ACTS.join(', ')})`);
  return v as HiddenAct;
}

export function layerNormEpsilon(raw: RawConfig, key: string, file: string, fallback: number): number {
  const v = num(raw, key, file, fallback);
  if (!(v > 0)) throw new ConfigError(`${file}: "${key}" is ${v}; it must be more than 0 (BERT's is 1e-12).`);
  return v;
}

/** Heads that divide the hidden size, as every attention here needs. */
export function checkHeads(hiddenSize: number, heads: number, file: string, keys = ['hidden_size', 'num_attention_heads']): void {
  if (hiddenSize % heads) throw new ConfigError(`${file}: ${keys[0]} ${hiddenSize} is not a multiple of ${keys[1]} ${heads}`);
}

export function padId(raw: RawConfig, fallback: number): number {
  return typeof raw.pad_token_id === 'number' && Number.isInteger(raw.pad_token_id) && raw.pad_token_id >= 0 ? raw.pad_token_id : fallback;
}
