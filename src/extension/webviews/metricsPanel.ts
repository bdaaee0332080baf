/**
 * Host side of the metrics panels: one panel per run. The host keeps every message of the run
 * (metrics.jsonl for what happened before, the trainer's messages as they come) and sends the
 * lot when a panel (re)loads, then appends, batched to a few updates a second.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FromTrainer } from '../../shared/trainerProtocol';
import { headlineMetric, metricValue } from '../../shared/metrics';
import { fromMetricsWebviewSchema, type RunInfo, type ToMetricsWebview } from '../../shared/webviews/metricsPanelProtocol';
import { readMessages, type RunSummary } from '../runs/runStore';
import type { RunsTreeProvider } from '../runs/runsTreeProvider';
import type { TrainingManager } from '../training/trainingManager';
import { webviewHtml, webviewOptions } from './webviewHtml';
import { diagnosisContext, hasResumableCheckpoint } from '../../shared/runFolder';

export const METRICS_VIEW_TYPE = 'bertTune.metrics';
const FLUSH_MS = 250;

class RunPanel {
  readonly panel: vscode.WebviewPanel;
  messages: FromTrainer[];
  private pending: FromTrainer[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Test hook: how many messages the webview has been sent. */
  sent = 0;

  constructor(
    readonly run: RunSummary,
    extensionUri: vscode.Uri,
    private readonly host: MetricsPanels,
  ) {
    this.messages = readMessages(run.dir);
    this.panel = vscode.window.createWebviewPanel(METRICS_VIEW_TYPE, `Metrics: ${run.label}`, vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      retainContextWhenHidden: false,
    });
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'metrics', `Metrics: ${run.label}`);
    this.panel.webview.onDidReceiveMessage(raw => this.onMessage(raw));
  }

  info(): RunInfo {
    const status = this.host.training.current?.runDir === this.run.dir ? 'running' : this.host.statusOf(this.run.dir);
    return {
      name: this.run.label,
      dir: this.run.dir,
      status,
      dataFile: this.run.config?.data,
      metricForBest: this.run.config?.metricForBest,
      resumable: hasResumableCheckpoint(this.run.dir),
      ...diagnosisContext(this.run.config, this.run.dir),
    };
  }

  append(m: FromTrainer): void {
    if (m.type === 'started' && m.resumedFromStep !== undefined) {
      // A resume cut metrics.jsonl back to its checkpoint's step (the later steps are trained
      // again): start the panel over from the file, or its curves would fold back on themselves.
      this.messages = readMessages(this.run.dir);
      if (this.messages.at(-1)?.type !== 'started') this.messages.push(m);
      this.pending = [];
      clearTimeout(this.timer);
      this.timer = undefined;
      this.sendAll();
      return;
    }
    this.messages.push(m);
    this.pending.push(m);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /**
   * The run's record, metrics.jsonl, read again: once a run ends, the panel shows what the file
   * holds (a panel opened while the run trained saw part of it from the file, part live).
   */
  reload(): void {
    this.messages = readMessages(this.run.dir);
    this.pending = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sendAll();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    this.post({ type: 'append', messages: this.pending });
    this.sent += this.pending.length;
    this.pending = [];
  }

  private sendAll(): void {
    this.post({ type: 'init', run: this.info(), messages: this.messages, comparable: this.host.comparable(this.run) });
    this.sent = this.messages.length;
  }

  /** The run's status now, and whether it can be resumed. */
  postStatus(): void {
    const { status, resumable } = this.info();
    this.post({ type: 'status', status, resumable });
  }

  post(m: ToMetricsWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private onMessage(raw: unknown): void {
    const parsed = fromMetricsWebviewSchema.safeParse(raw);
    if (!parsed.success) return this.host.log(`metrics panel: ignored an invalid message: ${parsed.error.message}`);
    const msg = parsed.data;
    switch (msg.type) {
      case 'ready':
        // A (re)loaded webview gets everything; what was pending is part of it.
        this.pending = [];
        clearTimeout(this.timer);
        this.timer = undefined;
        this.sendAll();
        return;
      case 'stop':
        if (this.host.training.current?.runDir === this.run.dir) void this.host.training.stop();
        return;
      case 'resume':
        // The command checks the folder, its lock and its checkpoint, and says why when it cannot.
        if (this.host.training.refuseIfBusy()) return this.postStatus();
        // Resolves when the resumed run ends, or at once when it is refused: either way the panel learns the status.
        void vscode.commands.executeCommand('bertTune.runs.resume', vscode.Uri.file(this.run.dir)).then(() => this.postStatus());
        return;
      case 'openRow': {
        // Misclassified lines are the validation rows' lines: a file of their own, or the data's split.
        const file = this.run.config?.validationData ?? this.run.config?.data;
        if (!file) return;
        const line = msg.line - 1;
        void vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.Beside });
        return;
      }
      case 'compare':
        this.post({ type: 'compare', series: msg.runs.map(name => this.host.accuracySeries(this.run, name)).filter(s => s !== undefined) });
        return;
    }
  }
}

export class MetricsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, RunPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    readonly training: TrainingManager,
    private readonly runs: RunsTreeProvider,
    readonly log: (line: string) => void,
  ) {
    this.disposables.push(
      training.onDidReceiveMessage(({ runDir, message }) => this.panels.get(runDir)?.append(message)),
      training.onDidFinish(outcome => {
        const p = this.panels.get(outcome.runDir);
        p?.reload();
        p?.postStatus();
      }),
    );
  }

  /** Opens (or reveals) the panel of a run. */
  show(run: RunSummary): RunPanel {
    this.training.panelShown(run.dir);
    let p = this.panels.get(run.dir);
    if (p) {
      // A run that is not training is what its file says (the panel may have been opened while it trained).
      if (this.training.current?.runDir !== run.dir) p.reload();
      p.panel.reveal();
      return p;
    }
    p = new RunPanel(run, this.extensionUri, this);
    this.panels.set(run.dir, p);
    p.panel.onDidDispose(() => this.panels.delete(run.dir));
    // Opened before training began (at the estimate): the notification would come after it.
    p.panel.onDidChangeViewState(e => e.webviewPanel.visible && this.training.panelShown(run.dir));
    return p;
  }

  get(runDir: string): RunPanel | undefined {
    return this.panels.get(runDir);
  }

  statusOf(runDir: string): RunInfo['status'] {
    return this.runs.runs().find(r => r.dir === runDir)?.status ?? 'interrupted';
  }

  /** Other runs on the same data file. */
  comparable(run: RunSummary): string[] {
    // A run with no evaluation (failed or cancelled early) has no curve to overlay.
    return this.runs
      .runs()
      .filter(r => r.dir !== run.dir && r.config?.data === run.config?.data && r.accuracy !== undefined)
      .map(r => r.name);
  }

  accuracySeries(run: RunSummary, name: string): { name: string; accuracy: [number, number][] } | undefined {
    const other = this.runs.runs().find(r => r.name === name && path.dirname(r.dir) === path.dirname(run.dir));
    if (!other) return undefined;
    const evals = readMessages(other.dir).filter((m): m is Extract<FromTrainer, { type: 'evaluation' }> => m.type === 'evaluation');
    return { name, accuracy: evals.map(e => [e.step, metricValue(e, headlineMetric(e))]) };
  }

  dispose(): void {
    this.panels.forEach(p => p.panel.dispose());
    this.disposables.forEach(d => d.dispose());
  }
}
