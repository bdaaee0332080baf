/**
 * A run folder (`.bert-tune/runs/<name>/`, or any `--out`) is read by the extension and written
 * by the trainer: its file names, its lock and the leftovers of an interrupted checkpoint save
 * are declared here once. Plain Node: imported by the extension and the trainer, not the webview.
 *
 * Nothing in a run folder is written through a symbolic link: a workspace is trusted to hold
 * data, not to redirect our writes into the user's home (`log.txt -> ~/.bashrc`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod/mini';
import { describeIssues } from './settingIssues';
import { TRAIN_DEFAULTS, fromTrainerSchema, trainConfigSchema, type FromTrainer, type TrainConfig } from './trainerProtocol';

/** The extension's own folder in a workspace: runs, their logs and metrics; never a dataset. */
export const BERT_TUNE_FOLDER = '.bert-tune';
export const RUNS_FOLDER = path.join(BERT_TUNE_FOLDER, 'runs');

export const RUN_FILES = {
  config: 'train-config.json',
  log: 'log.txt',
  metrics: 'metrics.jsonl',
  lock: 'run.lock',
  checkpoints: 'checkpoints',
  /** The person's name for the run and their note (notes.json, schema below); the trainer never writes it. */
  notes: 'notes.json',
} as const;

export type CheckpointKind = 'best' | 'last';

export const CHECKPOINT_FILES = {
  trainerState: 'trainer_state.json',
  optimizer: 'optimizer.safetensors',
  /** Multi-label: the decision threshold per label tuned on the validation rows (tasks.ts, thresholdsFileSchema). */
  thresholds: 'thresholds.json',
} as const;

/** checkpoints/last/trainer_state.json: where in the run the last checkpoint was taken. */
export const trainerStateSchema = z.object({
  step: z.int().check(z.nonnegative()),
  adamStep: z.int().check(z.nonnegative()),
  dropoutRandom: z.object({ state: z.number(), spare: z.nullable(z.number()) }),
  bestMetric: z.optional(z.number()),
  bestStep: z.optional(z.int().check(z.nonnegative())),
  evalsWithoutImprovement: z.int().check(z.nonnegative()),
  labels: z.array(z.string()).check(z.minLength(1)),
  /** Training time up to this checkpoint, so that a resumed run's elapsed time goes on from it. */
  elapsedSeconds: z.optional(z.number().check(z.nonnegative())),
  /** Regression with --standardize-target: the training targets' mean and standard deviation the model learns against. */
  targetScale: z.optional(z.object({ mean: z.number(), std: z.number().check(z.positive()) })),
});
export type TrainerState = z.infer<typeof trainerStateSchema>;

/** A run file that does not hold what it should: which file, what is wrong, what to do. */
export class DamagedRunFileError extends Error {}

/** A JSON file's content; a missing or unparsable one is a DamagedRunFileError that ends with `advice`. */
function readJson(file: string, advice: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is missing' : `it is not valid JSON (${(e as Error).message})`;
    throw new DamagedRunFileError(`${file} cannot be read: ${why}. ${advice}`);
  }
}

