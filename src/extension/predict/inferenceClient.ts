/**
 * The extension's side of the inference process: started on first use with the extension
 * host's Node, kept while predictions come, stopped when idle and on dispose. Requests and
 * answers are matched by id; every answer is validated. Free of `vscode`.
 */
import type { TaskName } from '../../shared/tasks';
import { fork, type ChildProcess } from 'node:child_process';
import { fromInferenceSchema, type FileEvaluation, type FromInference, type Prediction, type ToInference } from '../../shared/inferenceProtocol';

/** An idle inference process holds a model in memory: give it back after this long. */
export const IDLE_MS = 5 * 60_000;

/**
 * A request that hears nothing for this long fails, and the process, stuck, is stopped. Long
 * enough for a first prediction that downloads a model from the Hub; a file job's progress
 * messages reset it.
 */
export const REQUEST_TIMEOUT_MS = 10 * 60_000;

type Waiter = { resolve: (m: FromInference) => void; reject: (e: Error) => void; onProgress?: (rows: number, total?: number) => void; timer?: NodeJS.Timeout };

export interface PredictAnswer {
  labels: string[];
  /** The model's task (absent from older trainers: single-label). */
  task?: TaskName;
  /** Multi-label: the decision threshold per label. */
  thresholds?: number[];
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
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
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
    return { labels: m.labels, task: m.task, thresholds: m.thresholds, results: m.results, maxLength: m.maxLength };
  }

  async predictFile(
    o: { model: string; file: string; textCol: string; pairCol?: string; out: string; probabilities: boolean; maxLength?: number },
    onProgress: (rows: number) => void,
    signal?: AbortSignal,
  ): Promise<{ rows: number; skipped: number; warnings: string[]; cancelled: boolean }> {
    const m = await this.request(id => {
      signal?.addEventListener('abort', () => this.child?.send({ type: 'cancel', id } satisfies ToInference), { once: true });
      return { type: 'predictFile', id, ...o };
    }, onProgress);
    if (m.type !== 'fileDone') throw new Error(`unexpected answer ${m.type}`);
    return { rows: m.rows, skipped: m.skipped, warnings: m.warnings, cancelled: m.cancelled };
  }

  /** The model on a labelled file; undefined when cancelled through `signal`. */
  async evaluateFile(
    o: { model: string; file: string; textCol: string; pairCol?: string; labelCol: string; maxLength?: number },
    onProgress: (rows: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<FileEvaluation | undefined> {
    const m = await this.request(
      id => {
        signal?.addEventListener('abort', () => this.child?.send({ type: 'cancel', id } satisfies ToInference), { once: true });
        return { type: 'evaluateFile', id, ...o };
      },
      (rows, total) => onProgress(rows, total ?? 0),
    );
    if (m.type === 'evaluationCancelled') return undefined;
    if (m.type !== 'evaluation') throw new Error(`unexpected answer ${m.type}`);
    return m.evaluation;
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    this.child?.kill();
    this.child = undefined;
    this.failAll(new Error('the inference process was stopped'));
  }

  private request(make: (id: number) => ToInference, onProgress?: Waiter['onProgress']): Promise<FromInference> {
    const id = this.nextId++;
    const child = this.ensureChild();
    clearTimeout(this.idleTimer);
    return new Promise<FromInference>((resolve, reject) => {
      const w: Waiter = { resolve, reject, onProgress };
      this.waiting.set(id, w);
      this.armTimeout(id, w);
      child.send(make(id));
    }).finally(() => this.armIdleTimer());
  }

  /** (Re)starts a request's silence timer: on expiry the request fails and the stuck process goes. */
  private armTimeout(id: number, w: Waiter): void {
    clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      if (this.waiting.get(id) !== w) return;
      this.waiting.delete(id);
      w.reject(
        new Error(`the inference process gave no answer for ${Math.round(this.timeoutMs / 1000)} s; it was stopped (the next prediction starts a new one)`),
      );
      this.log(`inference request ${id} timed out: stopping the inference process`);
      this.dispose();
    }, this.timeoutMs);
    w.timer.unref();
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
      if (m.type === 'fileProgress' || m.type === 'evaluationProgress') {
        this.armTimeout(m.id, w);
        return w.onProgress?.(m.rows, m.type === 'evaluationProgress' ? m.total : undefined);
      }
      clearTimeout(w.timer);
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
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiting.clear();
  }
}
