/**
 * The training runs of the workspace, read from their folders (.bert-tune/runs/<name>/):
 * train-config.json and metrics.jsonl say what a run is and how it ended. Free of `vscode`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAMILIES, type FamilyName } from '../../shared/families';
import type { FromTrainer, TrainConfig } from '../../shared/trainerProtocol';
import type { RunStatus } from '../../shared/runStatus';
import { modelLabel } from '../training/baseModels';
import { formatMetric, METRICS, metricValue, type MetricName } from '../../shared/metrics';
import { taskTitle } from '../../shared/tasks';
import { diagnoseMessages, type RunDiagnosis } from '../../shared/runDiagnosis';
import {
  readRunNotes,
  BERT_TUNE_FOLDER,
  diagnosisContext,
  RUN_FILES,
  RUNS_FOLDER,
  checkpointDir,
  hasResumableCheckpoint,
  readRunConfig,
  readRunMessages,
  type RunMessages,
  isInsideRealPath,
  isSymbolicLink,
  liveRunLock,
  recoverableCheckpoint,
  type RunLock,
} from '../../shared/runFolder';

export { RUNS_FOLDER };

export type { RunStatus } from '../../shared/runStatus';

export interface RunSummary {
  dir: string;
  /** The folder's name: the run's identity (sortable: its start time, then the data file). */
  name: string;
  /** What the Runs view and the panel call it: the user's title, else data file · base model. */
  label: string;
  /** The user's note (notes.json), if any. */
  note?: string;
  status: RunStatus;
  config?: TrainConfig;
  /** The model's family, as the run's last start said it (absent from runs of earlier versions). */
  family?: FamilyName;
  /** Best value of the run's metricForBest, and the metric's name. */
  best?: { metric: MetricName; value: number; step: number };
  /** Last evaluation's accuracy, and its step. */
  accuracy?: number;
  lastStep?: number;
  step?: number;
  totalSteps?: number;
  reason?: string;
  startedAt: Date;
  /** When metrics.jsonl last changed: the run's last sign of life. */
  updatedAt?: Date;
  /** Set while another process (the CLI, another window) trains this run: not ours to resume or delete. */
  lockedBy?: RunLock;
  /** What of the run folder could not be read (a damaged or newer train-config.json, unreadable metrics lines), in sentences. */
  problems: string[];
  /** Whether checkpoints/last can be resumed from, and whether any checkpoint can predict. */
  checkpoints: { resumable: boolean; usable: boolean };
  /** What its evaluations say went wrong: no better than the majority class, a climbing validation loss. */
  diagnoses: RunDiagnosis[];
}

/** A run's messages, read leniently (src/shared/runFolder.ts); the lines it could not read are named in the summary's `problems`. */
export function readMessages(dir: string): FromTrainer[] {
  return readRunMessages(dir).messages;
}

/**
 * Summaries by run folder, kept while metrics.jsonl is unchanged: the Runs view refreshes
 * every half second during training, and a long run's file is large.
 */
const summaries = new Map<string, { stamp: string; summary: RunSummary }>();

function stampOf(dir: string): string {
  try {
    const s = fs.statSync(path.join(dir, RUN_FILES.metrics));
    const lock = fs.statSync(path.join(dir, RUN_FILES.lock), { throwIfNoEntry: false });
    const notes = fs.statSync(path.join(dir, RUN_FILES.notes), { throwIfNoEntry: false });
    return `${s.mtimeMs}:${s.size}:${lock?.mtimeMs ?? 'unlocked'}:${notes?.mtimeMs ?? 'no notes'}`;
  } catch {
    return 'none';
  }
}

export function summarizeRun(dir: string, isRunning: boolean): RunSummary {
  const stamp = `${stampOf(dir)}:${isRunning}`;
  const cached = summaries.get(dir);
  if (cached?.stamp === stamp) return cached.summary;
  const summary = readSummary(dir, isRunning);
  summaries.set(dir, { stamp, summary });
  return summary;
}

