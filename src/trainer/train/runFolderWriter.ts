/**
 * The trainer's hold on a run folder for the length of a run: the lock (one trainer per folder),
 * the recovery of a checkpoint save a kill interrupted, and the two append-only files (log.txt,
 * metrics.jsonl), opened once, never through a link, their torn tails mended before anything
 * is added to them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  APPEND_NO_FOLLOW,
  RUN_FILES,
  RUN_LOCK_VERSION,
  assertNoLinks,
  checkpointDir,
  describeRunLock,
  hasResumableCheckpoint,
  liveRunLock,
  type RunLock,
} from '../../shared/runFolder';
import { recoverFolder } from '../checkpoint/atomicFolder';

/** What a run folder may hold that the trainer writes: none of it may be a link. */
const WRITTEN = [
  RUN_FILES.config,
  RUN_FILES.log,
  RUN_FILES.metrics,
  RUN_FILES.lock,
  RUN_FILES.checkpoints,
  path.join(RUN_FILES.checkpoints, 'best'),
  path.join(RUN_FILES.checkpoints, 'last'),
];

/**
 * Control characters (a CSV cell's newline, a terminal escape) written as visible escapes, so
 * that one message is one line of the log and nothing in it acts on the terminal that shows it.
 */
export function escapeLogText(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this replaces
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, c => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export class RunFolderWriter {
  private logFd: number | undefined;
  private metricsFd: number | undefined;
  private released = false;
  private readonly releaseOnExit = () => this.releaseLock();

  private constructor(
    readonly dir: string,
    readonly notices: string[],
  ) {
    process.on('exit', this.releaseOnExit);
  }

  /**
   * Locks `dir` (made if missing), recovers interrupted checkpoint saves and cleans their
   * leftovers. A folder that is not this run (whyNotRunFolder) is refused before anything in it
   * is touched.
   */
  static async open(dir: string, run: { resume: boolean; baseModel?: string }): Promise<RunFolderWriter> {
    const refused = whyNotRunFolder(dir, run);
    if (refused) throw new Error(refused);
    fs.mkdirSync(dir, { recursive: true });
    assertNoLinks(dir, WRITTEN);
    acquireLock(dir);
    const writer = new RunFolderWriter(dir, []);
    try {
      for (const kind of ['last', 'best'] as const) {
        const notice = await recoverFolder(checkpointDir(dir, kind));
        if (notice) writer.notices.push(notice);
      }
    } catch (e) {
      writer.close();
      throw e;
    }
    return writer;
  }

  appendLog(line: string): void {
    this.logFd ??= openForAppend(path.join(this.dir, RUN_FILES.log), 'text');
    fs.writeSync(this.logFd, `${escapeLogText(line)}\n`);
  }

  appendMetrics(message: object): void {
    this.metricsFd ??= openForAppend(path.join(this.dir, RUN_FILES.metrics), 'jsonl');
    fs.writeSync(this.metricsFd, JSON.stringify(message) + '\n');
  }

  /**
   * On resume: forgets the messages of steps after `step` (they were trained after the last
   * checkpoint and are trained again now), so the curves do not fold back on themselves.
   */
  truncateMetricsAfter(step: number): number {
    if (this.metricsFd !== undefined) throw new Error('truncateMetricsAfter must come before the first metrics message');
    const file = path.join(this.dir, RUN_FILES.metrics);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return 0;
    }
    const kept: string[] = [];
    let dropped = 0;
    for (const line of completeLines(text, 'jsonl')) {
      let laterStep = false;
      try {
        const m = JSON.parse(line) as { step?: unknown };
        laterStep = typeof m.step === 'number' && m.step > step;
      } catch {
        /* an unreadable line stays for a reader to skip; it is not ours to judge */
      }
      if (laterStep) dropped++;
      else kept.push(line);
    }
    if (dropped) writeFileReplacingAtomically(file, kept.map(l => l + '\n').join(''));
    return dropped;
  }

  close(): void {
    for (const fd of [this.logFd, this.metricsFd]) if (fd !== undefined) fs.closeSync(fd);
    this.logFd = this.metricsFd = undefined;
    this.releaseLock();
    process.off('exit', this.releaseOnExit);
  }

  private releaseLock(): void {
    if (this.released) return;
    this.released = true;
    const file = path.join(this.dir, RUN_FILES.lock);
    try {
      const lock = JSON.parse(fs.readFileSync(file, 'utf8')) as RunLock;
      if (lock.pid === process.pid && lock.host === os.hostname()) fs.unlinkSync(file);
    } catch {
      /* gone already */
    }
  }
}

