/**
 * Host side of the evaluation panels: one per model and file. The host keeps the evaluation and
 * sends it whenever the webview (re)loads; a new evaluation of the same pair replaces it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fromEvaluationWebviewSchema, type Evaluated, type ToEvaluationWebview } from '../../shared/webviews/evaluationPanelProtocol';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const EVALUATION_VIEW_TYPE = 'bertTune.evaluation';

class EvaluationPanel {
  readonly panel: vscode.WebviewPanel;

  constructor(
    public evaluated: Evaluated,
    extensionUri: vscode.Uri,
    private readonly again: (e: Evaluated) => void,
    private readonly log: (line: string) => void,
  ) {
    const title = `Evaluation: ${evaluated.modelName} on ${path.basename(evaluated.file)}`;
    this.panel = vscode.window.createWebviewPanel(EVALUATION_VIEW_TYPE, title, vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      retainContextWhenHidden: false,
    });
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'evaluation', title);
    this.panel.webview.onDidReceiveMessage(raw => this.onMessage(raw));
  }

  show(evaluated: Evaluated): void {
    this.evaluated = evaluated;
    this.post({ type: 'show', evaluated });
  }

  private post(m: ToEvaluationWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private onMessage(raw: unknown): void {
    const parsed = fromEvaluationWebviewSchema.safeParse(raw);
    if (!parsed.success) return this.log(`evaluation panel: ignored an invalid message: ${parsed.error.message}`);
    const msg = parsed.data;
    if (msg.type === 'ready') return this.post({ type: 'show', evaluated: this.evaluated });
    if (msg.type === 'again') return this.again(this.evaluated);
    const line = msg.line - 1;
    void vscode.window.showTextDocument(vscode.Uri.file(this.evaluated.file), {
      selection: new vscode.Range(line, 0, line, 0),
      viewColumn: vscode.ViewColumn.Beside,
    });
  }
}

export class EvaluationPanels implements vscode.Disposable {
  private readonly panels = new Map<string, EvaluationPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly again: (e: Evaluated) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** Shows an evaluation: in the panel of its model and file when one is open, else in a new one. */
  show(evaluated: Evaluated): void {
    const key = `${evaluated.modelRef}\n${evaluated.file}`;
    const open = this.panels.get(key);
    if (open) {
      open.show(evaluated);
      open.panel.reveal();
      return;
    }
    const p = new EvaluationPanel(evaluated, this.extensionUri, this.again, this.log);
    this.panels.set(key, p);
    p.panel.onDidDispose(() => this.panels.delete(key));
  }

  /** Test hook: what the open panels show. */
  shown(): Evaluated[] {
    return [...this.panels.values()].map(p => p.evaluated);
  }

  dispose(): void {
    this.panels.forEach(p => p.panel.dispose());
  }
}
