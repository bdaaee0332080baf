/**
 * The one object `activate` builds: every long-lived service of the extension, created once,
 * disposed together on deactivate. Commands receive it instead of reaching for globals.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DatasetCatalog } from './datasets/datasetCatalog';
import { DatasetsTreeProvider } from './datasets/datasetsTreeProvider';
import { DatasetInspectorClient } from './datasets/inspectorClient';
import { ActiveModel } from './predict/activeModel';
import { InferenceClient } from './predict/inferenceClient';
import { SelectionPredictions } from './predict/selectionPredictions';
import { RunsTreeProvider } from './runs/runsTreeProvider';
import { TrainingManager } from './training/trainingManager';
import { DatasetSummaryPanel } from './webviews/datasetSummaryPanel';
import { EvaluationPanels } from './webviews/evaluationPanel';
import { runEvaluation } from './predict/evaluateFileCommand';
import { MetricsPanels } from './webviews/metricsPanel';
import { currentSettings } from './config';
import { BACKEND_ENV } from '../shared/backendReport';

export const VIEW_IDS = { datasets: 'bertTune.datasets', runs: 'bertTune.runs' } as const;

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly inspector: DatasetInspectorClient;
  readonly catalog: DatasetCatalog;
  readonly datasetsTree: DatasetsTreeProvider;
  readonly datasetsView: vscode.TreeView<unknown>;
  readonly summaryPanel: DatasetSummaryPanel;
  readonly training: TrainingManager;
  readonly runsTree: RunsTreeProvider;
  readonly activeModel: ActiveModel;
  readonly inference: InferenceClient;
  readonly selectionPredictions: SelectionPredictions;
  readonly metricsPanels: MetricsPanels;
  readonly evaluationPanels: EvaluationPanels;
  /** The bundled trainer entry point (dist/trainer.js), run as a child process. */
  readonly trainerJs: string;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = this.own(vscode.window.createOutputChannel('BERT Tune', { log: true }));
    const log = (line: string) => this.output.info(line);
    const dist = vscode.Uri.joinPath(extension.extensionUri, 'dist');
    this.trainerJs = vscode.Uri.joinPath(dist, 'trainer.js').fsPath;
    this.inspector = new DatasetInspectorClient(vscode.Uri.joinPath(dist, 'datasetInspector.js').fsPath, log);
    this.own({ dispose: () => this.inspector.dispose() });
    this.catalog = this.own(new DatasetCatalog(this.inspector));
    this.datasetsTree = this.own(new DatasetsTreeProvider(this.catalog));
    this.datasetsView = this.own(vscode.window.createTreeView(VIEW_IDS.datasets, { treeDataProvider: this.datasetsTree, showCollapseAll: true }));
    this.training = this.own(new TrainingManager(this.trainerJs, this.output, () => this.trainerEnv()));
    this.activeModel = this.own(new ActiveModel(extension.workspaceState));
    this.runsTree = this.own(new RunsTreeProvider(this.training, this.activeModel));
    this.own(vscode.window.createTreeView(VIEW_IDS.runs, { treeDataProvider: this.runsTree }));
    this.summaryPanel = this.own(new DatasetSummaryPanel(extension.extensionUri, this.catalog, log));
    this.inference = new InferenceClient(this.trainerJs, () => this.trainerEnv(), log);
    this.own({ dispose: () => this.inference.dispose() });
    this.selectionPredictions = this.own(new SelectionPredictions(this.inference, this.activeModel, log));
    this.metricsPanels = this.own(new MetricsPanels(extension.extensionUri, this.training, this.runsTree, log));
    this.evaluationPanels = this.own(new EvaluationPanels(extension.extensionUri, e => void runEvaluation(this, e), log));
    this.own(this.catalog.onDidChange(() => this.updateDatasetsMessage()));
  }

  /** Where "Install native backend" puts tfjs-node: the extension's global storage. */
  get nativeModulesDir(): string {
    return path.join(this.extension.globalStorageUri.fsPath, 'native');
  }

  /** The trainer's environment: Hub settings, the backend setting and where to find native backends. */
  trainerEnv(): NodeJS.ProcessEnv {
    const settings = currentSettings();
    // The backend setting reaches every trainer process (training, predictions, the backend report); empty: auto.
    const env: NodeJS.ProcessEnv = { BERT_TUNE_NATIVE_MODULES: this.nativeModulesDir, [BACKEND_ENV]: settings.backend ?? '' };
    // Machine-scoped in package.json and read from the user's own settings only (readSettings),
    // so no workspace can send HF_TOKEN to its server or steer downloads into its folders.
    if (settings.hub.endpoint) env.HF_ENDPOINT = settings.hub.endpoint;
    if (settings.hub.cacheFolder) env.HF_HUB_CACHE = settings.hub.cacheFolder;
    return env;
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
