/** The Runs view: every training run of the workspace, with its status, best metric and date. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingManager } from '../training/trainingManager';
import type { ActiveModel } from '../predict/activeModel';
import { RUN_FILES } from '../../shared/runFolder';
import { describeBest, describeRunSetup, listRuns, runContextValue, RUNS_FOLDER, type RunStatus, type RunSummary } from './runStore';

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface RunNode {
  run: RunSummary;
}

const ICONS: Record<RunStatus, [string, string | undefined]> = {
  running: ['sync~spin', undefined],
  completed: ['pass', 'testing.iconPassed'],
  stopped: ['debug-stop', 'list.warningForeground'],
  failed: ['error', 'list.errorForeground'],
  interrupted: ['warning', 'list.warningForeground'],
};

export class RunsTreeProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly training: TrainingManager,
    private readonly activeModel: ActiveModel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(
      `**/${RUNS_FOLDER.split(path.sep).join('/')}/*/{${RUN_FILES.metrics},${RUN_FILES.config},${RUN_FILES.lock}}`,
    );
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refreshSoon()),
      watcher.onDidChange(() => this.refreshSoon()),
      watcher.onDidDelete(() => this.refreshSoon()),
      training.onDidChange(() => this.refreshSoon()),
      activeModel.onDidChange(() => this.refreshSoon()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refreshSoon()),
    );
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  /** metrics.jsonl grows every step: coalesce the updates. */
  private refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, 500);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.disposables.forEach(d => d.dispose());
  }

  runs(): RunSummary[] {
    const running = new Set(this.training.current ? [this.training.current.runDir] : []);
    return (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file').flatMap(f => listRuns(f.uri.fsPath, running));
  }

  getChildren(node?: RunNode): RunNode[] {
    return node ? [] : this.runs().map(run => ({ run }));
  }

  getTreeItem({ run }: RunNode): vscode.TreeItem {
    const item = new vscode.TreeItem(run.label);
    item.id = run.dir;
    item.resourceUri = vscode.Uri.file(run.dir);
    const [icon, color] = ICONS[run.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const parts: string[] = [run.status === 'completed' ? 'done' : run.status];
    if (run.status === 'running' && run.step !== undefined && run.totalSteps) parts.push(`${Math.floor((100 * run.step) / run.totalSteps)}%`);
    // The number of the checkpoint predictions use, not of the last evaluation (they differ).
    if (run.best) parts.push(describeBest(run.best));
    else if (run.accuracy !== undefined) parts.push(`accuracy ${(100 * run.accuracy).toFixed(1)}%`);
    const predicting = isInside(run.dir, this.activeModel.current?.ref);
    if (predicting) parts.push('used for predictions');
    parts.push(run.startedAt.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' }));
    item.description = parts.join(' · ');
    item.contextValue = runContextValue(run);
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown('**').appendText(run.label).appendMarkdown('**\n\n');
    tip.appendText(`Folder: ${run.name}`).appendMarkdown('\n\n');
    if (run.note) tip.appendText(run.note).appendMarkdown('\n\n');
    if (run.config) tip.appendText(describeRunSetup(run.config, run.dir, run.family)).appendMarkdown('\n\n');
    if (run.best)
      tip
        .appendText(`${capitalise(describeBest(run.best))} at step ${run.best.step}: the checkpoint predictions use (checkpoints/best).`)
        .appendMarkdown('\n\n');
    if (run.best && run.accuracy !== undefined && run.lastStep !== run.best.step)
      tip.appendText(`Last evaluation (step ${run.lastStep}): accuracy ${(100 * run.accuracy).toFixed(1)}%.`).appendMarkdown('\n\n');
    if (run.lockedBy)
      tip
        .appendText(`Being trained by process ${run.lockedBy.pid} on ${run.lockedBy.host} (the CLI or another window), since ${run.lockedBy.startedAt}.`)
        .appendMarkdown('\n\n');
    if (predicting) tip.appendText(`Predictions use this run's model (${path.relative(run.dir, this.activeModel.current!.ref)}).`).appendMarkdown('\n\n');
    if (run.reason) tip.appendText(run.reason).appendMarkdown('\n\n');
    for (const problem of run.problems) tip.appendText(`⚠ ${problem}`).appendMarkdown('\n\n');
    for (const d of run.diagnoses) tip.appendText(`⚠ ${d.message}`).appendMarkdown('\n\n');
    item.tooltip = tip;
    item.command = { command: 'bertTune.showMetrics', title: 'Show metrics', arguments: [{ run }] };
    return item;
  }
}

/** Whether `ref` (a model folder) lies inside the run folder `dir`. */
function isInside(dir: string, ref: string | undefined): boolean {
  if (!ref) return false;
  const rel = path.relative(dir, ref);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
