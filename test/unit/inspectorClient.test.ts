import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as esbuild from 'esbuild';
import { DatasetInspectorClient } from '../../src/extension/datasets/inspectorClient';
import { fixture, tempDir, tempFile } from './helpers';

/** The worker runs as the bundle the extension ships, built here from the same entry point. */
let workerPath: string;
before(async () => {
  const out = tempDir();
  await esbuild.build({
    entryPoints: { datasetInspector: path.join(__dirname, '../../src/trainer/datasetInspectorWorker.ts') },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outdir: out,
    logLevel: 'silent',
  });
  workerPath = path.join(out, 'datasetInspector.js');
});

describe('DatasetInspectorClient with the real worker', () => {
  const logs: string[] = [];
  let client: DatasetInspectorClient;
  before(() => (client = new DatasetInspectorClient(workerPath, l => logs.push(l))));
  after(() => client.dispose());

  it('inspects several files at once and answers each', async () => {
    const [sst, chn, bad] = await Promise.all([
      client.inspect(fixture('sst2-dev-200.tsv')),
      client.inspect(fixture('chnsenticorp-200.csv')),
      client.inspect(fixture('bad', 'binary.csv')),
    ]);
    assert.equal(sst.status === 'ready' && sst.info.rows, 200);
    assert.equal(chn.status === 'ready' && chn.info.hasHeader, false);
    assert.ok(bad.status === 'ready' && /binary/.test(bad.info.problems[0].message));
  });

  it('reports a missing file as failed, with the reason', async () => {
    const outcome = await client.inspect('/nonexistent/file.csv');
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.message : '', /no longer exists/);
  });

  it('cancels an inspection when its signal aborts', async () => {
    const file = tempFile('big.csv', 'text,label\n' + 'words and more words,1\n'.repeat(400000));
    const abort = new AbortController();
    const pending = client.inspect(file, abort.signal);
    setTimeout(() => abort.abort(), 20);
    assert.deepEqual(await pending, { status: 'cancelled' });
    // and the worker still serves the next request
    const next = await client.inspect(fixture('sst2-dev-200.tsv'));
    assert.equal(next.status, 'ready');
  });
});

describe('DatasetInspectorClient when the worker misbehaves', () => {
  it('fails pending requests when the worker dies, then starts a new one', async () => {
    const logs: string[] = [];
    const client = new DatasetInspectorClient(workerPath, l => logs.push(l));
    try {
      const file = tempFile('big.csv', 'text,label\n' + 'words and more words,1\n'.repeat(400000));
      const pending = client.inspect(file);
      // reach into the client to kill its worker, as a crash would
      await (client as unknown as { worker: Worker }).worker.terminate();
      const outcome = await pending;
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.status === 'failed' ? outcome.message : '', /inspector stopped/);
      const again = await client.inspect(fixture('sst2-dev-200.tsv'));
      assert.equal(again.status, 'ready');
    } finally {
      client.dispose();
    }
  });

  it('ignores invalid messages from the worker and logs them', async () => {
    const script = tempFile(
      'liar.js',
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', m => { parentPort.postMessage({ kind: 'inspected', id: m.id, info: { rows: -1 } }); parentPort.postMessage({ kind: 'failed', id: m.id, message: 'honest', cancelled: false }); });`,
    );
    const logs: string[] = [];
    const client = new DatasetInspectorClient(script, l => logs.push(l));
    try {
      const outcome = await client.inspect('/any.csv');
      assert.deepEqual(outcome, { status: 'failed', message: 'honest' });
      assert.ok(
        logs.some(l => /ignored an invalid message/.test(l)),
        logs.join('\n'),
      );
    } finally {
      client.dispose();
    }
  });

  it('answers cancelled after dispose instead of hanging', async () => {
    const client = new DatasetInspectorClient(workerPath);
    client.dispose();
    assert.deepEqual(await client.inspect(fixture('sst2-dev-200.tsv')), { status: 'cancelled' });
  });
});
