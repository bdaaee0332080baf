/**
 * "Fine-tune on this CSV": text column, optional pair column, label column, base model, then
 * start with the defaults or edit them. Columns and labels are pre-selected from the Datasets
 * inspector's guesses; the choices are remembered per file.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeIssues } from '../../shared/settingIssues';
import type { ColumnInfo, DatasetInfo } from '../../shared/dataset';
import { AUTO_BACKEND_SUMMARY, BACKEND_SETTING_VALUES, BACKEND_SUMMARIES, isBackendName } from '../../shared/backendReport';
import { TRAIN_DEFAULTS, trainConfigSchema, type TrainConfig } from '../../shared/trainerProtocol';
import { DEFAULT_METRIC_OF, METRIC_NAMES, METRICS, metricsOf } from '../../shared/metrics';
import { TASK_NAMES, TASKS } from '../../shared/tasks';
import { SCHEDULE_NAMES, SCHEDULES } from '../../shared/schedules';
import { binaryColumns, proposeTask } from '../../shared/taskProposal';
import type { Settings } from '../settings';
import { BASE_MODELS, familyGroup, SCRATCH_SIZES } from './baseModels';
import { supportedModelTypes } from '../../shared/families';
import { checkHubModel, isCachedHubModel } from './hubCheck';
import { looksLikePath } from '../../shared/modelId';
import { defaultLearningRate, rememberedModel, rememberedSettings, toRemember, type RememberedChoices, type RememberedModel } from './wizardMemory';

/** What the wizard asks; also what a caller (or a test) may pass to skip the questions. */
export interface FineTuneChoices {
  textCol: string;
  pairCol?: string;
  labelCol: string;
  model: string;
  settings: Partial<TrainConfig>;
}

export type ModelChoice = { kind: 'ref'; ref: string } | { kind: 'scratch'; size: (typeof SCRATCH_SIZES)[number] };

const MEMORY_KEY = 'bertTune.fineTuneChoices';

type ColumnItem = vscode.QuickPickItem & { column?: string };

function columnItems(info: DatasetInfo, role: ColumnInfo['role'], remembered: string | undefined): { items: ColumnItem[]; active: ColumnItem | undefined } {
  const items: ColumnItem[] = info.columns.map(c => ({
    label: c.name,
    column: c.name,
    description: c.role === role ? `likely ${role}` : undefined,
    detail:
      c.role === 'label' || role === 'label'
        ? `${c.distinctCapped ? 'many' : c.distinct} distinct values`
        : `${Math.round(c.meanLength)} characters on average`,
  }));
  const active = items.find(i => i.column === remembered) ?? items.find(i => i.description) ?? items[0];
  return { items, active };
}

/** What a step answers when the user presses its Back button (every step but the first has one). */
export const BACK = Symbol('back');
export type Back = typeof BACK;

