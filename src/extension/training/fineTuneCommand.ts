/** The "Fine-tune on this CSV" command: from a file to a running training run. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { DatasetInfo } from '../../shared/dataset';
import { trainConfigSchema, type TrainConfig } from '../../shared/trainerProtocol';
import type { Ctx } from '../context';
import { currentSettings } from '../config';
import { ensureRunsFolder, newRunDir, refuseRunFolder } from '../runs/runStore';
import { RUN_FILES } from '../../shared/runFolder';
import { exportRecipe } from '../runs/exportImport';
import {
  askChoices,
  askSettings,
  defaultSettings,
  rememberChoices,
  type AskedChoices,
  type FineTuneChoices,
  type ModelChoice,
  withTaskMetric,
} from './fineTuneWizard';
import type { RunOutcome } from './trainingManager';

const run = promisify(execFile);

/** Arguments a caller (a test, another command) may pass to skip the questions. */
export type FineTunePreset = Partial<FineTuneChoices> & { confirm?: boolean };

async function datasetInfo(ctx: Ctx, uri: vscode.Uri): Promise<DatasetInfo | string> {
  const entry = ctx.catalog.get(uri);
  if (entry?.state.status === 'ready') return entry.state.info;
  const outcome = await ctx.inspector.inspect(uri.fsPath);
  if (outcome.status === 'ready') return outcome.info;
  return outcome.status === 'failed' ? outcome.message : 'the file could not be read';
}

/** A problem that makes training impossible, shown with a way to the line (not awaited: the command returns at once). */
function refuse(uri: vscode.Uri, message: string, line?: number): undefined {
  const actions = line ? ['Go to line'] : ['Open file'];
  void vscode.window.showErrorMessage(`Cannot fine-tune on ${path.basename(uri.fsPath)}: ${message}`, ...actions).then(a => {
    if (a) void vscode.window.showTextDocument(uri, line ? { selection: new vscode.Range(line - 1, 0, line - 1, 0) } : {});
  });
  return undefined;
}

