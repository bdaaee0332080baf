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
  const cancelled = new Set<number>();
  const fileJobs = new Map<number, Promise<void>>();
  let busy = false;

  const drain = async () => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length) {
        // Everything queued for the same model and max length goes through in one pass.
        const first = queue[0];
        const group = queue.filter(r => r.model === first.model && r.maxLength === first.maxLength);
        group.forEach(r => queue.splice(queue.indexOf(r), 1));
        try {
          const { labels, results, maxLength } = await predictor.predict(
            first.model,
            group.flatMap(r => r.items),
            first.maxLength,
          );
          predictor.notices.splice(0).forEach(message => post({ type: 'log', message }));
          let at = 0;
          for (const r of group) {
            post({ type: 'predictions', id: r.id, labels, results: results.slice(at, at + r.items.length), maxLength });
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
      for (const id of fileJobs.keys()) cancelled.add(id);
      void Promise.allSettled(fileJobs.values()).then(() => {
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
        cancelled.add(msg.id);
        return;
      }
      if (msg.type === 'predict') {
        queue.push(msg);
        void drain();
        return;
      }
      if (msg.type === 'evaluateFile') {
        const job = evaluateWith(predictor, msg, post, () => cancelled.has(msg.id)).finally(() => fileJobs.delete(msg.id));
        fileJobs.set(msg.id, job);
        return;
      }
      const job = predictFile(predictor, {
        ...msg,
        onProgress: rows => post({ type: 'fileProgress', id: msg.id, rows }),
        shouldStop: () => cancelled.has(msg.id),
      })
        .then(
          r => post({ type: 'fileDone', id: msg.id, rows: r.rows, skipped: r.skipped, warnings: r.warnings, out: msg.out, cancelled: r.cancelled }),
          (e: unknown) => post({ type: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e) }),
        )
        .finally(() => fileJobs.delete(msg.id));
      fileJobs.set(msg.id, job);
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
