/**
 * The extension's settings, read and checked in one place (rust-analyzer's `Config`): every
 * `bertTune.*` key the code reads is here, with the type it must have. package.json declares
 * them to VS Code; `test/unit/settings.test.ts` holds its defaults and bounds to the shared ones.
 * Pure: `config.ts` reads them from VS Code, tests from a plain object.
 */
import { isBackendName, type BackendName } from '../shared/backendReport';
import { DEFAULT_MAX_LENGTH } from '../shared/inferenceProtocol';
import { describeIssue } from '../shared/settingIssues';
import { TRAIN_DEFAULTS, TRAIN_LIMITS, trainConfigSchema, type TrainConfig } from '../shared/trainerProtocol';

/** When `bertTune.defaultBaseModel` is empty: bert-mini, small enough to fine-tune on a laptop's CPU. */
export const DEFAULT_BASE_MODEL = 'google/bert_uncased_L-4_H-256_A-4';

/** The run settings a user can give defaults for (`bertTune.training.<key>`), as the run's config names them. */
export const TRAINING_SETTING_KEYS = [
  'epochs',
  'batchSize',
  'learningRate',
  'maxLength',
  'validationSplit',
  'seed',
  'earlyStoppingPatience',
  'freezeLayers',
] as const;
export type TrainingSettingKey = (typeof TRAINING_SETTING_KEYS)[number];

/** The predictions' token limit when the setting is absent (package.json's default). */
export const PREDICT_MAX_LENGTH = DEFAULT_MAX_LENGTH;
/** What one encoder reads: the limit of `bertTune.predict.maxLength`. */
export const PREDICT_MAX_LENGTH_LIMIT = 512;

export interface Settings {
  defaultBaseModel: string;
  /** undefined: auto, the fastest that loads. */
  backend: BackendName | undefined;
  /** From the user's own settings only (machine scope): no workspace may send HF_TOKEN elsewhere or steer downloads. */
  hub: { endpoint?: string; cacheFolder?: string };
  /** The defaults the user set for new runs (in any scope); a key left at package.json's default is left out, and takes TRAIN_DEFAULTS'. */
  training: Partial<Pick<TrainConfig, TrainingSettingKey>>;
  /** Gradient workers asked for; undefined: one per core. */
  threads: number | undefined;
  predict: { onSelectionChange: boolean; maxLength: number };
  /** Open a run's metrics panel when it starts training. */
  metrics: { openOnStart: boolean };
  /** Settings whose value was not usable, each in a sentence: the default was used instead. */
  ignored: string[];
}

/**
 * Where settings come from: a key under `bertTune.`, its effective value, the user's own
 * (global) value, and the value someone set in any scope (user, workspace, folder), undefined
 * when the key is at package.json's default. A run's defaults need the last: the effective
 * value of an unset `training.learningRate` is package.json's 5e-5, which must not pass for the
 * user's choice (from scratch wants 5e-4).
 */
export interface SettingsSource {
  get(key: string): unknown;
  userValue(key: string): unknown;
  setValue(key: string): unknown;
}

export function readSettings(source: SettingsSource): Settings {
  const ignored: string[] = [];
  const ignore = (key: string, why: string, fallback: string) => ignored.push(`bertTune.${key} ${why}; ${fallback} is used.`);

  const training: Settings['training'] = {};
  for (const key of TRAINING_SETTING_KEYS) {
    const v = source.setValue(`training.${key}`);
    if (v === null || v === undefined) continue;
    const checked = trainConfigSchema.shape[key].safeParse(v);
    if (checked.success && checked.data !== undefined) (training as Record<string, unknown>)[key] = checked.data;
    else if (!checked.success) ignore(`training.${key}`, describeIssue(checked.error.issues[0], v), `the default ${String(TRAIN_DEFAULTS[key] ?? 'off')}`);
  }

  const threadsValue = source.get('training.threads');
  let threads: number | undefined;
  if (typeof threadsValue === 'number' && Number.isInteger(threadsValue) && threadsValue >= 1 && threadsValue <= TRAIN_LIMITS.threads) threads = threadsValue;
  else if (threadsValue !== null && threadsValue !== undefined)
    ignore('training.threads', `must be a whole number from 1 to ${TRAIN_LIMITS.threads}, not ${JSON.stringify(threadsValue)}`, 'one per core');

  const backendValue = source.get('backend');
  const backend = isBackendName(backendValue) ? backendValue : undefined;
  if (backendValue !== undefined && backendValue !== 'auto' && backendValue !== '' && !backend)
    ignore('backend', `is ${JSON.stringify(backendValue)}, no backend's name`, 'auto');

  const predictLength = source.get('predict.maxLength');
  let maxLength = PREDICT_MAX_LENGTH;
  if (typeof predictLength === 'number' && Number.isInteger(predictLength) && predictLength >= 8 && predictLength <= PREDICT_MAX_LENGTH_LIMIT)
    maxLength = predictLength;
  else if (predictLength !== undefined && predictLength !== null)
    ignore(
      'predict.maxLength',
      `must be a whole number from 8 to ${PREDICT_MAX_LENGTH_LIMIT}, not ${JSON.stringify(predictLength)}`,
      String(PREDICT_MAX_LENGTH),
    );

  return {
    defaultBaseModel: nonEmpty(source.get('defaultBaseModel')) ?? DEFAULT_BASE_MODEL,
    backend,
    hub: { endpoint: nonEmpty(source.userValue('hub.endpoint')), cacheFolder: nonEmpty(source.userValue('hub.cacheFolder')) },
    training,
    threads,
    predict: { onSelectionChange: source.get('predict.onSelectionChange') === true, maxLength },
    metrics: { openOnStart: source.get('metrics.openOnStart') !== false },
    ignored,
  };
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
