/**
 * What a run's status becomes as its messages arrive. Pure (no DOM), so it is unit-tested
 * (test/unit/metricsPanelState.test.ts). A run folder holds every session of a run: a resumed
 * run's metrics.jsonl has the first session's "done" before the second session's "started".
 */
import type { FromTrainer } from '../../../src/shared/trainerProtocol';
import type { RunInfo } from '../../../src/shared/webviews/metricsPanelProtocol';

export type RunStatus = RunInfo['status'];

/** A start (a resume too) trains again; a done ends the run as it says. */
export function statusAfter(status: RunStatus, m: FromTrainer): RunStatus {
  if (m.type === 'started') return 'running';
  if (m.type === 'done') return m.status;
  return status;
}
