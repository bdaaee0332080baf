/** At start: tells the user, once, how the runs that were training when VS Code last closed ended. */
import * as vscode from 'vscode';
import type { Ctx } from '../context';
import { runsEndedWithSession } from './endedWithSession';

const SESSION_KEY = 'bertTune.sessionStartedAt';
const SHOWN_AT_MOST = 3;

export function announceEndedRuns(ctx: Ctx): void {
  const state = ctx.extension.workspaceState;
  const previous = state.get<number>(SESSION_KEY);
  void state.update(SESSION_KEY, Date.now());
  if (previous === undefined) return; // the first session here: nothing to tell
  const running = ctx.training.current?.runDir;
  const ended = runsEndedWithSession(
    ctx.runsTree.runs().filter(r => r.dir !== running),
    previous,
  );
  for (const e of ended.slice(0, SHOWN_AT_MOST)) {
    ctx.output.warn(e.message);
    const actions = e.resumableStep === undefined ? ['Show metrics'] : ['Resume', 'Show metrics'];
    void vscode.window.showWarningMessage(e.message, ...actions).then(a => {
      if (a === 'Resume') void vscode.commands.executeCommand('bertTune.runs.resume', vscode.Uri.file(e.run.dir));
      if (a === 'Show metrics') void vscode.commands.executeCommand('bertTune.showMetrics', { run: e.run });
    });
  }
  if (ended.length > SHOWN_AT_MOST) ctx.output.warn(`${ended.length - SHOWN_AT_MOST} more runs ended when VS Code last closed: see the Runs view.`);
}