function readJsonFile<T>(file: string, schema: z.ZodMiniType<T>, advice: string): T {
  const raw = readJson(file, advice);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new DamagedRunFileError(`${file} is damaged: ${describeIssues(parsed.error.issues, raw)}. ${advice}`);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// train-config.json: the run's recipe, versioned

/**
 * The version of train-config.json this BERT Tune writes. Files without `schemaVersion` are
 * version 0 (written before it existed); their fields are today's, minus any added since.
 * Raise it only for a change older readers must not misread (a field that changes meaning):
 * a new field with a default needs no new version, since defaults are merged on read.
 */
export const RUN_CONFIG_VERSION = 1;

/** What to do about a bad train-config.json, by who wrote it. */
const CONFIG_ADVICE: Record<WrittenBy, string> = {
  trainer: "It holds the run's settings: restore it (from version control or a backup), or start a new run.",
  person: 'Fix it and run again.',
};

/** The text of a train-config.json for `config`, as the trainer and Import Run write it. */
export function runConfigText(config: TrainConfig): string {
  return JSON.stringify({ schemaVersion: RUN_CONFIG_VERSION, ...config }, null, 2) + '\n';
}

/**
 * A train-config.json's content as a TrainConfig: today's defaults under what the file says
 * (so a setting added since the run was written takes its default instead of making the run
 * unreadable), then validated. A file from a newer version is refused with what to do.
 */
export function parseRunConfig(raw: unknown, file: string, written: WrittenBy = 'trainer'): TrainConfig {
  // A run's own file is damaged when wrong; a recipe a person wrote (export-script --config) just needs fixing.
  const wrong = written === 'trainer' ? `${file} is damaged: ` : `${file}: `;
  const advice = CONFIG_ADVICE[written];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DamagedRunFileError(`${wrong}it holds no settings object. ${advice}`);
  const { schemaVersion = 0, ...fields } = raw as Record<string, unknown>;
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 0) {
    throw new DamagedRunFileError(`${wrong}its schemaVersion is ${JSON.stringify(schemaVersion)}, not a version number. ${advice}`);
  }
  if (schemaVersion > RUN_CONFIG_VERSION) {
    throw new DamagedRunFileError(
      `${file} was written by a newer BERT Tune (settings version ${schemaVersion}; this one reads up to ${RUN_CONFIG_VERSION}): update the extension to open this run.`,
    );
  }
  const merged = { ...TRAIN_DEFAULTS, ...fields };
  const parsed = trainConfigSchema.safeParse(merged);
  if (!parsed.success) throw new DamagedRunFileError(`${wrong}${describeIssues(parsed.error.issues, merged)}. ${advice}`);
  return parsed.data;
}

/** The run's train-config.json, read as `parseRunConfig` says; a damaged one is a DamagedRunFileError that says so. */
export function readRunConfig(runDir: string): TrainConfig {
  return readRunConfigFile(path.join(runDir, RUN_FILES.config));
}

/** Who wrote a train-config.json: the trainer (a run's), or a person (a recipe for export-script --config). */
export type WrittenBy = 'trainer' | 'person';

export function readRunConfigFile(file: string, written: WrittenBy = 'trainer'): TrainConfig {
  return parseRunConfig(readJson(file, CONFIG_ADVICE[written]), file, written);
}

export function readTrainerState(checkpoint: string): TrainerState {
  return readJsonFile(
    path.join(checkpoint, CHECKPOINT_FILES.trainerState),
    trainerStateSchema,
    'Resuming needs it: restore the checkpoint, or start a new run from checkpoints/best as the base model.',
  );
}

// ---------------------------------------------------------------------------------------------
// metrics.jsonl: the run's messages, one JSON object a line (src/shared/trainerProtocol.ts)

/**
 * What a reader may fill in when a message lacks a field: the parts a panel or a summary can do
 * without (an evaluation with no per-class table still has its accuracy). Fields added to the
 * protocol later are optional; this is for the lines that are not quite what today's schema says.
 */
const MESSAGE_FALLBACKS: Partial<Record<FromTrainer['type'], Record<string, unknown>>> = {
  started: { backendNotes: [], labels: [], parameters: 0 },
  evaluation: { perClass: [], confusion: [], misclassified: [], isBest: false },
};

export interface RunMessages {
  messages: FromTrainer[];
  /** The lines that could not be read, with why: counted and named, never dropped silently. */
  unread: { line: number; reason: string }[];
}

/**
 * Reads a run's metrics.jsonl leniently: unknown fields are ignored, a message that lacks a
 * field the readers can do without is filled in, and whatever is still unreadable (a line cut
 * by a crash, a kind of message of a newer version) is listed in `unread`.
 */
export function readRunMessages(runDir: string): RunMessages {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, RUN_FILES.metrics), 'utf8');
  } catch {
    return { messages: [], unread: [] };
  }
  return parseRunMessages(text);
}

export function parseRunMessages(text: string): RunMessages {
  const out: RunMessages = { messages: [], unread: [] };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const cutOff = i === lines.length - 1; // no newline after it: the writer was interrupted
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      out.unread.push({ line: i + 1, reason: cutOff ? 'cut off: the run was interrupted while writing it' : 'not valid JSON' });
      return;
    }
    const message = readMessage(raw);
    if (typeof message === 'string') out.unread.push({ line: i + 1, reason: message });
    else out.messages.push(message);
  });
  return out;
}

