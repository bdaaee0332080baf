/**
 * What the fine-tune wizard remembers per data file (workspace state), and what it makes of it
 * next time. Free of `vscode`: unit-tested (test/unit/wizardMemory.test.ts).
 */
import { FROM_SCRATCH_LEARNING_RATE, type TrainConfig } from '../../shared/trainerProtocol';

/** The base model as the user chose it: a Hub id or a folder, or a from-scratch size (by its label). */
export type RememberedModel = { kind: 'ref'; ref: string } | { kind: 'scratch'; size: string };

export interface RememberedChoices {
  textCol: string;
  pairCol?: string;
  labelCol: string;
  /** The Hub id or folder; '' after a from-scratch run (versions before `modelChoice` kept only this). */
  model: string;
  modelChoice?: RememberedModel;
  settings: Partial<TrainConfig>;
}

/** The settings the wizard carries from one run to the next. */
export const REMEMBERED_SETTINGS = ['epochs', 'batchSize', 'learningRate', 'maxLength', 'validationSplit', 'seed'] as const;

/**
 * The model to pre-select. Workspace state is ours but outlives versions: anything of another
 * shape is ignored rather than trusted.
 */
export function rememberedModel(memory: Partial<RememberedChoices> | undefined): RememberedModel | undefined {
  const c = memory?.modelChoice as Partial<RememberedModel> | undefined;
  if (c?.kind === 'scratch' && typeof c.size === 'string') return { kind: 'scratch', size: c.size };
  if (c?.kind === 'ref' && typeof c.ref === 'string' && c.ref) return { kind: 'ref', ref: c.ref };
  return typeof memory?.model === 'string' && memory.model ? { kind: 'ref', ref: memory.model } : undefined;
}

/**
 * The remembered settings for a run from `kind` of model. The learning rate belongs to the kind
 * of start: a fine-tuning rate (5e-5) barely moves random weights, and a from-scratch rate (5e-4)
 * wrecks pretrained ones, so it is carried over only between runs of the same kind.
 */
export function rememberedSettings(memory: Partial<RememberedChoices> | undefined, kind: RememberedModel['kind']): Partial<TrainConfig> {
  const settings: Partial<TrainConfig> = {};
  for (const key of REMEMBERED_SETTINGS) {
    const v = memory?.settings?.[key];
    if (typeof v === 'number' && Number.isFinite(v)) settings[key] = v;
  }
  if ((rememberedModel(memory)?.kind ?? 'ref') !== kind) delete settings.learningRate;
  return settings;
}

/**
 * The learning rate a run starts with before the wizard's memory: the user's
 * `bertTune.training.learningRate` when set, else the default for the kind of start.
 */
export function defaultLearningRate(kind: RememberedModel['kind'], configured: number | undefined, fineTuning: number): number {
  if (configured !== undefined) return configured;
  return kind === 'scratch' ? FROM_SCRATCH_LEARNING_RATE : fineTuning;
}

/** What to remember of a run the user started. */
export function toRemember(config: TrainConfig, model: RememberedModel): RememberedChoices {
  const settings: Partial<TrainConfig> = {};
  for (const key of REMEMBERED_SETTINGS) settings[key] = config[key];
  return {
    textCol: config.textCol,
    pairCol: config.pairCol,
    labelCol: config.labelCol,
    model: model.kind === 'ref' ? model.ref : '',
    modelChoice: model,
    settings,
  };
}