function readSummary(dir: string, isRunning: boolean): RunSummary {
  let config: TrainConfig | undefined;
  let configProblem: string | undefined;
  try {
    config = readRunConfig(dir);
  } catch (e) {
    // A run without a config (or with one of a newer version) is still listed, with the reason.
    configProblem = fs.existsSync(path.join(dir, RUN_FILES.config)) ? (e as Error).message : undefined;
  }
  const { messages, unread } = readRunMessages(dir);
  const done = messages.filter(m => m.type === 'done').at(-1);
  const started = messages.filter((m): m is Extract<FromTrainer, { type: 'started' }> => m.type === 'started').at(-1);
  const evaluations = messages.filter((m): m is Extract<FromTrainer, { type: 'evaluation' }> => m.type === 'evaluation');
  const progress = messages.filter((m): m is Extract<FromTrainer, { type: 'progress' }> => m.type === 'progress').at(-1);
  const metric = config?.metricForBest ?? 'accuracy';
  const bestEval = evaluations.filter(e => e.isBest).at(-1);
  const lockedBy = isRunning ? undefined : liveRunLock(dir);
  let status: RunStatus;
  if (isRunning || lockedBy) status = 'running';
  else if (done?.type === 'done') status = done.status;
  else status = 'interrupted';
  const stat = fs.statSync(dir);
  const metricsStat = fs.statSync(path.join(dir, RUN_FILES.metrics), { throwIfNoEntry: false });
  const notes = readRunNotes(dir);
  return {
    dir,
    name: path.basename(dir),
    label: notes.title ?? defaultRunLabel(config, dir),
    note: notes.note,
    status,
    config,
    family: started?.family,
    best: bestEval ? { metric, value: metricValue(bestEval, metric), step: bestEval.step } : undefined,
    accuracy: evaluations.at(-1)?.accuracy,
    lastStep: evaluations.at(-1)?.step,
    step: progress?.step ?? (done?.type === 'done' ? done.step : undefined),
    totalSteps: progress?.totalSteps,
    reason: done?.type === 'done' ? done.reason : undefined,
    startedAt: stat.birthtime.getTime() ? stat.birthtime : stat.mtime,
    updatedAt: metricsStat?.mtime,
    lockedBy,
    problems: [...(configProblem ? [configProblem] : []), ...describeUnread(unread)],
    diagnoses: isRunning ? [] : diagnoseMessages(messages, diagnosisContext(config, dir)),
    checkpoints: {
      resumable: hasResumableCheckpoint(dir),
      usable: (['best', 'last'] as const).some(kind => recoverableCheckpoint(checkpointDir(dir, kind)) !== undefined),
    },
  };
}

/**
 * The runs folder of a workspace folder, if it is a real folder inside it. `.bert-tune` or
 * `runs` as a link (git stores links) would let a workspace point Delete and new runs at any
 * folder of the user's: such a runs folder is refused, with the reason.
 */
export function runsRoot(workspaceFolder: string): { root: string; refused?: string } {
  const root = path.join(workspaceFolder, RUNS_FOLDER);
  for (const p of [path.dirname(root), root]) {
    if (isSymbolicLink(p))
      return { root, refused: `${p} is a symbolic link; BERT Tune keeps runs only in a real folder inside the workspace. Remove the link.` };
  }
  if (fs.existsSync(root) && !isInsideRealPath(workspaceFolder, root)) return { root, refused: `${root} is outside the workspace folder ${workspaceFolder}.` };
  return { root };
}

/** Runs of one workspace folder, newest first (none from a refused runs folder). */
export function listRuns(workspaceFolder: string, running: ReadonlySet<string>): RunSummary[] {
  const { root, refused } = runsRoot(workspaceFolder);
  if (refused) return [];
  let names: string[];
  try {
    // isDirectory() is false for a link: a run folder that is a link is not listed.
    // A run folder holds train-config.json or metrics.jsonl from its start: a folder with
    // neither is a run still waiting for the user's Start (a from-scratch base model), or not ours.
    names = fs
      .readdirSync(root, { withFileTypes: true })
      .filter(d => d.isDirectory() && [RUN_FILES.config, RUN_FILES.metrics].some(f => fs.existsSync(path.join(root, d.name, f))))
      .map(d => d.name);
  } catch {
    return [];
  }
  return names.map(n => summarizeRun(path.join(root, n), running.has(path.join(root, n)))).sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/** Why a run folder must not be deleted or written by us, or undefined when it may. */
export function refuseRunFolder(dir: string): string | undefined {
  const workspaceFolder = path.dirname(path.dirname(path.dirname(dir)));
  const { root, refused } = runsRoot(workspaceFolder);
  if (refused) return refused;
  if (path.dirname(dir) !== root) return `${dir} is not a run folder of ${root}.`;
  if (isSymbolicLink(dir)) return `${dir} is a symbolic link, not a run folder.`;
  if (!isInsideRealPath(root, dir)) return `${dir} is outside ${root}.`;
  return undefined;
}

/** A folder for a new run under `root`: its start time and data file's name, made unique. */
export function newRunDir(root: string, dataFile: string, now = new Date()): string {
  const base = path.join(root, newRunName(dataFile, now));
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    if (!fs.existsSync(dir)) return dir;
  }
}

/** A new run folder's name: its start time and the data file's name, safe as a path segment. */
export function newRunName(dataFile: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const stem =
    path
      .basename(dataFile, path.extname(dataFile))
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .slice(0, 40) || 'data';
  return `${stamp}-${stem}`;
}

