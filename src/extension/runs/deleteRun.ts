/**
 * Deleting a run folder, free of `vscode` so the order of its checks is tested on its own:
 * what can be told before asking is told before asking, and everything is checked again after
 * the answer, because a trainer may have taken the run while the dialog was open. The folder
 * is then renamed out of the runs folder in one step, so no trainer can start in it while its
 * files are removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRunLock, liveRunLock } from '../../shared/runFolder';
import { refuseRunFolder } from './runStore';

export interface DeleteRunHooks {
  /** Whether this window trains this folder now. */
  isTraining: (dir: string) => boolean;
  /** Asks the user; true to delete. */
  confirm: (dir: string) => Promise<boolean>;
}

export type DeleteRunResult = { deleted: true } | { deleted: false; refused?: string };

export async function deleteRunFolder(dir: string, hooks: DeleteRunHooks): Promise<DeleteRunResult> {
  const before = whyNot(dir, hooks);
  if (before) return { deleted: false, refused: before };
  if (!(await hooks.confirm(dir))) return { deleted: false };
  const after = whyNot(dir, hooks);
  if (after) return { deleted: false, refused: after };
  const doomed = path.join(path.dirname(path.dirname(dir)), `.deleting-${path.basename(dir)}-${process.pid}-${Date.now()}`);
  await fs.promises.rename(dir, doomed);
  await fs.promises.rm(doomed, { recursive: true, force: true });
  return { deleted: true };
}

function whyNot(dir: string, hooks: DeleteRunHooks): string | undefined {
  if (!fs.existsSync(dir)) return `${dir} no longer exists.`;
  if (hooks.isTraining(dir)) return 'this run is training; stop it before deleting it.';
  const lock = liveRunLock(dir);
  return refuseRunFolder(dir) ?? (lock && describeRunLock(dir, lock));
}
