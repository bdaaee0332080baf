/**
 * Every command of the extension, as a record of factories over the context object: the ids in
 * package.json's `contributes.commands` and the keys here must match (a test checks it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES, describeRunLock, hasResumableCheckpoint, liveRunLock, readRunConfig } from '../shared/runFolder';
import { deleteRunFolder } from './runs/deleteRun';
import { refuseRunFolder, runTitle, summarizeRun } from './runs/runStore';
import { exportTrainingScript, importRun } from './runs/exportImport';
import { COMMANDS_NEEDING_TRUST, TRUST_NEEDED_MESSAGE, withTrust } from './trust';
import { installNativeBackend, showBackend } from './backend/backendCommands';
import type { Ctx } from './context';
import type { DatasetNode } from './datasets/datasetsTreeProvider';
import type { RunNode } from './runs/runsTreeProvider';
import { fineTune, type FineTunePreset } from './training/fineTuneCommand';
import { pickModel, runModel, type ModelRef } from './predict/activeModel';
import { evaluateLabelledFile, type EvaluatePreset } from './predict/evaluateFileCommand';
import { predictCsvColumn, type PredictCsvPreset } from './predict/predictCsvCommand';
import { readRunNotes, RUN_NOTE_LIMITS, writeRunNotes } from '../shared/runFolder';
import { count } from '../shared/words';

type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

const DATASET_FILE = /\.(csv|tsv|jsonl)$/i;

/** A command run from a tree item gets the node; from the explorer, a Uri; from the palette, nothing. */
function datasetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && 'entry' in arg) return (arg as DatasetNode).entry.uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  return active && DATASET_FILE.test(active.path) ? active : undefined;
}

async function pickDataset(ctx: Ctx, arg: unknown, placeHolder: string): Promise<vscode.Uri | undefined> {
  const uri = datasetUri(arg);
  if (uri) return uri;
  const entries = ctx.catalog.list();
  if (!entries.length) {
    void vscode.window.showInformationMessage('There is no CSV, TSV or JSONL file in this workspace.');
    return undefined;
  }
  // Each file with what the Datasets view knows of it: rows, columns, and whether it has problems.
  const items = entries.map(e => {
    const state = e.state;
    if (state.status !== 'ready') return { label: e.relativePath, uri: e.uri, description: state.status === 'failed' ? '$(error) cannot be read' : 'reading…' };
    const { rows, columns, problems } = state.info;
    const errors = problems.filter(p => p.severity === 'error').length;
    const warnings = problems.length - errors;
    const marks = [errors ? `$(error) ${count(errors, 'error')}` : '', warnings ? `$(warning) ${count(warnings, 'warning')}` : ''].filter(Boolean).join(' ');
    const description = `${count(rows, 'row')} · ${count(columns.length, 'column')}${marks ? ` · ${marks}` : ''}`;
    return { label: e.relativePath, uri: e.uri, description };
  });
  const picked = await vscode.window.showQuickPick(items, { placeHolder });
  return picked?.uri;
}

/** A run from a Runs view item, or its folder as a Uri (from "Resume" on an error message). */
function runDir(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === 'object' && 'run' in arg) return (arg as RunNode).run.dir;
  return undefined;
}

