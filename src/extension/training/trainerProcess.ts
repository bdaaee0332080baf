/**
 * The trainer child process as the extension sees it: forked with the extension host's own Node
 * (process.execPath with ELECTRON_RUN_AS_NODE, so no separate Node install is needed), spoken
 * to over IPC with the typed protocol of src/shared, every incoming message validated.
 * Free of `vscode`, so it is testable in plain Node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fromTrainerSchema, SHUTDOWN_SAVE_MS, type FromTrainer, type ToTrainer } from '../../shared/trainerProtocol';

export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote to stderr: what a crash said. */
  stderr: string;
}

/**
 * How long a trainer asked to stop may take to finish its step and save before it gets SIGTERM
 * (which it also reads as a stop request), and then as long again before SIGKILL: as long as it
 * has when VS Code closes (a bert-base step and save take ~25 s on a laptop, an evaluation of a
 * large validation set longer), so a Stop never kills the save it asked for.
 */
export const STOP_GRACE_MS = SHUTDOWN_SAVE_MS;

export class TrainerProcess {
  private readonly child: ChildProcess;
  private readonly events = new EventEmitter();
  private stderrTail = '';
  private exited: TrainerExit | undefined;
  readonly whenExited: Promise<TrainerExit>;

  constructor(trainerJs: string, options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}) {
    this.child = fork(trainerJs, ['serve'], {
      execPath: process.execPath,
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const log = options.log ?? (() => {});
    this.child.stdout?.on('data', (d: Buffer) => log(d.toString().trimEnd()));
    this.child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      log(text.trimEnd());
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    this.child.on('message', (raw: unknown) => {
      const parsed = fromTrainerSchema.safeParse(raw);
      if (!parsed.success) {
        log(`ignored an invalid message from the trainer: ${parsed.error.message}`);
        return;
      }
      this.events.emit('message', parsed.data);
    });
    this.whenExited = new Promise(resolve => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = { code, signal, stderr: this.stderrTail };
        resolve(this.exited);
      };
      this.child.on('exit', done);
      this.child.on('error', e => {
        this.stderrTail += `\n${e.message}`;
        done(null, null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  onMessage(listener: (m: FromTrainer) => void): () => void {
    this.events.on('message', listener);
    return () => this.events.off('message', listener);
  }

  send(message: ToTrainer): void {
    if (this.running && this.child.connected) this.child.send(message);
  }

  /** Asks for a graceful stop (finish the step, save), then escalates if it does not exit. */
  async stop(graceMs = STOP_GRACE_MS): Promise<TrainerExit> {
    if (!this.running) return this.whenExited;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => {
      this.child.kill('SIGTERM');
      setTimeout(() => this.child.kill('SIGKILL'), graceMs).unref();
    }, graceMs);
    timer.unref();
    const exit = await this.whenExited;
    clearTimeout(timer);
    return exit;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}