/**
 * Why `dir` cannot take this run, or undefined. A resume needs a run's train-config.json; a new
 * run needs an absent or empty folder (but for its own base model, which a from-scratch run
 * keeps there): anything else is another run or another tool's files, which a run would replace
 * (its checkpoints) or add to (its log.txt).
 */
export function whyNotRunFolder(dir: string, run: { resume: boolean; baseModel?: string }): string | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return run.resume ? `${dir} does not exist: nothing to resume.` : undefined;
    if (code === 'ENOTDIR') return `${dir} is a file, not a folder: choose a folder for the run.`;
    throw e;
  }
  try {
    assertNoLinks(dir, WRITTEN);
  } catch (e) {
    return (e as Error).message;
  }
  const isRun = entries.includes(RUN_FILES.config);
  if (run.resume)
    return isRun ? undefined : `${dir} is not a BERT Tune run (it has no ${RUN_FILES.config}): nothing to resume. Start a new run there with --out instead.`;
  const own = run.baseModel && path.resolve(path.dirname(run.baseModel)) === path.resolve(dir) ? path.basename(run.baseModel) : undefined;
  // A run another trainer is starting or training: say so, not how an ended run ended. A lock
  // whose process is gone (a kill -9 before its first write) is a leftover, taken over.
  const live = liveRunLock(dir);
  if (live) return describeRunLock(dir, live);
  const others = entries.filter(e => e !== own && e !== RUN_FILES.lock);
  if (!others.length) return undefined;
  if (isRun)
    return hasResumableCheckpoint(dir)
      ? `${dir} already holds a training run: choose another --out folder, or continue that run with --resume`
      : `${dir} already holds a training run that ended before its first checkpoint: train it again with --resume (from step 0, with its saved settings), or choose another --out folder`;
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? `, and ${others.length - 5} more` : '');
  return `${dir} is not empty (${shown}) and is not a BERT Tune run: a run there would replace its checkpoints and add to its log.txt. Choose a new or empty --out folder.`;
}

function acquireLock(dir: string): void {
  const file = path.join(dir, RUN_FILES.lock);
  const lock: RunLock = { schemaVersion: RUN_LOCK_VERSION, pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      // "wx": O_CREAT | O_EXCL, which also fails on a link of that name, dangling or not.
      fs.writeFileSync(file, JSON.stringify(lock) + '\n', { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const live = liveRunLock(dir);
      if (live) throw new Error(describeRunLock(dir, live));
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
}

/**
 * Opens an append-only file of the run, refusing a link, and mends a torn tail a crash (or a
 * full disk) left: a JSON line cut short is dropped, a text line cut short is ended, so the next
 * message starts a line of its own.
 */
function openForAppend(file: string, kind: 'text' | 'jsonl'): number {
  assertNoLinks(path.dirname(file), [path.basename(file)]);
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  const fd = fs.openSync(file, APPEND_NO_FOLLOW, 0o644);
  if (text && !text.endsWith('\n')) {
    if (kind === 'text') fs.writeSync(fd, '\n');
    else {
      const cut = text.lastIndexOf('\n') + 1;
      const tail = text.slice(cut);
      if (isJson(tail)) fs.writeSync(fd, '\n');
      else fs.ftruncateSync(fd, Buffer.byteLength(text.slice(0, cut)));
    }
  }
  return fd;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function completeLines(text: string, kind: 'jsonl'): string[] {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  if (kind === 'jsonl' && last && isJson(last)) lines.push(last);
  return lines.filter(l => l.trim());
}

/** tmp + rename; the tmp is made with O_EXCL, so a link planted under its name is not followed. */
export function writeFileReplacingAtomically(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, content, { flag: 'wx' });
  fs.renameSync(tmp, file);
}
