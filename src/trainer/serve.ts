/**
 * The trainer as a child process of the extension (`trainer.js serve`, forked with an IPC
 * channel): it waits for a "train" message, runs it, sends every protocol message back, and
 * honours "stop" and SIGTERM by finishing the current step and saving. Messages from the parent
 * are validated; an invalid one is answered with an error message and otherwise ignored.
 */
import { toTrainerSchema, type FromTrainer } from '../shared/trainerProtocol';
import { runTraining } from './train/runTraining';

export async function serve(): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('bert-tune serve: needs an IPC channel (it is started by the extension, or with child_process.fork)\n');
    return 2;
  }
  const post = (m: FromTrainer) => new Promise<void>(resolve => send(m, undefined, {}, () => resolve()));
  let stopRequested = false;
  let running = false;
  let answer: ((go: boolean) => void) | undefined;
  process.on('SIGTERM', () => (stopRequested = true));
  return new Promise<number>(resolve => {
    // If the extension host goes away, there is nobody to report to: stop at the next step.
    process.on('disconnect', () => {
      stopRequested = true;
      answer?.(false);
      if (!running) resolve(0);
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
      void runTraining(msg.config, { emit: m => void post(m), shouldStop: () => stopRequested, confirm }, { resume: msg.resume }).then(async done => {
        running = false;
        // let the last messages reach the parent before the channel closes
        await post({ type: 'log', message: `trainer exiting (${done.status})` });
        resolve(done.status === 'failed' ? 1 : 0);
      });
    });
  });
}
