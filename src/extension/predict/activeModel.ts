/**
 * The model predictions use: a run's best checkpoint, a local folder, or a Hub id. Shown in the
 * status bar, remembered per workspace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { supportedModelTypes } from '../../shared/families';
import * as vscode from 'vscode';
import { validateModelId } from '../../shared/modelId';
import { describeBest, type RunSummary } from '../runs/runStore';

const KEY = 'bertTune.activeModel';

export interface ModelRef {
  /** A model folder or a Hub id, as the inference process takes it. */
  ref: string;
  /** What the status bar shows. */
  name: string;
}

export class ActiveModel implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bertTune.activeModel', vscode.StatusBarAlignment.Right, 100);
  private readonly emitter = new vscode.EventEmitter<ModelRef | undefined>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly memento: vscode.Memento) {
    this.item.name = 'BERT Tune active model';
    this.item.command = 'bertTune.setActiveModel';
    this.render();
  }

  get current(): ModelRef | undefined {
    return this.memento.get<ModelRef>(KEY);
  }

  async set(model: ModelRef | undefined): Promise<void> {
    await this.memento.update(KEY, model);
    this.render();
    this.emitter.fire(model);
  }

  dispose(): void {
    this.item.dispose();
    this.emitter.dispose();
  }

  /** Shown once a model is chosen: until then the status bar has nothing to say about predictions. */
  private render(): void {
    const m = this.current;
    if (!m) {
      this.item.hide();
      return;
    }
    this.item.text = `$(symbol-class) ${m.name}`;
    this.item.tooltip = `BERT Tune predicts with ${m.ref}. Click to choose another model.`;
    this.item.show();
  }
}

/** The model a finished run produced: its best checkpoint (else its last). */
export function runModel(run: RunSummary): ModelRef | undefined {
  for (const which of ['best', 'last']) {
    const dir = path.join(run.dir, 'checkpoints', which);
    if (fs.existsSync(path.join(dir, 'config.json'))) return { ref: dir, name: run.label };
  }
  return undefined;
}

/**
 * Asks which model to use: a run's (named as the Runs view names it, with the metric of the
 * checkpoint predictions use), a local folder, or a Hub id; the model in use is pre-selected.
 */
export async function pickModel(runs: RunSummary[], current?: string): Promise<ModelRef | undefined> {
  type Item = vscode.QuickPickItem & { model?: ModelRef; action?: 'folder' | 'hub' };
  const fromRuns: Item[] = runs.flatMap(r => {
    const m = runModel(r);
    return m && r.status !== 'running'
      ? [{ label: r.label, description: r.best ? `${describeBest(r.best)} (step ${r.best.step}: the checkpoint used)` : r.status, detail: r.name, model: m }]
      : [];
  });
  const items: Item[] = [
    ...(fromRuns.length ? [{ label: 'Runs of this workspace', kind: vscode.QuickPickItemKind.Separator }, ...fromRuns] : []),
    { label: 'Elsewhere', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder) Local folder…', detail: `a Hugging Face model folder of a sequence classifier (${supportedModelTypes()})`, action: 'folder' },
    {
      label: '$(cloud-download) Hugging Face Hub id…',
      detail:
        'any sequence classifier of those families, e.g. distilbert-base-uncased-finetuned-sst-2-english or cardiffnlp/twitter-roberta-base-sentiment-latest',
      action: 'hub',
    },
  ];
  const qp = vscode.window.createQuickPick<Item>();
  qp.items = items;
  qp.title = 'Model for predictions';
  const inUse = items.find(i => i.model && current !== undefined && path.resolve(i.model.ref) === path.resolve(current));
  if (inUse) qp.activeItems = [inUse];
  const pick = await new Promise<Item | undefined>(resolve => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0] ?? qp.activeItems[0]);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
  if (!pick) return undefined;
  if (pick.model) return pick.model;
  if (pick.action === 'folder') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
    if (!folder?.[0]) return undefined;
    if (!fs.existsSync(path.join(folder[0].fsPath, 'config.json'))) {
      void vscode.window.showErrorMessage(
        `${folder[0].fsPath} is not a model folder: it has no config.json. Choose a folder in the Hugging Face layout (config.json, model.safetensors or pytorch_model.bin, vocab.txt).`,
      );
      return undefined;
    }
    return { ref: folder[0].fsPath, name: path.basename(folder[0].fsPath) };
  }
  const id = await vscode.window.showInputBox({
    title: 'Model for predictions',
    prompt: 'A Hugging Face Hub id (owner/name)',
    validateInput: v => {
      try {
        validateModelId(v.split('@')[0]);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return id ? { ref: id, name: id } : undefined;
}