/** Creates .bert-tune/ with a .gitignore that keeps checkpoints out of version control; throws when the runs folder is refused. */
export function ensureRunsFolder(workspaceFolder: string): string {
  const before = runsRoot(workspaceFolder);
  if (before.refused) throw new Error(before.refused);
  fs.mkdirSync(before.root, { recursive: true });
  const after = runsRoot(workspaceFolder);
  if (after.refused) throw new Error(after.refused);
  const ignore = path.join(workspaceFolder, BERT_TUNE_FOLDER, '.gitignore');
  try {
    // "wx" fails on anything of that name, a dangling link included: its target is never created.
    fs.writeFileSync(ignore, RUNS_GITIGNORE, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // The one an earlier version wrote, untouched by the user: brought up to date (a regular file only).
    if (fs.lstatSync(ignore).isFile() && fs.readFileSync(ignore, 'utf8') === RUNS_GITIGNORE_V1) fs.writeFileSync(ignore, RUNS_GITIGNORE);
  }
  return after.root;
}

const RUNS_GITIGNORE_V1 = '# Model checkpoints are large; the configs, logs and metrics of runs are worth keeping.\nruns/*/checkpoints/\n';
/** Checkpoints and a from-scratch run's random base model are large; the configs, logs and metrics are worth keeping. */
export const RUNS_GITIGNORE =
  '# Model checkpoints and the random base models of runs from scratch are large; the configs, logs and metrics of runs are worth keeping.\nruns/*/checkpoints/\nruns/*/base-model/\n';

/**
 * What the row's menus offer (package.json's `view/item/context` matches it): a run another
 * process trains offers neither Stop (not ours) nor Resume and Delete; Resume needs a resumable
 * checkpoint, Use for Predictions any checkpoint (a run that failed before its first save has none).
 */
export function runContextValue(run: Pick<RunSummary, 'status' | 'lockedBy' | 'checkpoints'>): string {
  if (run.lockedBy) return 'run.locked';
  if (run.status === 'running') return 'run.running';
  return `run.${run.status}${run.checkpoints.resumable ? '.resumable' : ''}${run.checkpoints.usable ? '.usable' : ''}`;
}

/**
 * The run's best evaluation in words ("best accuracy 85.2%"): the evaluation of the checkpoint
 * predictions use (checkpoints/best). The Runs row and its tooltip both say this one number.
 */
export function describeBest(best: NonNullable<RunSummary['best']>): string {
  return `best ${METRICS[best.metric].label} ${formatMetric(best.metric, best.value)}`;
}

/** Unread metrics lines in a sentence or two: how many, the first few line numbers and why. */
export function describeUnread(unread: RunMessages['unread']): string[] {
  if (!unread.length) return [];
  const first = unread
    .slice(0, 3)
    .map(u => `line ${u.line}: ${u.reason}`)
    .join('; ');
  return [
    `${unread.length} line${unread.length === 1 ? '' : 's'} of ${RUN_FILES.metrics} could not be read (${first}${unread.length > 3 ? '; …' : ''}); the curves leave them out.`,
  ];
}

/** A run without a title: its data file and base model ("sst2-dev-200 · bert-mini"); the folder's name says when. */
/** What a run trained on, for its tooltip: the data, the base model as people name it, and every column it read. */
export function describeRunSetup(config: TrainConfig, dir: string, family?: FamilyName): string {
  const fromScratch = diagnosisContext(config, dir).fromScratch;
  const model =
    (fromScratch ? 'from scratch (random weights, kept in the run folder as base-model)' : config.model) + (family ? ` (${FAMILIES[family].title})` : '');
  const multi = config.problemType === 'multi_label_classification';
  const target = config.problemType === 'regression' ? 'Target' : multi ? 'Labels' : 'Label';
  const columns = [`Text: ${config.textCol}`, ...(config.pairCol ? [`Second text: ${config.pairCol}`] : []), `${target}: ${config.labelCol}`];
  // Runs of earlier versions name no task: they were all single-label.
  return `Data: ${config.data}\nModel: ${model}\nTask: ${taskTitle(config.problemType)}\n${columns.join(' · ')}`;
}

/**
 * The one name a run goes by wherever it is named (the Runs view, notifications, the status bar,
 * the model picker, dialogs): the title the user gave it, else its data and model. Its folder's
 * name (a timestamp and the data) is said only where the folder is meant.
 */
export function runTitle(dir: string): string {
  let config: TrainConfig | undefined;
  try {
    config = readRunConfig(dir);
  } catch {
    config = undefined;
  }
  return readRunNotes(dir).title ?? defaultRunLabel(config, dir);
}

export function defaultRunLabel(config: TrainConfig | undefined, dir?: string): string {
  // An imported model has no recipe: its folder's name says which run it is.
  if (!config) return dir ? path.basename(dir) : 'run';
  const data = path.basename(config.data, path.extname(config.data));
  return `${data} · ${modelLabel(config.model)}`;
}