export const commands: Record<string, CommandFactory> = {
  'bertTune.datasets.refresh': ctx => () => ctx.catalog.refresh(true),

  'bertTune.datasets.showSummary': ctx => async (arg?: unknown) => {
    const uri = await pickDataset(ctx, arg, 'Choose a dataset file');
    if (uri) ctx.summaryPanel.show(uri);
  },

  'bertTune.fineTune': ctx => async (arg?: unknown, preset?: unknown) => {
    // Said before the user picks a dataset, not after the questions.
    if (ctx.training.refuseIfBusy()) return undefined;
    const uri = await pickDataset(ctx, arg, 'Which dataset to fine-tune on?');
    if (uri) return fineTune(ctx, uri, (preset ?? {}) as FineTunePreset);
  },

  'bertTune.stopTraining': ctx => () => ctx.training.stop(),

  'bertTune.showLog': ctx => () => ctx.output.show(),

  'bertTune.runs.refresh': ctx => () => ctx.runsTree.refresh(),

  'bertTune.showMetrics': ctx => async (arg?: unknown) => {
    const runs = ctx.runsTree.runs();
    let dir = runDir(arg) ?? ctx.training.current?.runDir;
    if (!dir) {
      const pick = await vscode.window.showQuickPick(
        runs.map(r => ({ label: r.name, description: r.status, dir: r.dir })),
        { placeHolder: 'Which run?' },
      );
      dir = pick?.dir;
    }
    // A run just started may not be in the Runs view yet: read its folder.
    const run = runs.find(r => r.dir === dir) ?? (dir && fs.existsSync(dir) ? summarizeRun(dir, dir === ctx.training.current?.runDir) : undefined);
    return run ? ctx.metricsPanels.show(run) : undefined;
  },

  'bertTune.runs.openLog': () => async (arg?: unknown) => {
    const dir = runDir(arg);
    if (!dir) return;
    // At its end: the latest lines are what a log is opened for.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(dir, RUN_FILES.log)));
    const end = doc.lineAt(Math.max(0, doc.lineCount - 1)).range.end;
    await vscode.window.showTextDocument(doc, { preview: true, selection: new vscode.Range(end, end) });
  },

  'bertTune.runs.resume': ctx => async (arg?: unknown) => {
    const dir = runDir(arg);
    if (!dir) return undefined;
    const refused = refuseRunFolder(dir);
    const lock = liveRunLock(dir);
    if (refused || lock) {
      void vscode.window.showErrorMessage(`Cannot resume ${runTitle(dir)}: ${refused ?? describeRunLock(dir, lock!)}`);
      return undefined;
    }
    let config;
    try {
      config = readRunConfig(dir);
    } catch (e) {
      void vscode.window.showErrorMessage(`Cannot resume ${runTitle(dir)}: ${(e as Error).message}`);
      return undefined;
    }
    if (!hasResumableCheckpoint(dir)) {
      void vscode.window.showErrorMessage(`Cannot resume ${runTitle(dir)}: it has no checkpoint to continue from (it stopped before its first save).`);
      return undefined;
    }
    return ctx.training.start({ ...config, out: dir }, { resume: true });
  },

  'bertTune.runs.reveal': () => async (arg?: unknown) => {
    const dir = runDir(arg);
    if (!dir) return;
    const best = path.join(dir, 'checkpoints', 'best');
    const uri = vscode.Uri.file(fs.existsSync(best) ? best : dir);
    // A web or remote workbench has no OS file manager to show it in ("command 'revealFileInOS'
    // not found"): the Explorer shows it there.
    if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) {
      try {
        await vscode.commands.executeCommand('revealFileInOS', uri);
        return 'os';
      } catch {
        /* no such command here: the Explorer below */
      }
    }
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return 'explorer';
  },

  'bertTune.runs.delete': ctx => async (arg?: unknown, options?: unknown) => {
    const dir = runDir(arg);
    if (!dir) return false;
    const given = (options as { confirmed?: boolean } | undefined)?.confirmed;
    const result = await deleteRunFolder(dir, {
      isTraining: d => ctx.training.current?.runDir === d,
      confirm: async d =>
        given ||
        (await vscode.window.showWarningMessage(
          `Delete the run ${runTitle(d)} (folder ${path.basename(d)}), its checkpoints and its log?`,
          { modal: true },
          'Delete',
        )) === 'Delete',
    });
    if (!result.deleted && result.refused) void vscode.window.showErrorMessage(`Cannot delete ${runTitle(dir)}: ${result.refused}`);
    if (result.deleted) ctx.runsTree.refresh();
    return result.deleted;
  },

  'bertTune.runs.exportScript': ctx => async (arg?: unknown, target?: unknown) => {
    let dir = runDir(arg);
    if (!dir) {
      const pick = await vscode.window.showQuickPick(
        ctx.runsTree
          .runs()
          .filter(r => r.config)
          .map(r => ({ label: r.name, description: r.status, dir: r.dir })),
        { placeHolder: 'Export the training script of which run?' },
      );
      dir = pick?.dir;
    }
    return dir ? exportTrainingScript(ctx, dir, typeof target === 'string' ? target : undefined) : undefined;
  },

  'bertTune.runs.import': ctx => (from?: unknown) => importRun(ctx, typeof from === 'string' ? from : undefined),

  'bertTune.setActiveModel': ctx => async (arg?: unknown) => {
    let model: ModelRef | undefined;
    if (arg && typeof arg === 'object' && 'ref' in arg) model = arg as ModelRef;
    else if (arg instanceof vscode.Uri) model = { ref: arg.fsPath, name: path.basename(arg.fsPath) };
    else model = await pickModel(ctx.runsTree.runs(), ctx.activeModel.current?.ref);
    if (model) await ctx.activeModel.set(model);
    return model;
  },

  'bertTune.runs.useForPredictions': ctx => async (arg?: unknown) => {
    const node = arg as RunNode | undefined;
    const model = node?.run && runModel(node.run);
    if (!model) {
      void vscode.window.showWarningMessage('This run has no saved model yet.');
      return undefined;
    }
    await ctx.activeModel.set(model);
    void vscode.window.showInformationMessage(`Predictions now use ${model.name}. Select some text and run "BERT Tune: Predict selection".`);
    return model;
  },

  'bertTune.predictSelection': ctx => async () => {
    const editor = vscode.window.activeTextEditor;
    return editor ? ctx.selectionPredictions.predict(editor) : undefined;
  },

  'bertTune.predictSelectionLineByLine': ctx => async () => {
    const editor = vscode.window.activeTextEditor;
    return editor ? ctx.selectionPredictions.predict(editor, { lineByLine: true }) : undefined;
  },

  'bertTune.clearPredictions': ctx => () => {
    const editor = vscode.window.activeTextEditor;
    if (editor) ctx.selectionPredictions.clear(editor.document);
  },

  'bertTune.predictCsvColumn': ctx => async (arg?: unknown, preset?: unknown) => {
    const uri = await pickDataset(ctx, arg, 'Which file to predict?');
    return uri ? predictCsvColumn(ctx, uri, (preset ?? {}) as PredictCsvPreset) : undefined;
  },

  'bertTune.runs.rename': ctx => async (arg?: unknown, value?: unknown) =>
    editRunNotes(ctx, arg as RunNode | undefined, 'title', typeof value === 'string' ? value : undefined),

  'bertTune.runs.editNote': ctx => async (arg?: unknown, value?: unknown) =>
    editRunNotes(ctx, arg as RunNode | undefined, 'note', typeof value === 'string' ? value : undefined),

  'bertTune.evaluateFile': ctx => async (arg?: unknown, preset?: unknown) => {
    const uri = await pickDataset(ctx, arg, 'Evaluate on which labelled file?');
    return uri ? evaluateLabelledFile(ctx, uri, (preset ?? {}) as EvaluatePreset) : undefined;
  },

  'bertTune.runs.evaluate': ctx => async (arg?: unknown, file?: unknown) => {
    const run = (arg as RunNode | undefined)?.run;
    const model = run && runModel(run);
    if (!run || !model) {
      void vscode.window.showWarningMessage('This run has no saved model yet.');
      return undefined;
    }
    // The run's own columns, where the file has them (a held-out test set usually does).
    const uri = await pickDataset(ctx, file, `Evaluate ${model.name} on which labelled file?`);
    return uri ? evaluateLabelledFile(ctx, uri, { model, textCol: run.config?.textCol, labelCol: run.config?.labelCol }) : undefined;
  },

  'bertTune.showBackend': ctx => (options?: unknown) => showBackend(ctx, (options ?? {}) as { silent?: boolean }),

  'bertTune.installNativeBackend': ctx => (options?: unknown) => installNativeBackend(ctx, (options ?? {}) as { pkg?: string }),
};

