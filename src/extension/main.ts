/** Extension entry point: builds the context object, registers commands, starts the first scan. */
import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './context';
import { announceEndedRuns } from './runs/announceEndedRuns';

/** What `activate` returns: internals for the integration tests, not a public API. */
export interface BertTuneTestApi {
  readonly ctx: Ctx;
}

let current: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): BertTuneTestApi {
  const ctx = new Ctx(context);
  current = ctx;
  context.subscriptions.push(ctx, ...registerCommands(ctx));
  ctx.output.info(`BERT Tune ${String(context.extension.packageJSON.version)} activated`);
  void ctx.catalog.refresh();
  announceEndedRuns(ctx);
  return { ctx };
}

export function deactivate(): void {
  // context.subscriptions disposes ctx too; doing it here first makes the worker stop before
  // VS Code's own shutdown timeout, whatever order it disposes in.
  current?.dispose();
  current = undefined;
}
