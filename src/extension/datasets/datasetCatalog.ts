/**
 * The workspace's dataset files and what the inspector found in each: kept current through a
 * file watcher, re-inspecting only files whose size or modification time changed.
 */
import * as vscode from 'vscode';
import type { DatasetInfo } from '../../shared/dataset';
import { DATASET_GLOB, findDatasetFiles, isSkippedPath } from './datasetFiles';
import type { DatasetInspectorClient, InspectOutcome } from './inspectorClient';

export type DatasetState = { status: 'pending' } | { status: 'ready'; info: DatasetInfo } | { status: 'failed'; message: string };

export interface DatasetEntry {
  readonly uri: vscode.Uri;
  readonly relativePath: string;
  state: DatasetState;
  /** mtime and size of the inspected version; a change of either means inspect again. */
  stamp?: string;
}

/** Bursts of writes (an export, a `git checkout`) settle before we read. */
const SETTLE_MS = 250;
/** A file that keeps changing while we read it is read this many more times, then shown as last read. */
const MAX_REREADS = 3;

export class DatasetCatalog implements vscode.Disposable {
  private readonly entries = new Map<string, DatasetEntry>();
  private readonly inflight = new Map<string, { abort: AbortController; stamp: string }>();
  /** Inspections under way, counted from their first await so that whenIdle cannot resolve early. */
  private busy = 0;
  private readonly changeTimers = new Map<string, NodeJS.Timeout>();
  private readonly emitter = new vscode.EventEmitter<DatasetEntry | undefined>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  truncated = false;

