/**
 * The trainer as a child process of the extension (`trainer.js serve`, forked with an IPC
 * channel): it waits for a "train" message, runs it, sends every protocol message back, and
 * honours "stop" and SIGTERM by finishing the current step and saving. Messages from the parent
 * are validated; an invalid one is answered with an error message and otherwise ignored.
 */
import { SHUTDOWN_SAVE_MS, STOPPED_AT_SHUTDOWN, toTrainerSchema, type FromTrainer } from '../shared/trainerProtocol';
import { runTraining } from './train/runTraining';

export async function serve(): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('bert-tune serve: needs an IPC channel (it is started by the extension, or with child_process.fork)\n');
    return 2;
  }
  // After a disconnect the run goes on to its save: its messages still reach the run folder, not the channel.
  const post = (m: FromTrainer) => new Promise<void>(resolve => (process.connected ? send(m, undefined, {}, () => resolve()) : resolve()));
  let stopRequested = false;
  let stopReason: string | undefined;
  let running = false;
  let answer: ((go: boolean) => void) | undefined;
  process.on('SIGTERM', () => (stopRequested = true));
  return new Promise<number>(resolve => {
    // If the extension host goes away, there is nobody to report to: stop at the next step.
    process.on('disconnect', () => {
      // Nobody to report to, but the run is the user's: finish the step, save, then leave.
      stopRequested = true;
      stopReason = STOPPED_AT_SHUTDOWN;
      answer?.(false);
      if (!running) return resolve(0);
      setTimeout(() => {
        process.stderr.write(
          `bert-tune serve: could not finish the step and save within ${SHUTDOWN_SAVE_MS / 1000} s of the extension going away; leaving without saving\n`,
        );
        process.exit(1);
      }, SHUTDOWN_SAVE_MS).unref();
    });
    process.on('message', (raw: unknown) => {
      const parsed = toTrainerSchema.safeParse(raw);
      if (!parsed.success) {
        void post({ type: 'error', message: `ignored an invalid message from the extension: ${parsed.error.message}` });
        return;
      }
      const msg = parsed.data;
      if (msg.type === 'stop') {
        stopRequested = true;
        answer?.(false);
        return;
      }
      if (msg.type === 'begin' || msg.type === 'cancel') {
        answer?.(msg.type === 'begin');
        answer = undefined;
        return;
      }
      if (running) {
        void post({ type: 'error', message: 'a training run is already in progress in this trainer' });
        return;
      }
      running = true;
      const confirm = msg.confirm ? () => new Promise<boolean>(resolve => (answer = resolve)) : undefined;
      void runTraining(
        msg.config,
        { emit: m => void post(m), shouldStop: () => stopRequested, stopReason: () => stopReason, confirm },
        { resume: msg.resume },
      ).then(async done => {
        running = false;
        // let the last messages reach the parent before the channel closes
        await post({ type: 'log', message: `trainer exiting (${done.status})` });
        resolve(done.status === 'failed' ? 1 : 0);
      });
    });
  });
}