async function initFromScratch(ctx: Ctx, size: Extract<ModelChoice, { kind: 'scratch' }>['size'], labels: string[], out: string): Promise<string> {
  const vocab = vscode.Uri.joinPath(ctx.extension.extensionUri, 'resources', 'bert-base-uncased-vocab.txt').fsPath;
  await run(
    process.execPath,
    [
      ctx.trainerJs,
      'init-checkpoint',
      '--layers',
      String(size.layers),
      '--hidden',
      String(size.hidden),
      '--heads',
      String(size.heads),
      '--intermediate',
      String(size.intermediate),
      '--vocab',
      vocab,
      // one argument: a label may start with "-" (-1, 0, 1)
      `--labels=${labels.join(',')}`,
      '--out',
      out,
    ],
    { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
  );
  return out;
}

export async function fineTune(ctx: Ctx, uri: vscode.Uri, preset: FineTunePreset = {}): Promise<RunOutcome | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder || folder.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(
      `${path.basename(uri.fsPath)} is not in a workspace folder on disk: open its folder first, so the run has a place to live (.bert-tune/runs).`,
    );
    return undefined;
  }
  if (ctx.training.refuseIfBusy()) return undefined;
  const info = await datasetInfo(ctx, uri);
  if (typeof info === 'string') return refuse(uri, info);
  const fatal = info.problems.find(p => p.severity === 'error');
  if (fatal) return refuse(uri, fatal.message, fatal.line);
  if (info.columns.length < 2) return refuse(uri, 'it has a single column; a labelled dataset needs a text column and a label column.');

  const settings = currentSettings();
  if (settings.ignored.length) void warnIgnoredSettings(settings.ignored);
  const defaultModel = settings.defaultBaseModel;
  const complete = preset.textCol && preset.labelCol && preset.model;
  let asked: AskedChoices | undefined = complete
    ? {
        textCol: preset.textCol!,
        pairCol: preset.pairCol,
        labelCol: preset.labelCol!,
        model: { kind: 'ref' as const, ref: preset.model! },
        settings: preset.settings ?? {},
      }
    : await askChoices(ctx.extension.workspaceState, uri, info, defaultModel, { ...process.env, ...ctx.trainerEnv() });
  if (!asked) return undefined;

  let runsRoot: string;
  try {
    runsRoot = ensureRunsFolder(folder.uri.fsPath);
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot start a run: ${(e as Error).message}`);
    return undefined;
  }
  const runDir = newRunDir(runsRoot, uri.fsPath);
  // Settings edited before the user went Back from the settings step: kept for the next pass.
  let edited: Partial<TrainConfig> = {};
  let config: TrainConfig | undefined;
  for (;;) {
    const defaults = defaultSettings(asked.model.kind, settings.training);
    config = withTaskMetric(
      trainConfigSchema.parse({
        ...defaults,
        ...asked.settings,
        ...edited,
        data: uri.fsPath,
        textCol: asked.textCol,
        pairCol: asked.pairCol,
        labelCol: asked.labelCol,
        model: asked.model.kind === 'ref' ? asked.model.ref : path.join(runDir, 'base-model'),
        out: runDir,
        backend: edited.backend ?? settings.backend,
        threads: settings.threads,
      }),
    );
    if (complete) break;
    const chosen = await askSettings(`Fine-tune on ${path.basename(uri.fsPath)}`, config, { canExport: asked.model.kind === 'ref' });
    if (chosen?.back) {
      edited = editedSettings(chosen.config, defaults);
      asked = await askChoices(ctx.extension.workspaceState, uri, info, defaultModel, { ...process.env, ...ctx.trainerEnv() }, asked);
      if (!asked) return undefined;
      continue;
    }
    if (chosen?.exportScript) {
      await exportRecipe(ctx, chosen.config);
      return undefined;
    }
    config = chosen?.config;
    break;
  }
  if (!config) return undefined;
  await rememberChoices(ctx.extension.workspaceState, uri, config, asked.model);
  if (asked.model.kind === 'scratch') {
    // A single-label model's classes from the column; the other tasks' heads are made by the run (from its data), so any two names do here.
    const labels =
      config.problemType && config.problemType !== 'single_label_classification'
        ? ['LABEL_0', 'LABEL_1']
        : info.columns
            .find(c => c.name === config!.labelCol)
            ?.valueCounts?.map(([v]) => v)
            .sort();
    if (!labels || labels.length < 2)
      return refuse(uri, `the label column "${config.labelCol}" has fewer than 2 or too many distinct values to train from scratch`);
    await initFromScratch(ctx, asked.model.size, labels, config.model);
  }
  let outcome = await ctx.training.start(config, { confirm: preset.confirm ?? true });
  // Merge Label Variants at the estimate: the same run again, its labels read merged.
  while (outcome?.restart) {
    config = { ...config, ...outcome.restart };
    await rememberChoices(ctx.extension.workspaceState, uri, config, asked.model);
    outcome = await ctx.training.start(config, { confirm: preset.confirm ?? true });
  }
  if (asked.model.kind === 'scratch') discardUnstartedRun(runDir, config.model);
  return outcome;
}

/**
 * A from-scratch run's folder holds its base model before the user confirms; cancelled (or
 * failed) before it started, the run never existed: the folder goes too (the trainer wrote
 * nothing in it). rmdir, not a recursive delete: a folder holding anything else stays.
 */
function discardUnstartedRun(runDir: string, baseModel: string): void {
  if (fs.existsSync(path.join(runDir, RUN_FILES.config)) || path.dirname(baseModel) !== runDir || refuseRunFolder(runDir)) return;
  try {
    fs.rmSync(baseModel, { recursive: true, force: true });
    fs.rmdirSync(runDir);
  } catch {
    /* something else is in it: leave it */
  }
}

/**
 * The hyper-parameters of a settings step the user left by Back: what a run is about (file,
 * columns, model, folder) comes from the steps again; a learning rate left at the start's
 * default follows the next start's (from scratch wants another).
 */
function editedSettings(config: TrainConfig, defaults: Partial<TrainConfig>): Partial<TrainConfig> {
  const rest: Partial<TrainConfig> = { ...config };
  for (const key of ['data', 'textCol', 'pairCol', 'labelCol', 'model', 'out'] as const) delete rest[key];
  if (rest.learningRate === defaults.learningRate) delete rest.learningRate;
  return rest;
}

/** Settings the run could not use, said before it starts, with the way to fix them. */
async function warnIgnoredSettings(ignored: string[]): Promise<void> {
  const action = await vscode.window.showWarningMessage(`BERT Tune: ${ignored.join(' ')}`, 'Open Settings');
  if (action) await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:bert-tune.bert-tune bertTune');
}
