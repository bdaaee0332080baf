/**
 * Worker-thread entry (bundled as dist/datasetInspector.js): inspects dataset files for the
 * extension host off its event loop, so a 1 GB CSV never stalls the editor. One worker serves
 * many requests; each can be cancelled when its file changes again or the view goes away.
 */
import { parentPort } from 'node:worker_threads';
import { fromInspectorSchema, toInspectorSchema, type FromInspector } from '../shared/datasetInspectorProtocol';
import { DatasetReadError, inspectDataset } from './data/inspectDataset';

/** Files read at once: each is I/O-bound only part of the time, and the host has other work. */
const CONCURRENCY = 2;

if (!parentPort) throw new Error('datasetInspector must run as a worker thread');
const port = parentPort;

const running = new Map<number, AbortController>();
const queue: { id: number; path: string }[] = [];

function send(message: FromInspector): void {
  port.postMessage(fromInspectorSchema.parse(message));
}

function pump(): void {
  while (running.size < CONCURRENCY && queue.length) {
    const job = queue.shift()!;
    const abort = new AbortController();
    running.set(job.id, abort);
    inspectDataset(job.path, { signal: abort.signal })
      .then(info => send({ kind: 'inspected', id: job.id, info }))
      .catch((e: unknown) => {
        const cancelled = e instanceof DatasetReadError && e.cancelled;
        send({ kind: 'failed', id: job.id, message: e instanceof Error ? e.message : String(e), cancelled });
      })
      .finally(() => {
        running.delete(job.id);
        pump();
      });
  }
}

port.on('message', (raw: unknown) => {
  const parsed = toInspectorSchema.safeParse(raw);
  if (!parsed.success) {
    // A malformed request has no trustworthy id to answer; say so where the host logs stderr.
    console.error(`datasetInspector: ignored an invalid message: ${parsed.error.message}`);
    return;
  }
  const msg = parsed.data;
  if (msg.kind === 'inspect') {
    queue.push({ id: msg.id, path: msg.path });
    pump();
    return;
  }
  const queued = queue.findIndex(j => j.id === msg.id);
  if (queued >= 0) {
    queue.splice(queued, 1);
    send({ kind: 'failed', id: msg.id, message: 'Inspection cancelled.', cancelled: true });
  }
  running.get(msg.id)?.abort();
});
