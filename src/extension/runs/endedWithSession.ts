/**
 * What the previous VS Code session left: runs that were training when it closed. Each is told
 * once, at the next start: stopped and saved (the trainer finished its step and saved after the
 * window went), or interrupted (killed before it could save), with the step it can resume from.
 * Free of `vscode`.
 */
import { STOPPED_AT_SHUTDOWN } from '../../shared/trainerProtocol';
import { checkpointDir, hasResumableCheckpoint, readTrainerState, recoverableCheckpoint } from '../../shared/runFolder';
import type { RunSummary } from './runStore';

export interface EndedRun {
  run: RunSummary;
  /** The step its last checkpoint holds, when it has one. */
  resumableStep?: number;
  message: string;
}

function checkpointStep(dir: string): number | undefined {
  if (!hasResumableCheckpoint(dir)) return undefined;
  try {
    return readTrainerState(recoverableCheckpoint(checkpointDir(dir, 'last'))!).step;
  } catch {
    return undefined;
  }
}

/** Runs that were last active after `since` (the previous session's start) and ended with it. */
export function runsEndedWithSession(runs: readonly RunSummary[], since: number): EndedRun[] {
  const out: EndedRun[] = [];
  for (const run of runs) {
    if (!run.updatedAt || run.updatedAt.getTime() < since) continue;
    const at = run.step !== undefined ? ` at step ${run.step}${run.totalSteps ? ` of ${run.totalSteps}` : ''}` : '';
    if (run.status === 'stopped' && run.reason === STOPPED_AT_SHUTDOWN) {
      out.push({
        run,
        resumableStep: checkpointStep(run.dir),
        message: `BERT Tune stopped the run ${run.label} (${run.name})${at} when VS Code closed, and saved it: resume it to go on.`,
      });
    } else if (run.status === 'interrupted') {
      const step = checkpointStep(run.dir);
      const resume =
        step === undefined
          ? 'it has no checkpoint to resume from.'
          : step === run.step
            ? `it can resume from step ${step}.`
            : `it can resume from its last checkpoint, at step ${step}; the steps after it are trained again.`;
      out.push({ run, resumableStep: step, message: `The run ${run.label} (${run.name}) was interrupted${at}, before it could save: ${resume}` });
    }
  }
  return out;
}
