/**
 * The inference process (`trainer.js serve-predict`): keeps a model loaded and answers
 * prediction requests over IPC. Requests that arrive while one is computed wait and are then
 * answered together, one batch pass for all of them. Incoming messages are validated, and an
 * invalid one that carries an id gets a "failed" answer, so its sender is not left waiting.
 * When the extension goes away, running file jobs are cancelled (their temporary files removed)
 * and the process exits once they have: nothing is sent into a closed channel.
 */
import { fromInferenceSchema, toInferenceSchema, type FromInference, type ToInference } from '../shared/inferenceProtocol';
import { describeBackend, selectBackend } from './backend';
import { predictFile } from './predict/predictFile';
import { evaluateFile } from './predict/evaluateFile';
import { EvaluationCancelled } from './train/evaluate';
import { Predictor } from './predict/predictor';

type PredictRequest = Extract<ToInference, { type: 'predict' }>;

export async function servePredict(): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('bert-tune serve-predict: needs an IPC channel (it is started by the extension)\n');
    return 2;
  }
  const post = (m: FromInference) => {
    if (!process.connected) return; // the extension went away: nobody to answer, and EPIPE otherwise
    send(fromInferenceSchema.parse(m), undefined, {}, () => {});
  };
  // A send racing the disconnect fails asynchronously: that is not a crash.
  process.on('error', e => {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE' && (e as NodeJS.ErrnoException).code !== 'ERR_IPC_CHANNEL_CLOSED') throw e;
  });
  const backend = await selectBackend();
  post({ type: 'log', message: `inference on ${describeBackend(backend)}` });
  const predictor = new Predictor();
  const queue: PredictRequest[] = [];
  const fileJobs = new FileJobs();
  let busy = false;

  const drain = async () => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length) {
        const group = nextPass(queue);
        group.forEach(r => queue.splice(queue.indexOf(r), 1));
        const first = group[0];
        try {
          const { labels, task, thresholds, results, maxLength } = await predictor.predict(
            first.model,
            group.flatMap(r => r.items),
            first.maxLength,
          );
          predictor.notices.splice(0).forEach(message => post({ type: 'log', message }));
          let at = 0;
          for (const r of group) {
            post({ type: 'predictions', id: r.id, labels, task, thresholds, results: results.slice(at, at + r.items.length), maxLength });
            at += r.items.length;
          }
        } catch (e) {
          for (const r of group) post({ type: 'failed', id: r.id, message: e instanceof Error ? e.message : String(e) });
        }
      }
    } finally {
      busy = false;
    }
  };

  return new Promise<number>(resolve => {
    process.on('disconnect', () => {
      void fileJobs.cancelAll().then(() => {
        predictor.dispose();
        resolve(0);
      });
    });
    process.on('message', (raw: unknown) => {
      const parsed = toInferenceSchema.safeParse(raw);
      if (!parsed.success) {
        const id = (raw as { id?: unknown } | null)?.id;
        const message = `invalid request: ${parsed.error.issues.map(i => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`;
        if (typeof id === 'number' && Number.isInteger(id) && id >= 0) post({ type: 'failed', id, message });
        else post({ type: 'log', message: `ignored an invalid message without an id: ${message}` });
        return;
      }
      const msg = parsed.data;
      if (msg.type === 'cancel') {
        fileJobs.cancel(msg.id);
        return;
      }
      if (msg.type === 'predict') {
        queue.push(msg);
        void drain();
        return;
      }
      if (msg.type === 'evaluateFile') {
        fileJobs.run(msg.id, shouldStop => evaluateWith(predictor, msg, post, shouldStop));
        return;
      }
      fileJobs.run(msg.id, shouldStop =>
        predictFile(predictor, {
          ...msg,
          onProgress: rows => post({ type: 'fileProgress', id: msg.id, rows }),
          shouldStop,
        }).then(
          r => post({ type: 'fileDone', id: msg.id, rows: r.rows, skipped: r.skipped, warnings: r.warnings, out: msg.out, cancelled: r.cancelled }),
          (e: unknown) => post({ type: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e) }),
        ),
      );
    });
  });
}

/** An evaluateFile request: progress after each batch (a few a second at most), the evaluation, or why not. */
async function evaluateWith(
  predictor: Predictor,
  msg: Extract<ToInference, { type: 'evaluateFile' }>,
  post: (m: FromInference) => void,
  shouldStop: () => boolean,
): Promise<void> {
  try {
    const loaded = await predictor.model(msg.model);
    predictor.notices.splice(0).forEach(message => post({ type: 'log', message }));
    let total = 0;
    let lastPost = 0;
    const evaluation = await evaluateFile(loaded, {
      ...msg,
      shouldStop,
      onRows: rows => {
        total = rows;
        post({ type: 'evaluationProgress', id: msg.id, rows: 0, total });
      },
      onProgress: rows => {
        if (Date.now() - lastPost < 250 && rows < total) return;
        lastPost = Date.now();
        post({ type: 'evaluationProgress', id: msg.id, rows, total });
      },
    });
    post({ type: 'evaluation', id: msg.id, evaluation });
  } catch (e) {
    if (e instanceof EvaluationCancelled) post({ type: 'evaluationCancelled', id: msg.id });
    else post({ type: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e) });
  }
}

/** The most text one pass takes, unless a single request is larger (it then goes alone). */
const PASS_CHARACTERS = 64 * 1024;
const PASS_ITEMS = 256;

/**
 * The requests the next pass answers together: those for the first request's model and max
 * length, smallest first, up to a budget of text. A selection's prediction queued behind large
 * requests waits for one bounded pass, not for all of them.
 */
export function nextPass<R extends { model: string; maxLength?: number; items: { text: string; pair?: string }[] }>(queue: readonly R[]): R[] {
  const first = queue[0];
  const size = (r: R) => r.items.reduce((n, i) => n + i.text.length + (i.pair?.length ?? 0), 0);
  const same = queue.filter(r => r.model === first.model && r.maxLength === first.maxLength);
  const bySize = same.map(r => ({ r, n: size(r) })).sort((a, b) => a.n - b.n);
  const pass: R[] = [];
  let characters = 0;
  let items = 0;
  for (const { r, n } of bySize) {
    if (pass.length && (characters + n > PASS_CHARACTERS || items + r.items.length > PASS_ITEMS)) break;
    pass.push(r);
    characters += n;
    items += r.items.length;
  }
  return pass;
}

/**
 * The running file jobs (predict a column, evaluate a file) and which of them were asked to
 * stop. An id is held only while its job runs: a cancel for a job that ended, or never was, is
 * not kept, so a long session does not accumulate them.
 */
export class FileJobs {
  private readonly jobs = new Map<number, Promise<void>>();
  private readonly stopping = new Set<number>();

  /** Starts a job; its `start` must not reject (it answers its own failures). */
  run(id: number, start: (shouldStop: () => boolean) => Promise<void>): void {
    const job = start(() => this.stopping.has(id)).finally(() => {
      this.jobs.delete(id);
      this.stopping.delete(id);
    });
    this.jobs.set(id, job);
  }

  cancel(id: number): void {
    if (this.jobs.has(id)) this.stopping.add(id);
  }

  /** Asks every job to stop; resolves once they all have. */
  cancelAll(): Promise<unknown> {
    for (const id of this.jobs.keys()) this.stopping.add(id);
    return Promise.allSettled(this.jobs.values());
  }

  /** Ids held (running or stopping): 0 once every job has ended. */
  get held(): number {
    return new Set([...this.jobs.keys(), ...this.stopping]).size;
  }
}
