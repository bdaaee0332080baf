/**
 * "Export training script" (a run → a folder for transformers' Trainer on a GPU server or a
 * cluster) and "Import run" (that folder's result → a run), through the trainer's CLI
 * (`export-script`, `import-run`): the extension never does the work itself.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { runTitle } from './runStore';
import type { TrainConfig } from '../../shared/trainerProtocol';
import type { Ctx } from '../context';
import { ensureRunsFolder, newRunName } from './runStore';

const run = promisify(execFile);

async function trainerCli(ctx: Ctx, args: string[]): Promise<void> {
  try {
    await run(process.execPath, [ctx.trainerJs, ...args], {
      env: { ...process.env, ...ctx.trainerEnv(), ELECTRON_RUN_AS_NODE: '1' },
      timeout: 10 * 60_000,
      maxBuffer: 16 * 2 ** 20,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      (
        err.stderr
          ?.trim()
          .split('\n')
          .filter(l => !/^Warning: /.test(l))
          .pop() ?? err.message
      ).replace(/^bert-tune: /, ''),
    );
  }
}

export async function exportTrainingScript(ctx: Ctx, runDir: string, target?: string): Promise<string | undefined> {
  const to =
    target ??
    (
      await vscode.window.showSaveDialog({
        title: `Export the training script of ${runTitle(runDir)}`,
        defaultUri: vscode.Uri.file(path.join(path.dirname(path.dirname(path.dirname(runDir))), `${path.basename(runDir)}-trainer`)),
        saveLabel: 'Export here',
      })
    )?.fsPath;
  if (!to) return undefined;
  try {
    await trainerCli(ctx, ['export-script', '--run', runDir, '--out', to]);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not export the training script of ${runTitle(runDir)}: ${(e as Error).message}`);
    return undefined;
  }
  if (!target) {
    void vscode.window
      .showInformationMessage(
        `Wrote ${path.basename(to)}: train.py with the run's recipe and rows, and a README with the torchrun and accelerate commands.`,
        'Open README',
      )
      .then(a => {
        if (a) void vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(path.join(to, 'README.md')));
      });
  }
  return to;
}

/** From the wizard's settings: the recipe before any run exists (written to a file for the CLI's --config). */
export async function exportRecipe(ctx: Ctx, config: TrainConfig): Promise<string | undefined> {
  const to = (
    await vscode.window.showSaveDialog({
      title: `Export a training script for ${path.basename(config.data)}`,
      defaultUri: vscode.Uri.file(path.join(path.dirname(config.data), `${path.basename(config.data, path.extname(config.data))}-trainer`)),
      saveLabel: 'Export here',
    })
  )?.fsPath;
  if (!to) return undefined;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-recipe-')), 'train-config.json');
  try {
    fs.writeFileSync(file, JSON.stringify(config));
    await trainerCli(ctx, ['export-script', '--config', file, '--out', to]);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not export the training script: ${(e as Error).message}`);
    return undefined;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  void vscode.window
    .showInformationMessage(
      `Wrote ${path.basename(to)}: train.py with this recipe and rows, and a README with the torchrun and accelerate commands.`,
      'Open README',
    )
    .then(a => {
      if (a) void vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(path.join(to, 'README.md')));
    });
  return to;
}

export async function importRun(ctx: Ctx, from?: string): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.find(f => f.uri.scheme === 'file');
  if (!folder) {
    void vscode.window.showInformationMessage('Open a folder first: imported runs live in its .bert-tune/runs.');
    return undefined;
  }
  const source =
    from ??
    (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        title: 'Import a run: the model folder a training script wrote (output/model)',
        openLabel: 'Import',
      })
    )?.[0]?.fsPath;
  if (!source) return undefined;
  let out: string;
  try {
    out = path.join(ensureRunsFolder(folder.uri.fsPath), newRunName(`imported-${path.basename(path.dirname(path.dirname(source))) || 'run'}`));
    await trainerCli(ctx, ['import-run', '--from', source, '--out', out]);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not import ${source}: ${(e as Error).message}`);
    return undefined;
  }
  ctx.runsTree.refresh();
  if (!from) void vscode.window.showInformationMessage(`Imported ${path.basename(out)}: it is in the Runs view, ready for predictions.`);
  return out;
}