async function pick<T extends vscode.QuickPickItem>(
  items: T[],
  active: T | undefined,
  title: string,
  placeholder: string,
  step: number,
): Promise<T | Back | undefined> {
  const qp = vscode.window.createQuickPick<T>();
  qp.items = items;
  if (active) qp.activeItems = [active];
  qp.title = title;
  qp.placeholder = placeholder;
  qp.step = step;
  qp.totalSteps = 5;
  qp.ignoreFocusOut = true;
  if (step > 1) qp.buttons = [vscode.QuickInputButtons.Back];
  return new Promise<T | Back | undefined>(resolve => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0] ?? qp.activeItems[0]);
      qp.hide();
    });
    qp.onDidTriggerButton(button => {
      if (button !== vscode.QuickInputButtons.Back) return;
      resolve(BACK);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

export type AskedChoices = Omit<FineTuneChoices, 'model'> & { model: ModelChoice };

export async function askChoices(
  memento: vscode.Memento,
  uri: vscode.Uri,
  info: DatasetInfo,
  defaultModel: string,
  /** The trainer's environment (the Hub's endpoint, cache, offline flag): where models are looked for. */
  hubEnv: NodeJS.ProcessEnv = process.env,
  /** The answers given before, when the settings step went Back: each pre-selected again. */
  previous?: AskedChoices,
): Promise<AskedChoices | undefined> {
  const memory = memento.get<Record<string, Partial<RememberedChoices>>>(MEMORY_KEY, {})[uri.toString()];
  const title = `Fine-tune on ${path.basename(uri.fsPath)}`;
  const text = columnItems(info, 'text', previous?.textCol ?? memory?.textCol);
  const none: ColumnItem = { label: '(none)', description: 'one text per row' };
  // Not the likely label column: a second text is text (the label column comes next).
  const likelyLabel = info.columns.find(c => c.role === 'label')?.name;
  const rememberedChoice = previous?.model ? toRememberedModel(previous.model) : rememberedModel(memory);
  const remembered = rememberedChoice?.kind === 'ref' ? rememberedChoice.ref : undefined;

  // The steps in a loop: Back goes one step up, where the answer given there is pre-selected.
  let textCol = previous?.textCol;
  let pairCol = previous?.pairCol;
  let labelCol = previous?.labelCol;
  let step = 1;
  for (;;) {
    if (step === 1) {
      const got = await pick(text.items, text.items.find(i => i.column === textCol) ?? text.active, title, 'Which column holds the text to classify?', 1);
      if (!got || got === BACK || !got.column) return undefined;
      textCol = got.column;
      step = 2;
    } else if (step === 2) {
      const pairItems = [none, ...text.items.filter(i => i.column !== textCol && i.column !== likelyLabel)];
      const wanted = step2Answer(pairCol, memory?.pairCol, previous !== undefined);
      const got = await pick(pairItems, pairItems.find(i => i.column === wanted) ?? none, title, 'A second text column, for sentence pairs?', 2);
      if (got === BACK) step = 1;
      else if (!got) return undefined;
      else {
        pairCol = got.column;
        step = 3;
      }
    } else if (step === 3) {
      const label = columnItems(info, 'label', labelCol ?? memory?.labelCol);
      const labelItems: ColumnItem[] = label.items
        .filter(i => i.column !== textCol && i.column !== pairCol)
        .map(i => ({ ...i, detail: `${i.detail} · ${TASKS[proposeTask(info, [i.column!]).task].title}` }));
      // The multi-label column form (Jigsaw, GoEmotions): a 0/1 column a label.
      const flags = binaryColumns(info).filter(c => c.name !== textCol && c.name !== pairCol);
      const several: ColumnItem = {
        label: '$(checklist) Several 0/1 columns…',
        description: 'multi-label: a column a label',
        detail: flags.map(c => c.name).join(', '),
        column: SEVERAL,
      };
      const items = flags.length >= 2 ? [...labelItems, several] : labelItems;
      const activeItem = labelCol?.includes(',') ? several : (labelItems.find(i => i.column === label.active?.column) ?? labelItems[0]);
      const got = await pick(items, activeItem, title, 'Which column holds the labels?', 3);
      if (got === BACK) step = 2;
      else if (!got || !got.column) return undefined;
      else if (got.column === SEVERAL) {
        const chosen = await pickColumns(title, flags, labelCol?.split(',') ?? flags.map(c => c.name));
        if (chosen?.length) {
          labelCol = chosen.join(',');
          step = 4;
        }
      } else {
        labelCol = got.column;
        step = 4;
      }
    } else {
      const model = await askModel(title, rememberedChoice, remembered, defaultModel, hubEnv);
      if (model === BACK) step = 3;
      else if (!model) return undefined;
      else {
        // What the model learns, proposed from the data: the settings step shows it, and the user may change it.
        const proposal = proposeTask(info, labelCol!.split(','));
        const settings = { ...rememberedSettings(memory, model.kind), problemType: proposal.task, labelSep: proposal.labelSep };
        return { textCol: textCol!, pairCol, labelCol: labelCol!, model, settings };
      }
    }
  }
}

/** The label step's item that opens the pick of several 0/1 columns. */
const SEVERAL = '\u0000several';

/** The 0/1 columns of a multi-label file, picked together (all of them pre-picked the first time). */
async function pickColumns(title: string, columns: ColumnInfo[], picked: string[]): Promise<string[] | undefined> {
  const items = columns.map(c => ({ label: c.name, description: c.valueCounts?.map(([v, n]) => `${v}: ${n}`).join(', '), picked: picked.includes(c.name) }));
  const chosen = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'Which 0/1 columns are the labels? (each says whether the row has that label)',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  return chosen?.map(i => i.label);
}

/** Step 2's pre-selected answer: on the way back, the one given; else the remembered one. */
function step2Answer(given: string | undefined, remembered: string | undefined, revisiting: boolean): string | undefined {
  return given !== undefined || revisiting ? given : remembered;
}

/** Step 4: the base model, and from there a folder, a from-scratch size, or a Hub model that can be had. */
async function askModel(
  title: string,
  rememberedChoice: RememberedModel | undefined,
  remembered: string | undefined,
  defaultModel: string,
  hubEnv: NodeJS.ProcessEnv,
): Promise<ModelChoice | Back | undefined> {
  type ModelItem = vscode.QuickPickItem & { choice?: ModelChoice | 'folder' | 'scratch' };
  const modelItems: ModelItem[] = [
    ...(remembered && !BASE_MODELS.some(m => m.id === remembered)
      ? [{ label: remembered, description: 'last used', choice: { kind: 'ref' as const, ref: remembered } }]
      : []),
    ...(defaultModel && defaultModel !== remembered && !BASE_MODELS.some(m => m.id === defaultModel)
      ? [{ label: defaultModel, description: 'default (setting)', choice: { kind: 'ref' as const, ref: defaultModel } }]
      : []),
    ...BASE_MODELS.flatMap((m, i) => [
      // A separator before each family's first model: the list reads as groups.
      ...(i === 0 || BASE_MODELS[i - 1].family !== m.family ? [{ label: familyGroup(m.family), kind: vscode.QuickPickItemKind.Separator }] : []),
      {
        label: m.label,
        // Marked when downloaded (by us or by Python's huggingface_hub): those train offline.
        description: [m.id, m.id === defaultModel ? 'default' : '', isCachedHubModel(m.id, hubEnv) ? '$(check) downloaded' : ''].filter(Boolean).join(' · '),
        detail: m.detail,
        choice: { kind: 'ref' as const, ref: m.id },
      },
    ]),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    {
      label: '$(folder) Local folder…',
      detail: `a Hugging Face model folder of ${supportedModelTypes()}: config.json, weights, tokenizer.json or vocab.txt`,
      choice: 'folder',
    },
    { label: '$(sparkle) From scratch…', detail: 'random weights with the bert-base-uncased vocabulary: only for large datasets', choice: 'scratch' },
  ];
  // The model of the last run on this file (from scratch too), else the setting's default.
  const activeModel =
    rememberedChoice?.kind === 'scratch'
      ? modelItems.find(i => i.choice === 'scratch')
      : modelItems.find(i => typeof i.choice === 'object' && i.choice.kind === 'ref' && i.choice.ref === (remembered ?? defaultModel));
  for (;;) {
    const modelPick = await pick(modelItems, activeModel, title, 'Which model to start from?', 4);
    if (modelPick === BACK) return BACK;
    if (!modelPick?.choice) return undefined;
    let choice = modelPick.choice;
    // From a folder dialog or a size step given up, the model list again.
    for (let decided = false; !decided;) {
      if (choice === 'folder') {
        const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model', title });
        if (folder?.[0]) return { kind: 'ref', ref: folder[0].fsPath };
        decided = true;
      } else if (choice === 'scratch') {
        const sizes = SCRATCH_SIZES.map(size => ({ label: size.label, size }));
        const lastSize = sizes.find(i => rememberedChoice?.kind === 'scratch' && i.label === rememberedChoice.size);
        const size = await pick(sizes, lastSize ?? sizes[0], title, 'Model size', 4);
        if (size === BACK) decided = true;
        else if (!size) return undefined;
        else return { kind: 'scratch', size: size.size };
      } else {
        // A Hub model that is not downloaded while the Hub cannot be reached would fail the run
        // after the wizard: say so now, while another model can still be chosen.
        const verdict = await ensureHubModel(choice.kind === 'ref' ? choice.ref : '', hubEnv);
        if (verdict === 'ok') return choice;
        if (!verdict) return undefined;
        choice = verdict;
      }
    }
  }
}

/** A model choice as it is remembered. */
export function toRememberedModel(model: ModelChoice): RememberedModel {
  return model.kind === 'ref' ? model : { kind: 'scratch', size: model.size.label };
}

/** The editable settings, in the order shown, with how to read them from an input box. */
type Choices = readonly { value: string; detail: string }[];

/** The metrics a run of this config's task computes (all of them before its task is known). */
const metricChoices = (config: TrainConfig): Choices =>
  (config.problemType ? metricsOf(config.problemType) : METRIC_NAMES).map(m => ({ value: m, detail: METRICS[m].detail }));

const EDITABLE: {
  key: keyof TrainConfig;
  label: string;
  parse: (s: string) => unknown;
  choices?: Choices | ((config: TrainConfig) => Choices);
  /** Listed once the user asks for more settings. */
  more?: true;
}[] = [
  {
    key: 'problemType',
    label: 'Task (proposed from the data)',
    parse: s => s,
    choices: TASK_NAMES.map(t => ({ value: t, detail: TASKS[t].detail })),
  },
  { key: 'labelSep', label: 'Multi-label tags in one cell: their separator (empty: | ; or , as the column holds)', parse: s => s || undefined },
  {
    key: 'standardizeTarget',
    label: 'Regression: learn the target standardised, (y − mean) / std (yes/no; checkpoints still predict in its units)',
    parse: s => (/^\s*(y|yes|true|1)\s*$/i.test(s) ? true : /^\s*(n|no|false|0|)\s*$/i.test(s) ? undefined : s),
  },
  { key: 'epochs', label: 'Epochs', parse: Number },
  { key: 'batchSize', label: 'Batch size', parse: Number },
  { key: 'learningRate', label: 'Learning rate', parse: Number },
  { key: 'maxLength', label: 'Max length (tokens)', parse: Number },
  { key: 'validationSplit', label: 'Validation split (share of rows)', parse: Number },
  { key: 'validationData', label: 'Validation file (empty: split the data)', parse: s => s.trim() || undefined },
  { key: 'earlyStoppingPatience', label: 'Early stopping patience (evaluations; empty: off)', parse: s => (s.trim() ? Number(s) : undefined) },
  {
    key: 'freezeLayers',
    label: 'Freeze the embeddings and the lowest N layers (faster on a CPU; 0: train all)',
    parse: s => (s.trim() ? Number(s) : undefined),
  },
  {
    key: 'headOnly',
    label: 'Train only the classifier head, on features computed once (yes/no)',
    parse: s => (/^\s*(y|yes|true|1)\s*$/i.test(s) ? true : /^\s*(n|no|false|0|)\s*$/i.test(s) ? undefined : s),
  },
  { key: 'seed', label: 'Seed', parse: Number },
  // The CLI's other knobs, as its options read them (bert-tune train --help).
  { key: 'evalSteps', label: 'Evaluate every N steps too (empty: after each epoch only)', parse: s => (s.trim() ? Number(s) : undefined), more: true },
  {
    key: 'schedule',
    label: 'Learning-rate schedule',
    parse: s => s,
    choices: SCHEDULE_NAMES.map(n => ({ value: n, detail: SCHEDULES[n] })),
    more: true,
  },
  { key: 'warmupRatio', label: 'Warmup (share of the steps)', parse: Number, more: true },
  { key: 'warmupSteps', label: 'Warmup steps (empty: from the share above)', parse: s => (s.trim() ? Number(s) : undefined), more: true },
  { key: 'dropout', label: "Dropout, one rate for every layer (empty: the model's own; 0: off)", parse: s => (s.trim() ? Number(s) : undefined), more: true },
  { key: 'weightDecay', label: 'Weight decay (AdamW, not on biases and LayerNorm)', parse: Number, more: true },
  { key: 'maxGradNorm', label: 'Gradient clipping: max global norm (0: none)', parse: Number, more: true },
  {
    key: 'classWeights',
    label: 'Class weights (for imbalanced labels)',
    parse: s => s,
    choices: [
      { value: 'none', detail: 'every row counts the same' },
      { value: 'balanced', detail: "each class's loss weighed by its rarity (n_rows / (n_classes × class rows), as scikit-learn's)" },
    ],
  },
  {
    key: 'metricForBest',
    label: 'Metric that picks the best checkpoint',
    parse: s => s,
    choices: metricChoices,
  },
  {
    key: 'backend',
    label: 'Backend (auto: the fastest here)',
    parse: s => (isBackendName(s) ? s : undefined),
    choices: BACKEND_SETTING_VALUES.map(v => ({ value: v, detail: isBackendName(v) ? BACKEND_SUMMARIES[v] : AUTO_BACKEND_SUMMARY })),
  },
];

/** A setting with a fixed list of values: picked from its list, each value explained. */
async function pickValue(title: string, label: string, choices: readonly { value: string; detail: string }[], current: string): Promise<string | undefined> {
  const items = choices.map(c => ({ label: c.value, detail: c.detail }));
  const got = await pick(
    items,
    items.find(i => i.label === current),
    title,
    label,
    5,
  );
  // Back from a value's list: back to the settings, the value unchanged.
  return got === BACK ? undefined : got?.label;
}

/** "Start with defaults", or edit settings one by one; resolves to the settings, or undefined if dismissed. */
/** What the settings step ends with: train here, or export the recipe for transformers' Trainer elsewhere. */
export interface SettingsChoice {
  config: TrainConfig;
  exportScript?: boolean;
  /** The user went Back: to the model step, these settings kept. */
  back?: boolean;
}

export async function askSettings(title: string, base: TrainConfig, options: { canExport?: boolean } = {}): Promise<SettingsChoice | undefined> {
  let config = { ...base };
  let showMore = false;
  for (;;) {
    type Item = vscode.QuickPickItem & { key?: keyof TrainConfig; start?: boolean; exportScript?: boolean; more?: boolean };
    const items: Item[] = [
      { label: '$(play) Start training', description: 'with the settings below', start: true },
      ...(options.canExport
        ? [
            {
              label: '$(export) Export a training script instead…',
              description: "for transformers' Trainer on a GPU server or cluster (torchrun, accelerate)",
              exportScript: true,
            },
          ]
        : []),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      // A task's own settings only where it is that task.
      ...EDITABLE.filter(
        e =>
          (showMore || !e.more) &&
          (e.key !== 'labelSep' || config.problemType === 'multi_label_classification') &&
          (e.key !== 'standardizeTarget' || config.problemType === 'regression'),
      ).map(e => ({
        label: e.label,
        // A validation file makes the split moot: say so, not "0.2".
        description:
          e.key === 'validationSplit' && config.validationData
            ? `— (the validation file ${path.basename(config.validationData)} is used)`
            : String(config[e.key] ?? (e.choices ? choicesOf(e, config)[0].value : '—')),
        key: e.key,
      })),
      ...(showMore
        ? []
        : [{ label: '$(settings) More settings…', description: 'evaluation steps, schedule, warmup, dropout, weight decay, clipping', more: true }]),
    ];
    const choice = await pick(items, items[0], title, 'Start, or pick a setting to change it', 5);
    if (choice === BACK) return { config, back: true };
    if (!choice) return undefined;
    if (choice.more) {
      showMore = true;
      continue;
    }
    if (choice.start) return { config };
    if (choice.exportScript) return { config, exportScript: true };
    const edit = EDITABLE.find(e => e.key === choice.key)!;
    const value = edit.choices
      ? await pickValue(title, edit.label, choicesOf(edit, config), String(config[edit.key] ?? choicesOf(edit, config)[0].value))
      : await vscode.window.showInputBox({
          title,
          prompt: edit.label,
          value: String(config[edit.key] ?? ''),
          validateInput: s => {
            const candidate = { ...config, [edit.key]: edit.parse(s) };
            const parsed = trainConfigSchema.safeParse(candidate);
            return parsed.success ? undefined : `${describeIssues(parsed.error.issues, candidate, field => (field === edit.key ? edit.label : field))}.`;
          },
        });
    if (value !== undefined) config = withTaskMetric(trainConfigSchema.parse({ ...config, [edit.key]: edit.parse(value) }));
  }
}

function choicesOf(e: (typeof EDITABLE)[number], config: TrainConfig): Choices {
  return typeof e.choices === 'function' ? e.choices(config) : (e.choices ?? []);
}

/** A task changed under a metric it does not compute: the task's own metric instead. */
export function withTaskMetric(config: TrainConfig): TrainConfig {
  const task = config.problemType;
  if (!task || metricsOf(task).includes(config.metricForBest)) return config;
  return { ...config, metricForBest: DEFAULT_METRIC_OF[task] };
}

export async function rememberChoices(memento: vscode.Memento, uri: vscode.Uri, config: TrainConfig, model: ModelChoice): Promise<void> {
  const all = memento.get<Record<string, RememberedChoices>>(MEMORY_KEY, {});
  await memento.update(MEMORY_KEY, { ...all, [uri.toString()]: toRemember(config, toRememberedModel(model)) });
}

/**
 * Default hyper-parameters: the classic recipe, overridden by the user's bertTune.training.*
 * settings; the learning rate fits the kind of start (from scratch wants a higher one).
 */
export function defaultSettings(kind: ModelChoice['kind'], training: Settings['training']): Partial<TrainConfig> {
  return { ...TRAIN_DEFAULTS, ...training, learningRate: defaultLearningRate(kind, training.learningRate, TRAIN_DEFAULTS.learningRate) };
}

/**
 * 'ok' for a local folder, a downloaded Hub model or one the Hub can send; else the user's
 * way out ('folder', 'scratch'), or undefined when they cancel or go to the settings.
 */
export async function ensureHubModel(ref: string, env: NodeJS.ProcessEnv): Promise<'ok' | 'folder' | 'scratch' | undefined> {
  if (!ref || looksLikePath(ref)) return 'ok';
  for (;;) {
    const found = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking whether ${ref} can be downloaded…` }, () =>
      checkHubModel(ref, env),
    );
    if (found.cached || found.reachable) return 'ok';
    const a = await vscode.window.showWarningMessage(
      `${ref} is not downloaded, and ${found.endpoint} cannot be reached (${found.reason}).`,
      {
        modal: true,
        detail:
          "Training needs the model's files. Choose a local model folder, train from scratch, set a mirror in the setting bertTune.hub.endpoint, or retry once the connection is back.",
      },
      'Choose Local Folder…',
      'Train From Scratch…',
      'Open Settings',
      'Retry',
    );
    if (a === 'Choose Local Folder…') return 'folder';
    if (a === 'Train From Scratch…') return 'scratch';
    if (a === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'bertTune.hub.endpoint');
      return undefined;
    }
    if (a !== 'Retry') return undefined;
  }
}
