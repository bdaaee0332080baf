/**
 * The extension host's side of the dataset inspector worker (dist/datasetInspector.js). Starts
 * the worker on first use, restarts it if it dies, validates every message it sends back.
 * Free of `vscode` so it can be tested in plain Node.
 */
import { Worker } from 'node:worker_threads';
import type { DatasetInfo } from '../../shared/dataset';
import { fromInspectorSchema, type ToInspector } from '../../shared/datasetInspectorProtocol';

export type InspectOutcome = { status: 'ready'; info: DatasetInfo } | { status: 'failed'; message: string } | { status: 'cancelled' };

interface Pending {
  resolve: (outcome: InspectOutcome) => void;
}

export class DatasetInspectorClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(
    private readonly workerPath: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Inspects a local file; resolves (never rejects) with what was found or why not. */
  inspect(fsPath: string, signal?: AbortSignal): Promise<InspectOutcome> {
    if (this.disposed) return Promise.resolve({ status: 'cancelled' });
    if (signal?.aborted) return Promise.resolve({ status: 'cancelled' });
    const id = this.nextId++;
    const worker = this.ensureWorker();
    return new Promise<InspectOutcome>(resolve => {
      this.pending.set(id, { resolve });
      signal?.addEventListener('abort', () => this.post(worker, { kind: 'cancel', id }), { once: true });
      this.post(worker, { kind: 'inspect', id, path: fsPath });
    });
  }

  dispose(): void {
    this.disposed = true;
    this.failAll({ status: 'cancelled' });
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private post(worker: Worker, message: ToInspector): void {
    if (worker === this.worker) worker.postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerPath, { stderr: true });
    worker.stderr.on('data', (d: Buffer) => this.log(`[dataset inspector] ${d.toString().trimEnd()}`));
    worker.on('message', (raw: unknown) => this.onMessage(raw));
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.log(`[dataset inspector] ${why}`);
      this.failAll({ status: 'failed', message: `The dataset inspector stopped (${why}); use Refresh to try again.` });
    };
    worker.on('error', e => lost(`crashed: ${e.message}`));
    worker.on('exit', code => lost(`exited with code ${code}`));
    // Idle workers must not keep the extension host (or a test process) alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(raw: unknown): void {
    const parsed = fromInspectorSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`[dataset inspector] ignored an invalid message: ${parsed.error.message}`);
      return;
    }
    const msg = parsed.data;
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    this.pending.delete(msg.id);
    if (msg.kind === 'inspected') pending.resolve({ status: 'ready', info: msg.info });
    else pending.resolve(msg.cancelled ? { status: 'cancelled' } : { status: 'failed', message: msg.message });
  }

  private failAll(outcome: InspectOutcome): void {
    for (const p of this.pending.values()) p.resolve(outcome);
    this.pending.clear();
  }
}
