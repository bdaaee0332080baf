/**
 * The inference process (`trainer.js serve-predict`): keeps a model loaded and answers
 * prediction requests over IPC. Requests that arrive while one is computed wait and are then
 * answered together, one batch pass for all of them. Incoming messages are validated.
 */
import { fromInferenceSchema, toInferenceSchema, type FromInference, type ToInference } from '../shared/inferenceProtocol';
import { describeBackend, selectBackend } from './backend';
import { predictFile } from './predict/predictFile';
import { Predictor } from './predict/predictor';

type PredictRequest = Extract<ToInference, { type: 'predict' }>;

export async function servePredict(): Promise<number> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('bert-tune serve-predict: needs an IPC channel (it is started by the extension)\n');
    return 2;
  }
  const post = (m: FromInference) => send(fromInferenceSchema.parse(m));
  const backend = await selectBackend();
  post({ type: 'log', message: `inference on ${describeBackend(backend)}` });
  const predictor = new Predictor();
  const queue: PredictRequest[] = [];
  const cancelled = new Set<number>();
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
          const { labels, results, maxLength } = await predictor.predict(first.model, group.flatMap(r => r.items), first.maxLength);
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
      predictor.dispose();
      resolve(0);
    });
    process.on('message', (raw: unknown) => {
      const parsed = toInferenceSchema.safeParse(raw);
      if (!parsed.success) {
        post({ type: 'log', message: `ignored an invalid message: ${parsed.error.message}` });
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
      void predictFile(predictor, { ...msg, onProgress: rows => post({ type: 'fileProgress', id: msg.id, rows }), shouldStop: () => cancelled.has(msg.id) }).then(
        r => post({ type: 'fileDone', id: msg.id, rows: r.rows, out: msg.out, cancelled: r.cancelled }),
        (e: unknown) => post({ type: 'failed', id: msg.id, message: e instanceof Error ? e.message : String(e) }),
      );
    });
  });
}
