/**
 * Host side of the dataset summary panel: one panel, showing one dataset at a time. The host owns
 * the state and sends it whole whenever it changes or the webview (re)loads.
 */
import * as vscode from 'vscode';
import type { DatasetCatalog, DatasetEntry } from '../datasets/datasetCatalog';
import { fromSummaryWebviewSchema, type SummaryState, type ToSummaryWebview } from '../../shared/webviews/datasetSummaryProtocol';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const DATASET_SUMMARY_VIEW_TYPE = 'bertTune.datasetSummary';

export class DatasetSummaryPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private uri: vscode.Uri | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly catalog: DatasetCatalog,
    private readonly log: (line: string) => void,
  ) {
    this.disposables.push(
      catalog.onDidChange(entry => {
        if (!this.uri || (entry && entry.uri.toString() !== this.uri.toString())) return;
        this.postState();
      }),
    );
  }

  show(uri: vscode.Uri): void {
    this.uri = uri;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(DATASET_SUMMARY_VIEW_TYPE, 'Dataset', vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
      this.panel.webview.html = webviewHtml(this.panel.webview, this.extensionUri, 'datasetSummary', 'Dataset summary');
      this.panel.webview.onDidReceiveMessage(raw => this.onMessage(raw), undefined, this.disposables);
      this.panel.onDidDispose(() => (this.panel = undefined), undefined, this.disposables);
    } else {
      this.panel.reveal();
    }
    this.panel.title = `Dataset: ${vscode.workspace.asRelativePath(uri, false).split('/').pop()}`;
    this.postState();
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach(d => d.dispose());
  }

  private state(): SummaryState | undefined {
    if (!this.uri) return undefined;
    const entry: DatasetEntry | undefined = this.catalog.get(this.uri);
    const relativePath = vscode.workspace.asRelativePath(this.uri);
    if (!entry) return { relativePath, status: 'failed', message: 'This file is no longer in the workspace.' };
    const s = entry.state;
    if (s.status === 'ready') return { relativePath, status: 'ready', info: s.info };
    if (s.status === 'failed') return { relativePath, status: 'failed', message: s.message };
    return { relativePath, status: 'pending' };
  }

  private postState(): void {
    const state = this.state();
    if (!this.panel || !state) return;
    const message: ToSummaryWebview = { type: 'state', state };
    void this.panel.webview.postMessage(message);
  }

  private onMessage(raw: unknown): void {
    const parsed = fromSummaryWebviewSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`dataset summary: ignored an invalid message from the webview: ${parsed.error.message}`);
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'ready') this.postState();
    else if (msg.type === 'openFile' && this.uri) {
      const line = (msg.line ?? 1) - 1;
      void vscode.window.showTextDocument(this.uri, { selection: new vscode.Range(line, 0, line, 0), viewColumn: vscode.ViewColumn.Beside });
    }
  }
}
