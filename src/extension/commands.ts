/**
 * Every command of the extension, as a record of factories over the context object: the ids in
 * package.json's `contributes.commands` and the keys here must match (a test checks it).
 */
import * as vscode from 'vscode';
import type { Ctx } from './context';
import type { DatasetNode } from './datasets/datasetsTreeProvider';

type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

/** A command run from a tree item gets the node; from the palette, nothing; from the explorer, a Uri. */
function datasetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && 'entry' in arg) return (arg as DatasetNode).entry.uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  return active && /\.(csv|tsv|jsonl)$/i.test(active.path) ? active : undefined;
}

export const commands: Record<string, CommandFactory> = {
  'bertTune.datasets.refresh': ctx => () => ctx.catalog.refresh(true),

  'bertTune.datasets.showSummary': ctx => async (arg?: unknown) => {
    let uri = datasetUri(arg);
    if (!uri) {
      const picked = await vscode.window.showQuickPick(
        ctx.catalog.list().map(e => ({ label: e.relativePath, uri: e.uri })),
        { placeHolder: 'Choose a dataset file', matchOnDescription: true },
      );
      uri = picked?.uri;
    }
    if (uri) ctx.summaryPanel.show(uri);
  },

  'bertTune.showLog': ctx => () => ctx.output.show(),
};

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(commands).map(([id, factory]) => vscode.commands.registerCommand(id, factory(ctx)));
}