  /** Fires with the entry that changed, or undefined when the list itself changed. */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly inspector: DatasetInspectorClient) {
    const watcher = vscode.workspace.createFileSystemWatcher(DATASET_GLOB);
    // A file written into a folder created the same instant can slip past the watcher (the
    // folder is watched only once it exists): a new folder, anything without an extension,
    // lists the files again.
    const folders = vscode.workspace.createFileSystemWatcher('**/*', false, true, true);
    this.disposables.push(
      watcher,
      folders,
      folders.onDidCreate(uri => {
        if (!/\.[^/]*$/.test(uri.path.slice(uri.path.lastIndexOf('/'))) && !isSkippedPath(uri)) this.scheduleRefresh();
      }),
      // A new file may be excluded: let findFiles decide, once the burst settles.
      watcher.onDidCreate(() => this.scheduleRefresh()),
      watcher.onDidDelete(uri => this.remove(uri)),
      watcher.onDidChange(uri => this.scheduleInspect(uri)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh()),
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('files.exclude')) this.scheduleRefresh();
      }),
    );
  }

  list(): DatasetEntry[] {
    return [...this.entries.values()].sort((a, b) => a.relativePath.localeCompare(b.relativePath));
  }

  get(uri: vscode.Uri): DatasetEntry | undefined {
    return this.entries.get(uri.toString());
  }

  /** Resolves once no listing or inspection is under way (tests wait on it). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  /** Lists the files again; `force` re-inspects unchanged files too. */
  refresh(force = false): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.doRefresh(force).finally(() => {
      this.refreshing = undefined;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        void this.refresh();
      }
      this.checkIdle();
    });
    return this.refreshing;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const t of this.changeTimers.values()) clearTimeout(t);
    this.refreshTimer = undefined;
    for (const job of this.inflight.values()) job.abort.abort();
    this.inflight.clear();
    this.disposables.forEach(d => d.dispose());
    this.checkIdle();
  }

  private async doRefresh(force: boolean): Promise<void> {
    const { files, truncated } = await findDatasetFiles();
    this.truncated = truncated;
    const seen = new Set<string>();
    let listChanged = false;
    for (const uri of files) {
      const key = uri.toString();
      seen.add(key);
      let entry = this.entries.get(key);
      if (!entry) {
        entry = { uri, relativePath: vscode.workspace.asRelativePath(uri), state: { status: 'pending' } };
        this.entries.set(key, entry);
        listChanged = true;
      }
      void this.inspect(entry, force);
    }
    for (const [key, entry] of this.entries) {
      if (!seen.has(key)) {
        this.forget(entry);
        listChanged = true;
      }
    }
    if (listChanged) this.emitter.fire(undefined);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, SETTLE_MS);
  }

  private scheduleInspect(uri: vscode.Uri): void {
    const key = uri.toString();
    const entry = this.entries.get(key);
    if (!entry || isSkippedPath(uri)) return;
    clearTimeout(this.changeTimers.get(key));
    this.changeTimers.set(
      key,
      setTimeout(() => {
        this.changeTimers.delete(key);
        void this.inspect(entry, false);
      }, SETTLE_MS),
    );
  }

  private remove(uri: vscode.Uri): void {
    const entry = this.entries.get(uri.toString());
    if (!entry) return;
    this.forget(entry);
    this.emitter.fire(undefined);
  }

  private forget(entry: DatasetEntry): void {
    const key = entry.uri.toString();
    this.entries.delete(key);
    this.inflight.get(key)?.abort.abort();
    this.inflight.delete(key);
    clearTimeout(this.changeTimers.get(key));
    this.changeTimers.delete(key);
  }

  private async inspect(entry: DatasetEntry, force: boolean): Promise<void> {
    this.busy++;
    try {
      await this.inspectNow(entry, force);
    } finally {
      this.busy--;
      this.checkIdle();
    }
  }

  private async inspectNow(entry: DatasetEntry, force: boolean): Promise<void> {
    const key = entry.uri.toString();
    let stamp = await this.stampOf(entry);
    if (stamp === undefined) return;
    const running = this.inflight.get(key);
    if (!force && (running ? running.stamp === stamp : stamp === entry.stamp && entry.state.status !== 'pending')) return;
    running?.abort.abort();
    const job = { abort: new AbortController(), stamp };
    this.inflight.set(key, job);
    // A file still being written when we read it would keep a half-read state: watchers often
    // fold "created then written" into one event. Read again until it holds still.
    for (let attempt = 0; ; attempt++) {
      const outcome: InspectOutcome =
        entry.uri.scheme === 'file'
          ? await this.inspector.inspect(entry.uri.fsPath, job.abort.signal)
          : { status: 'failed', message: 'Only files on disk can be inspected.' };
      if (this.inflight.get(key) !== job) return; // superseded by a newer inspection
      const after = outcome.status === 'cancelled' ? undefined : await this.stampOf(entry);
      if (this.inflight.get(key) !== job) return;
      if (after !== undefined && after !== stamp && attempt < MAX_REREADS) {
        stamp = job.stamp = after;
        continue;
      }
      this.inflight.delete(key);
      if (outcome.status === 'cancelled' || after === undefined || this.entries.get(key) !== entry) return;
      entry.state = outcome.status === 'ready' ? { status: 'ready', info: outcome.info } : { status: 'failed', message: outcome.message };
      // Still changing after the last re-read: keep the stamp we read at, so the next event reads again.
      entry.stamp = after === stamp ? after : stamp;
      this.emitter.fire(entry);
      return;
    }
  }

  /** "mtime:size" of the file now, or undefined (and the entry dropped) if it is gone. */
  private async stampOf(entry: DatasetEntry): Promise<string | undefined> {
    try {
      const stat = await vscode.workspace.fs.stat(entry.uri);
      return this.entries.get(entry.uri.toString()) === entry ? `${stat.mtime}:${stat.size}` : undefined;
    } catch {
      // Gone between listing and reading; the watcher's delete event may never come.
      this.remove(entry.uri);
      return undefined;
    }
  }

  private isIdle(): boolean {
    return !this.refreshing && !this.refreshTimer && this.busy === 0 && this.changeTimers.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach(w => w());
  }
}