function readMessage(raw: unknown): FromTrainer | string {
  const strict = fromTrainerSchema.safeParse(raw);
  if (strict.success) return strict.data;
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  const fallback = typeof type === 'string' ? MESSAGE_FALLBACKS[type as FromTrainer['type']] : undefined;
  if (fallback) {
    const lenient = fromTrainerSchema.safeParse({ ...fallback, ...(raw as object) });
    if (lenient.success) return lenient.data;
  }
  if (typeof type !== 'string') return 'not a message (it has no "type")';
  const known = fromTrainerSchema.def.options.some(o => o.shape.type.def.values.includes(type as never));
  return known
    ? `a "${type}" message that does not hold what one should: ${describeIssues(strict.error.issues, raw)}`
    : `a kind of message this version does not know ("${type}"; written by a newer BERT Tune?)`;
}

export function checkpointDir(runDir: string, kind: CheckpointKind): string {
  return path.join(runDir, RUN_FILES.checkpoints, kind);
}

/**
 * The siblings `writeFolderAtomically` makes beside a folder while replacing it: `.<name>.tmp-<tag>`
 * (the new contents, complete once the first rename starts) and `.<name>.old-<tag>` (the previous
 * folder, between the two renames). The tag starts with the writer's pid.
 */
export function leftoverName(folder: string, stage: 'tmp' | 'old', tag: string): string {
  return `.${folder}.${stage}-${tag}`;
}

export interface Leftover {
  path: string;
  stage: 'tmp' | 'old';
  tag: string;
  pid: number;
}

