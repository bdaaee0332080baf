/**
 * #18: the inference process and its client over a real IPC channel (dist/trainer.js): a bad
 * request with an id is answered, a client that goes during a file job leaves no file behind
 * and no crash, and a process that never answers fails the request instead of hanging it.
 */
import assert from 'node:assert/strict';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { fromInferenceSchema, type FromInference } from '../../src/shared/inferenceProtocol';
import { InferenceClient } from '../../src/extension/predict/inferenceClient';
import { FileJobs, nextPass } from '../../src/trainer/servePredict';
import { tempDir } from './helpers';

const root = path.join(__dirname, '..', '..');
const trainer = path.join(root, 'dist', 'trainer.js');
const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

const idOf = (m: FromInference) => ('id' in m ? m.id : undefined);

function startServer() {
  const child = fork(trainer, ['serve-predict'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, BERT_TUNE_BACKEND: 'wasm' } });
  let stderr = '';
  child.stderr!.on('data', d => (stderr += String(d)));
  const messages: FromInference[] = [];
  const waiters: { test: (m: FromInference) => boolean; resolve: (m: FromInference) => void }[] = [];
  child.on('message', raw => {
    const m = fromInferenceSchema.parse(raw);
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.test(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  const next = (test: (m: FromInference) => boolean) =>
    new Promise<FromInference>(resolve => {
      const seen = messages.find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  return { child, next, exited, stderr: () => stderr };
}

describe('serve-predict over IPC', () => {
  let model: string;
  before(() => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
    model = path.join(tempDir(), 'model');
    const r = spawnSync(
      process.execPath,
      [
        trainer,
        'init-checkpoint',
        '--layers',
        '1',
        '--hidden',
        '16',
        '--heads',
        '2',
        '--intermediate',
        '32',
        '--vocab',
        vocab,
        '--labels',
        'x,y',
        '--out',
        model,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
  });

  it('answers a malformed request that carries an id with "failed", naming the field', async () => {
    const s = startServer();
    try {
      s.child.send({ type: 'predict', id: 7, model: '', items: [{ text: 1 }] });
      const m = await s.next(x => x.type === 'failed' && x.id === 7);
      assert.ok(m.type === 'failed');
      assert.match(m.message, /invalid request: .*model/);
      s.child.send({ type: 'predict', id: 8, model, items: [{ text: 'still serving' }] });
      assert.equal((await s.next(x => x.type === 'predictions' && x.id === 8)).type, 'predictions');
    } finally {
      s.child.kill();
    }
  });

  it('when the client goes during a file job: cancels it, removes its temporary file, exits cleanly', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, 'text\n' + Array.from({ length: 20000 }, (_, i) => `row number ${i}\n`).join(''));
    const s = startServer();
    s.child.send({ type: 'predictFile', id: 1, model, file, textCol: 'text', out: path.join(dir, 'out.csv'), probabilities: false });
    await s.next(m => m.type === 'fileProgress' && m.id === 1);
    assert.ok(
      fs.readdirSync(dir).some(f => f.includes('.tmp-')),
      'the job is writing its temporary file',
    );
    s.child.disconnect();
    assert.equal(await s.exited, 0, s.stderr());
    assert.doesNotMatch(s.stderr(), /EPIPE|ERR_IPC_CHANNEL_CLOSED/);
    assert.deepEqual(fs.readdirSync(dir), ['big.csv']);
  });

  it('a file job whose output cannot be written fails alone, with its reason; the process keeps serving', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'in.csv');
    fs.writeFileSync(file, 'text\n' + Array.from({ length: 3000 }, (_, i) => `row number ${i}\n`).join(''));
    const notAFolder = path.join(dir, 'plain.txt');
    fs.writeFileSync(notAFolder, 'x');
    const s = startServer();
    try {
      const job = (id: number, out: string) => s.child.send({ type: 'predictFile', id, model, file, textCol: 'text', out, probabilities: false });
      job(1, path.join(dir, 'missing', 'out.csv'));
      job(2, path.join(notAFolder, 'out.csv'));
      // two jobs on one output name: the first reserves it, the second is told so
      job(3, path.join(dir, 'same.csv'));
      job(4, path.join(dir, 'same.csv'));
      const missing = await s.next(m => idOf(m) === 1 && m.type !== 'log');
      assert.ok(missing.type === 'failed', JSON.stringify(missing));
      assert.match(missing.message, /Cannot write the predictions to .*missing.*out\.csv: the folder .*missing does not exist/);
      const underFile = await s.next(m => idOf(m) === 2 && m.type !== 'log');
      assert.ok(underFile.type === 'failed' && /Cannot write the predictions to .*plain\.txt/.test(underFile.message), JSON.stringify(underFile));
      const second = await s.next(m => idOf(m) === 4 && (m.type === 'failed' || m.type === 'fileDone'));
      assert.ok(second.type === 'failed' && /same\.csv exists already \(or another job is writing it\)/.test(second.message), JSON.stringify(second));
      const first = await s.next(m => idOf(m) === 3 && (m.type === 'failed' || m.type === 'fileDone'));
      assert.equal(first.type, 'fileDone', JSON.stringify(first));
      assert.equal(fs.readFileSync(path.join(dir, 'same.csv'), 'utf8').trim().split('\n').length, 3001);
      s.child.send({ type: 'predict', id: 5, model, items: [{ text: 'still serving' }] });
      assert.equal((await s.next(x => idOf(x) === 5)).type, 'predictions');
      assert.equal(s.child.exitCode, null, s.stderr());
      assert.deepEqual(fs.readdirSync(dir).sort(), ['in.csv', 'plain.txt', 'same.csv'], 'no temporary or reserved file left');
    } finally {
      s.child.kill();
    }
  });

  it('fails a request that gets no answer, and stops the silent process', async () => {
    const silent = path.join(tempDir(), 'silent.js');
    fs.writeFileSync(silent, "process.on('message', () => {});\n");
    const logs: string[] = [];
    const client = new InferenceClient(
      silent,
      () => ({}),
      l => logs.push(l),
      60_000,
      300,
    );
    try {
      await assert.rejects(client.predict(model, [{ text: 'hello' }]), /gave no answer for 0 s; it was stopped/);
      assert.equal(client.running, false);
      assert.ok(logs.some(l => /timed out/.test(l)));
    } finally {
      client.dispose();
    }
  });

  it("evaluates a labelled file: the CLI eval's numbers, consistent with one another, through the client", async () => {
    const dir = tempDir();
    const file = path.join(dir, 'labelled.csv');
    const words = ['good', 'bad', 'fine', 'awful', 'great', 'poor'];
    const lines = ['text,label', ...Array.from({ length: 200 }, (_, i) => `${words[i % 6]} film number ${i},${i % 3 ? 'x' : 'y'}`), 'no label here,'];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const client = new InferenceClient(trainer, () => ({ BERT_TUNE_BACKEND: 'wasm' }));
    try {
      const progress: [number, number][] = [];
      const e = await client.evaluateFile({ model, file, textCol: 'text', labelCol: 'label', maxLength: 32 }, (rows, total) => progress.push([rows, total]));
      assert.ok(e);
      assert.equal(e.rows, 200);
      assert.equal(e.skipped, 1);
      assert.deepEqual(e.labels, ['x', 'y']);
      assert.equal(e.maxLength, 32);
      const cells = e.confusion.flat().reduce((a, b) => a + b, 0);
      assert.equal(cells, 200);
      assert.equal(e.accuracy, (e.confusion[0][0] + e.confusion[1][1]) / 200);
      assert.deepEqual(
        e.perClass.map(c => c.support),
        [133, 67],
      );
      assert.equal(e.misclassified.length, Math.min(100, 200 - e.confusion[0][0] - e.confusion[1][1]));
      for (const m of e.misclassified) {
        assert.equal(m.text, lines[m.line - 1].split(',')[0], `line ${m.line}`);
        assert.equal(m.truth, lines[m.line - 1].split(',')[1]);
        assert.notEqual(m.truth, m.predicted);
      }
      assert.match(e.warnings.join(' '), /skipped 1 row with an empty text or label \(line 202\)/);
      assert.deepEqual(progress.at(-1), [200, 200]);
      assert.deepEqual(progress[0], [0, 200]);

      const cli = spawnSync(
        process.execPath,
        [trainer, 'eval', '--model', model, '--data', file, '--text-col', 'text', '--label-col', 'label', '--max-length', '32'],
        {
          encoding: 'utf8',
          env: { ...process.env, BERT_TUNE_BACKEND: 'wasm' },
        },
      );
      assert.equal(cli.status, 0, cli.stderr);
      const { warnings, ...rest } = e;
      assert.deepEqual(JSON.parse(cli.stdout), rest);
      assert.match(cli.stderr, new RegExp(warnings[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

      const wrong = path.join(dir, 'other-labels.csv');
      fs.writeFileSync(wrong, 'text,label\nfine,x\nodd,z\n');
      await assert.rejects(
        client.evaluateFile({ model, file: wrong, textCol: 'text', labelCol: 'label' }, () => {}),
        /line 3: label "z" is not one of the model's labels \(x, y\)/,
      );

      const abort = new AbortController();
      const cancelled = client.evaluateFile({ model, file, textCol: 'text', labelCol: 'label' }, () => {}, abort.signal);
      abort.abort();
      assert.equal(await cancelled, undefined);
    } finally {
      client.dispose();
    }
  });
});

describe('serve-predict scheduling', () => {
  const request = (id: number, chars: number, items = 1, model = 'm') => ({
    id,
    model,
    items: Array.from({ length: items }, () => ({ text: 'x'.repeat(chars) })),
  });

  it('answers small requests first, in passes bounded by their text: a selection does not wait for 20 large files', () => {
    const queue = [...Array.from({ length: 20 }, (_, i) => request(i, 1_000_000)), request(99, 20)];
    assert.deepEqual(
      nextPass(queue).map(r => r.id),
      [99],
      'the small one first, alone',
    );
    assert.deepEqual(
      nextPass(queue.slice(0, 20)).map(r => r.id),
      [0],
      'a request larger than the budget goes alone',
    );
    assert.deepEqual(
      nextPass(Array.from({ length: 10 }, (_, i) => request(i, 10_000))).map(r => r.id),
      [0, 1, 2, 3, 4, 5],
      '64 KB of text a pass',
    );
    assert.deepEqual(
      nextPass([request(1, 10, 1, 'a'), request(2, 5, 1, 'b'), request(3, 1, 1, 'a')]).map(r => r.id),
      [3, 1],
      "only the first request's model",
    );
    assert.equal(nextPass(Array.from({ length: 600 }, (_, i) => request(i, 1))).length, 256, '256 items a pass');
  });

  it('holds a cancelled id only while its job runs', async () => {
    const jobs = new FileJobs();
    let finish!: () => void;
    let stopSeen = false;
    jobs.run(1, shouldStop => new Promise<void>(r => (finish = () => ((stopSeen = shouldStop()), r()))));
    jobs.cancel(1);
    jobs.cancel(2); // no such job: nothing kept
    for (let id = 10; id < 1000; id++) jobs.cancel(id);
    assert.equal(jobs.held, 1);
    finish();
    await jobs.cancelAll();
    assert.equal(stopSeen, true);
    assert.equal(jobs.held, 0);
  });
});
