/**
 * The one object `activate` builds: every long-lived service of the extension, created once,
 * disposed together on deactivate. Commands receive it instead of reaching for globals.
 */
import * as vscode from 'vscode';
import { DatasetCatalog } from './datasets/datasetCatalog';
import { DatasetsTreeProvider } from './datasets/datasetsTreeProvider';
import { DatasetInspectorClient } from './datasets/inspectorClient';
import { RunsTreeProvider } from './runs/runsTreeProvider';
import { DatasetSummaryPanel } from './webviews/datasetSummaryPanel';

export const VIEW_IDS = { datasets: 'bertTune.datasets', runs: 'bertTune.runs' } as const;

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly inspector: DatasetInspectorClient;
  readonly catalog: DatasetCatalog;
  readonly datasetsTree: DatasetsTreeProvider;
  readonly datasetsView: vscode.TreeView<unknown>;
  readonly summaryPanel: DatasetSummaryPanel;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = this.own(vscode.window.createOutputChannel('BERT Tune', { log: true }));
    const log = (line: string) => this.output.info(line);
    const workerPath = vscode.Uri.joinPath(extension.extensionUri, 'dist', 'datasetInspector.js').fsPath;
    this.inspector = new DatasetInspectorClient(workerPath, log);
    this.own({ dispose: () => this.inspector.dispose() });
    this.catalog = this.own(new DatasetCatalog(this.inspector));
    this.datasetsTree = this.own(new DatasetsTreeProvider(this.catalog));
    this.datasetsView = this.own(vscode.window.createTreeView(VIEW_IDS.datasets, { treeDataProvider: this.datasetsTree, showCollapseAll: true }));
    this.own(vscode.window.registerTreeDataProvider(VIEW_IDS.runs, new RunsTreeProvider()));
    this.summaryPanel = this.own(new DatasetSummaryPanel(extension.extensionUri, this.catalog, log));
    this.own(this.catalog.onDidChange(() => this.updateDatasetsMessage()));
  }

  dispose(): void {
    // Last in, first out: views go before the services they show. splice makes a second call a no-op.
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  private own<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  private updateDatasetsMessage(): void {
    this.datasetsView.message = this.catalog.truncated ? 'Showing the first 5,000 dataset files only.' : undefined;
  }
}
