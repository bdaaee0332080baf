/**
 * The extension's side of the inference process: started on first use with the extension
 * host's Node, kept while predictions come, stopped when idle and on dispose. Requests and
 * answers are matched by id; every answer is validated. Free of `vscode`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fromInferenceSchema, type FromInference, type Prediction, type ToInference } from '../../shared/inferenceProtocol';

/** An idle inference process holds a model in memory: give it back after this long. */
export const IDLE_MS = 5 * 60_000;

type Waiter = { resolve: (m: FromInference) => void; reject: (e: Error) => void; onProgress?: (rows: number) => void };

export interface PredictAnswer {
  labels: string[];
  results: Prediction[];
  maxLength: number;
}

export class InferenceClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly trainerJs: string,
    private readonly env: () => NodeJS.ProcessEnv,
    private readonly log: (line: string) => void = () => {},
    private readonly idleMs = IDLE_MS,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async predict(model: string, items: { text: string; pair?: string }[], maxLength?: number): Promise<PredictAnswer> {
    const m = await this.request(id => ({ type: 'predict', id, model, items, maxLength }));
    if (m.type !== 'predictions') throw new Error(`unexpected answer ${m.type}`);
    return { labels: m.labels, results: m.results, maxLength: m.maxLength };
  }

  async predictFile(
    o: { model: string; file: string; textCol: string; pairCol?: string; out: string; probabilities: boolean; maxLength?: number },
    onProgress: (rows: number) => void,
    signal?: AbortSignal,
  ): Promise<{ rows: number; cancelled: boolean }> {
    const m = await this.request(id => {
      signal?.addEventListener('abort', () => this.child?.send({ type: 'cancel', id } satisfies ToInference), { once: true });
      return { type: 'predictFile', id, ...o };
    }, onProgress);
    if (m.type !== 'fileDone') throw new Error(`unexpected answer ${m.type}`);
    return { rows: m.rows, cancelled: m.cancelled };
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    this.child?.kill();
    this.child = undefined;
    this.failAll(new Error('the inference process was stopped'));
  }

  private request(make: (id: number) => ToInference, onProgress?: (rows: number) => void): Promise<FromInference> {
    const id = this.nextId++;
    const child = this.ensureChild();
    clearTimeout(this.idleTimer);
    return new Promise<FromInference>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, onProgress });
      child.send(make(id));
    }).finally(() => this.armIdleTimer());
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.waiting.size) return;
    this.idleTimer = setTimeout(() => {
      this.log('inference process idle: stopping it (it starts again on the next prediction)');
      this.dispose();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.trainerJs, ['serve-predict'], {
      execPath: process.execPath,
      env: { ...process.env, ...this.env(), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
      this.log(`[inference] ${d.toString().trimEnd()}`);
    });
    child.on('message', (raw: unknown) => {
      const parsed = fromInferenceSchema.safeParse(raw);
      if (!parsed.success) return this.log(`[inference] ignored an invalid message: ${parsed.error.message}`);
      const m = parsed.data;
      if (m.type === 'log') return this.log(`[inference] ${m.message}`);
      const w = this.waiting.get(m.id);
      if (!w) return;
      if (m.type === 'fileProgress') return w.onProgress?.(m.rows);
      this.waiting.delete(m.id);
      if (m.type === 'failed') w.reject(new Error(m.message));
      else w.resolve(m);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.failAll(new Error(`the inference process exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    });
    this.child = child;
    return child;
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}