function askForTrust(): void {
  void vscode.window.showWarningMessage(TRUST_NEEDED_MESSAGE, 'Manage Workspace Trust').then(a => {
    if (a) void vscode.commands.executeCommand('workbench.trust.manage');
  });
}

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(commands).map(([id, factory]) => {
    const run = factory(ctx);
    return vscode.commands.registerCommand(id, COMMANDS_NEEDING_TRUST.has(id) ? withTrust(run, () => vscode.workspace.isTrusted, askForTrust) : run);
  });
}

/** Renames a run or edits its note (notes.json): asked in an input box, or given (tests). Empty clears it. */
async function editRunNotes(ctx: Ctx, node: RunNode | undefined, field: 'title' | 'note', given?: string): Promise<string | undefined> {
  const run = node?.run;
  if (!run) return undefined;
  const notes = readRunNotes(run.dir);
  const value =
    given ??
    (await vscode.window.showInputBox({
      title: field === 'title' ? `Rename ${run.label}` : `Note on ${run.label}`,
      prompt: field === 'title' ? 'A name for the run (empty: its data file and base model)' : 'A note on the run: what you tried, what you saw (empty: none)',
      value: notes[field] ?? (field === 'title' ? run.label : ''),
      validateInput: v => (v.trim().length > RUN_NOTE_LIMITS[field] ? `At most ${RUN_NOTE_LIMITS[field]} characters (${v.trim().length} now).` : undefined),
    }));
  if (value === undefined) return undefined;
  try {
    writeRunNotes(run.dir, { ...notes, [field]: value });
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not save the run's ${field === 'title' ? 'name' : 'note'}: ${(e as Error).message}`);
    return undefined;
  }
  ctx.runsTree.refresh();
  return value.trim();
}