export function leftoversOf(dir: string): Leftover[] {
  const parent = path.dirname(dir);
  const prefix = `.${path.basename(dir)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const out: Leftover[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(tmp|old)-((\d+)-[0-9a-f]+)$/.exec(name.slice(prefix.length));
    if (m) out.push({ path: path.join(parent, name), stage: m[1] as 'tmp' | 'old', tag: m[2], pid: Number(m[3]) });
  }
  return out;
}

/**
 * The folder a checkpoint would be after recovery: itself, or the newest complete copy an
 * interrupted save left beside it (a `.tmp` whose `.old` twin exists was complete, since the old
 * folder moves aside only after the new one is flushed; a lone `.old` is the previous folder).
 */
export function recoverableCheckpoint(dir: string): string | undefined {
  if (isRealDirectory(dir)) return dir;
  const leftovers = leftoversOf(dir).filter(l => isRealDirectory(l.path));
  const olds = new Set(leftovers.filter(l => l.stage === 'old').map(l => l.tag));
  return leftovers.find(l => l.stage === 'tmp' && olds.has(l.tag))?.path ?? leftovers.find(l => l.stage === 'old')?.path;
}

/** True when a run can be resumed: a last checkpoint with its trainer state, or one a crash left. */
export function hasResumableCheckpoint(runDir: string): boolean {
  const dir = recoverableCheckpoint(checkpointDir(runDir, 'last'));
  return !!dir && fs.existsSync(path.join(dir, CHECKPOINT_FILES.trainerState));
}

// ---------------------------------------------------------------------------------------------
// Links

export function isSymbolicLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function isRealDirectory(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Is `child` (an existing path) inside `parent` once both are resolved to their real paths? */
export function isInsideRealPath(parent: string, child: string): boolean {
  let realParent: string;
  let realChild: string;
  try {
    realParent = fs.realpathSync(parent);
    realChild = fs.realpathSync(child);
  } catch {
    return false;
  }
  const rel = path.relative(realParent, realChild);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export class LinkRefusedError extends Error {}

/**
 * Refuses to go on when any of `names` (paths relative to `dir`) is a symbolic link: a run
 * folder the trainer writes must hold only real files and folders.
 */
export function assertNoLinks(dir: string, names: readonly string[]): void {
  for (const name of names) {
    const file = path.join(dir, name);
    if (isSymbolicLink(file)) {
      throw new LinkRefusedError(
        `${file} is a symbolic link (to ${safeReadLink(file)}); BERT Tune never writes through links in a run folder. Remove the link, or train into another folder.`,
      );
    }
  }
}

function safeReadLink(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return 'somewhere else';
  }
}

/** Flags for appending to a file that must not be a link (no O_NOFOLLOW on Windows: checked with lstat first). */
export const APPEND_NO_FOLLOW = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0);

// ---------------------------------------------------------------------------------------------
// The lock: one trainer per run folder.

export const RUN_LOCK_VERSION = 1;

export interface RunLock {
  schemaVersion: number;
  pid: number;
  host: string;
  startedAt: string;
}

export function readRunLock(runDir: string): RunLock | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.lock), 'utf8')) as Partial<RunLock>;
    if (typeof raw.pid !== 'number' || typeof raw.host !== 'string') return undefined;
    return { schemaVersion: Number(raw.schemaVersion) || 1, pid: raw.pid, host: raw.host, startedAt: String(raw.startedAt ?? '') };
  } catch {
    return undefined;
  }
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The lock of a run another live process holds, or undefined. A lock from this host whose
 * process is gone, or that was taken before the last boot (its pid may name another process
 * now), is stale; a lock from another host (a shared folder) is trusted as held.
 */
export function liveRunLock(runDir: string, self = process.pid): RunLock | undefined {
  const lock = readRunLock(runDir);
  if (!lock || (lock.pid === self && lock.host === os.hostname())) return undefined;
  if (lock.host === os.hostname()) {
    const bootedAt = Date.now() - os.uptime() * 1000;
    if (!processIsAlive(lock.pid) || Date.parse(lock.startedAt) < bootedAt) return undefined;
  }
  return lock;
}

export function describeRunLock(runDir: string, lock: RunLock): string {
  const where = lock.host === os.hostname() ? `process ${lock.pid}` : `process ${lock.pid} on ${lock.host}`;
  return `${runDir} is being trained by ${where} (since ${lock.startedAt || 'an unknown time'}): stop that run first. If no such process runs any more, delete ${path.join(runDir, RUN_FILES.lock)}.`;
}

/** notes.json: a run's title and note, written by the extension when the user renames or annotates it. */
export const RUN_NOTES_VERSION = 1;
export const RUN_NOTE_LIMITS = { title: 120, note: 4000 } as const;

export const runNotesSchema = z.object({
  schemaVersion: z.number(),
  title: z.optional(z.string()),
  note: z.optional(z.string()),
});
export interface RunNotes {
  title?: string;
  note?: string;
}

/** The run's title and note; nothing when there are none or the file cannot be read (notes never stop a run from opening). */
export function readRunNotes(runDir: string): RunNotes {
  try {
    const parsed = runNotesSchema.safeParse(JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.notes), 'utf8')));
    if (!parsed.success) return {};
    const { title, note } = parsed.data;
    return { ...(title?.trim() ? { title: title.trim() } : {}), ...(note?.trim() ? { note: note.trim() } : {}) };
  } catch {
    return {};
  }
}

/**
 * Writes notes.json atomically (a temporary file renamed over it), never through a link; empty
 * fields are dropped, and with neither left the file goes.
 */
export function writeRunNotes(runDir: string, notes: RunNotes): void {
  const title = notes.title?.trim();
  const note = notes.note?.trim();
  if (title && title.length > RUN_NOTE_LIMITS.title) throw new Error(`a run's name takes at most ${RUN_NOTE_LIMITS.title} characters, not ${title.length}`);
  if (note && note.length > RUN_NOTE_LIMITS.note) throw new Error(`a run's note takes at most ${RUN_NOTE_LIMITS.note} characters, not ${note.length}`);
  assertNoLinks(runDir, [RUN_FILES.notes]);
  const file = path.join(runDir, RUN_FILES.notes);
  if (!title && !note) return fs.rmSync(file, { force: true });
  const tmp = path.join(runDir, `.${RUN_FILES.notes}.tmp-${process.pid}`);
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, JSON.stringify({ schemaVersion: RUN_NOTES_VERSION, ...(title ? { title } : {}), ...(note ? { note } : {}) }, null, 2) + '\n', {
    flag: 'wx',
  });
  fs.renameSync(tmp, file);
}

/**
 * What a run's diagnosis names as causes (shared/runDiagnosis.ts): its learning rate, and
 * whether it started from random weights, which the extension keeps in the run's own folder.
 */
export function diagnosisContext(config: TrainConfig | undefined, runDir: string): { learningRate?: number; fromScratch?: boolean } {
  if (!config) return {};
  return { learningRate: config.learningRate, fromScratch: path.dirname(path.resolve(config.model)) === path.resolve(runDir) };
}
