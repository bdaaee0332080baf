import assert from 'node:assert/strict';
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { STOPPED_AT_SHUTDOWN, TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import { InferenceClient } from '../../src/extension/predict/inferenceClient';
import { fixture, TINY_FAMILIES } from './helpers';

const root = path.join(__dirname, '..', '..');
const trainer = path.join(root, 'dist', 'trainer.js');

describe('the bundled trainer (dist/trainer.js)', () => {
  before(() => {
    // Build exactly as the extension ships, so the test sees the copied .wasm files.
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
  });

  it("starts with a shebang, as the package's bert-tune bin", () => {
    assert.ok(fs.readFileSync(trainer, 'utf8').startsWith('#!/usr/bin/env node\n'));
  });

  it("has the tfjs WASM binaries and Dawn's WebGPU binary beside it", () => {
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', `dawn-${process.platform}-${process.arch}.node`])
      assert.ok(fs.existsSync(path.join(root, 'dist', f)), f);
  });

  it('picks WASM with SIMD here, saying why the native backends are not used', t => {
    const out = execFileSync(process.execPath, [trainer, 'backend'], { encoding: 'utf8' });
    const report = JSON.parse(out);
    // A machine with a hardware GPU trains on it (test/unit/webgpu.test.ts covers that).
    if (report.backend === 'webgpu' && !report.gpu.software) return t.skip('a hardware GPU is here: auto picks webgpu');
    // tfjs-node cannot install on this machine (its install downloads libtensorflow)
    assert.equal(report.backend, 'wasm');
    assert.equal(report.simd, true);
    assert.deepEqual(
      report.attempts.map((a: { backend: string }) => a.backend),
      ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'],
    );
    for (const a of [report.attempts[0], report.attempts[2]]) assert.match(a.reason, /not installed|failed to load/);
    // No GPU here: at most Mesa's software adapter, which auto passes over.
    assert.match(report.attempts[1].reason, /^(only a software adapter|no GPU adapter)/);
  });

  it('says whether its native matrix products run beside WASM, and why not when they do not', t => {
    const report = (env: Record<string, string> = {}) =>
      JSON.parse(execFileSync(process.execPath, [trainer, 'backend'], { encoding: 'utf8', env: { ...process.env, ...env } }));
    assert.deepEqual(report({ BERT_TUNE_NATIVE_KERNELS: 'off' }).nativeKernels, { reason: 'turned off (BERT_TUNE_NATIVE_KERNELS=off)' });
    assert.match(report({ BERT_TUNE_NATIVE_KERNELS: 'sse9' }).nativeKernels.reason ?? '', /BERT_TUNE_NATIVE_KERNELS=sse9, which this CPU does not run/);
    const addon = path.join(root, 'dist', `bert_tune_kernels-${process.platform}-${process.arch}.node`);
    const { nativeKernels } = report();
    if (!fs.existsSync(addon)) {
      assert.ok(!process.env.BERT_TUNE_EXPECT_NATIVE_KERNELS, `${addon} was expected (npm run build:native)`);
      assert.match(nativeKernels.reason, /not built for/);
      return t.skip('the native kernels were not built here');
    }
    assert.ok(nativeKernels.isa ?? /^(this CPU has neither|no native kernel for)/.test(nativeKernels.reason), JSON.stringify(nativeKernels));
    if (process.env.BERT_TUNE_EXPECT_NATIVE_KERNELS) assert.match(nativeKernels.isa, /^(AVX-512|AVX2\+FMA)$/);
  });

  it('uses the cpu backend when asked', () => {
    const report = JSON.parse(execFileSync(process.execPath, [trainer, 'backend', '--prefer', 'cpu'], { encoding: 'utf8' }));
    assert.equal(report.backend, 'cpu');
  });

  it('inspect prints a dataset summary, and exits 1 when a file has an error', () => {
    const fixtures = path.join(root, 'test', 'fixtures', 'workspace');
    const ok = spawnSync(process.execPath, [trainer, 'inspect', path.join(fixtures, 'sst2-dev-200.tsv')], { encoding: 'utf8' });
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /200 rows, tab-separated, header row/);
    assert.match(ok.stdout, /label \[label\]: 200 values, 2 distinct/);
    const bad = spawnSync(process.execPath, [trainer, 'inspect', '--json', path.join(fixtures, 'bad', 'empty.csv')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(JSON.parse(bad.stdout).problems[0].message, /empty/);
  });

  it('init-checkpoint writes a model that tokenize and logits then read', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-cli-')), 'model');
    const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
    const init = spawnSync(
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
        'neg,pos,mixed',
        '--seed',
        '7',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(init.status, 0, init.stderr);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.id2label, { 0: 'neg', 1: 'pos', 2: 'mixed' });
    assert.equal(config.num_hidden_layers, 1);
    const input = '{"text":"How are you doing?"}\n{"text":"My name is John","text_pair":"pair"}\n';
    const tok = spawnSync(process.execPath, [trainer, 'tokenize', '--model', out], { input, encoding: 'utf8' });
    assert.equal(tok.status, 0, tok.stderr);
    assert.deepEqual(
      tok.stdout
        .trim()
        .split('\n')
        .map(l => JSON.parse(l).input_ids),
      [
        [101, 2129, 2024, 2017, 2725, 1029, 102],
        [101, 2026, 2171, 2003, 2198, 102, 3940, 102],
      ],
    );
    const logits = spawnSync(process.execPath, [trainer, 'logits', '--model', out], { input, encoding: 'utf8' });
    assert.equal(logits.status, 0, logits.stderr);
    const rows = logits.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l).logits);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r: number[]) => r.length === 3 && r.every(Number.isFinite)));
    // same seed, same weights
    const again = path.join(path.dirname(out), 'again');
    spawnSync(process.execPath, [
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
      'neg,pos,mixed',
      '--seed',
      '7',
      '--out',
      again,
    ]);
    assert.ok(fs.readFileSync(path.join(out, 'model.safetensors')).equals(fs.readFileSync(path.join(again, 'model.safetensors'))));
  });

  it('every family through the CLI: init-checkpoint --config --tokenizer, train, eval, predict and export-script', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-cli-families-'));
    try {
      for (const family of TINY_FAMILIES.filter(f => ['distilbert', 'deberta-v2', 'modernbert'].includes(f.name))) {
        const config = path.join(work, `${family.name}.json`);
        fs.writeFileSync(config, JSON.stringify(family.config));
        const base = path.join(work, `${family.name}-base`);
        const tokenizerDir = fs.statSync(family.tokenizer).isDirectory() ? family.tokenizer : path.join(work, `${family.name}-tokenizer`);
        if (tokenizerDir !== family.tokenizer) {
          fs.mkdirSync(tokenizerDir);
          fs.copyFileSync(family.tokenizer, path.join(tokenizerDir, 'vocab.txt'));
        }
        const init = spawnSync(
          process.execPath,
          [trainer, 'init-checkpoint', '--config', config, '--tokenizer', tokenizerDir, '--labels', '0,1', '--out', base],
          { encoding: 'utf8' },
        );
        assert.equal(init.status, 0, init.stderr);
        assert.equal(JSON.parse(fs.readFileSync(path.join(base, 'config.json'), 'utf8')).architectures[0], family.architecture);
        const run = path.join(work, `${family.name}-run`);
        const data = ['--data', fixture('sst2-dev-200.tsv'), '--text-col', 'text', '--label-col', 'label'];
        const train = spawnSync(process.execPath, [trainer, 'train', ...data, '--model', base, '--out', run, '--max-steps', '2', '--batch-size', '8'], {
          encoding: 'utf8',
        });
        assert.equal(train.status, 0, train.stderr.slice(-2000));
        const started = train.stdout
          .split('\n')
          .filter(Boolean)
          .map(l => JSON.parse(l))
          .find(m => m.type === 'started');
        assert.equal(started.family, JSON.parse(fs.readFileSync(path.join(base, 'config.json'), 'utf8')).model_type === 'deberta-v2' ? 'deberta' : family.name);
        const evaluation = JSON.parse(execFileSync(process.execPath, [trainer, 'eval', '--model', run, ...data], { encoding: 'utf8' }));
        assert.equal(evaluation.rows, 200);
        const predicted = execFileSync(process.execPath, [trainer, 'predict', '--model', run], { input: '{"text": "a fine film"}\n', encoding: 'utf8' });
        assert.ok(['0', '1'].includes(JSON.parse(predicted).label));
        const exported = spawnSync(process.execPath, [trainer, 'export-script', '--run', run, '--out', path.join(work, `${family.name}-export`)], {
          encoding: 'utf8',
        });
        assert.equal(exported.status, 0, exported.stderr);
        const recipe = JSON.parse(fs.readFileSync(path.join(work, `${family.name}-export`, 'recipe.json'), 'utf8'));
        assert.equal(recipe.family.model_type, family.config.model_type);
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('eval and predict refuse a batch size of 0 at once (it used to loop forever), naming the range', () => {
    const tiny = path.join(root, 'test', 'fixtures', 'reference', 'tiny-bert');
    const data = path.join(root, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv');
    const evalRun = spawnSync(
      process.execPath,
      [trainer, 'eval', '--model', tiny, '--data', data, '--text-col', 'text', '--label-col', 'label', '--batch-size', '0'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(evalRun.status, 2, evalRun.stderr);
    assert.match(evalRun.stderr, /--batch-size takes a whole number from 1 to 8192, not "0"/);
    const predictRun = spawnSync(process.execPath, [trainer, 'predict', '--model', tiny, '--max-length', '100000'], {
      input: '',
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(predictRun.status, 2, predictRun.stderr);
    assert.match(predictRun.stderr, /--max-length takes a whole number from 8 to 8192, not "100000"/);
  });

  it('eval reads the data before the model: a wrong column is told before any model is looked for', () => {
    const data = path.join(root, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv');
    const r = spawnSync(
      process.execPath,
      [trainer, 'eval', '--model', path.join(root, 'no-such-model'), '--data', data, '--text-col', 'review', '--label-col', 'label'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /there is no column "review" \(--text-col\)/);
    assert.doesNotMatch(r.stderr, /no-such-model/);
  });

  it("logits of the reference tiny-bert equal transformers' unbatched logits", () => {
    const tiny = path.join(root, 'test', 'fixtures', 'reference', 'tiny-bert');
    const ref = fs
      .readFileSync(path.join(tiny, 'logits.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l))
      .slice(0, 6);
    const input = ref.map(r => JSON.stringify({ text: r.text })).join('\n') + '\n';
    const r = spawnSync(process.execPath, [trainer, 'logits', '--model', tiny, '--max-length', '128'], { input, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l).logits as number[]);
    got.forEach((row, i) =>
      row.forEach((v, j) => assert.ok(Math.abs(v - ref[i].logits_unbatched[j]) <= 1e-6, `line ${i}: ${v} vs ${ref[i].logits_unbatched[j]}`)),
    );
  });

  it('names the stdin line that is not JSON, with exit code 2', () => {
    const tiny = path.join(root, 'test', 'fixtures', 'reference', 'tiny-bert');
    const r = spawnSync(process.execPath, [trainer, 'tokenize', '--model', tiny], { input: '{"text":"ok"}\n{broken\n', encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /stdin line 2: not valid JSON/);
  });

  it('serve: trains on a "train" message over IPC, answers an invalid message, and stops on "stop"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-serve-'));
    const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
    const model = path.join(dir, 'model');
    const init = spawnSync(process.execPath, [
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
      'a,b',
      '--out',
      model,
    ]);
    assert.equal(init.status, 0);
    const child = fork(trainer, ['serve'], { stdio: 'pipe' });
    const messages: { type: string; status?: string; message?: string }[] = [];
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    child.on('message', (m: { type: string }) => {
      messages.push(m);
      if (m.type === 'progress' && messages.filter(x => x.type === 'progress').length === 3) child.send({ type: 'stop' });
    });
    child.send({ type: 'train', config: { nonsense: true } });
    child.send({
      type: 'train',
      config: {
        ...TRAIN_DEFAULTS,
        data: path.join(root, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
        textCol: 'text',
        labelCol: 'label',
        model,
        out: path.join(dir, 'run'),
        batchSize: 8,
        epochs: 5,
      },
    });
    assert.equal(await exited, 0);
    assert.match(messages[0].message ?? '', /ignored an invalid message/);
    const done = messages.find(m => m.type === 'done');
    assert.equal(done?.status, 'stopped');
    assert.ok(fs.existsSync(path.join(dir, 'run', 'checkpoints', 'last', 'trainer_state.json')));
  });

  it('serve: when the extension goes away mid-run (VS Code closed), finishes the step, saves, says why, and exits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-shutdown-'));
    const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
    const model = path.join(dir, 'model');
    assert.equal(
      spawnSync(process.execPath, [
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
        'a,b',
        '--out',
        model,
      ]).status,
      0,
    );
    const child = fork(trainer, ['serve'], { stdio: 'pipe' });
    let stderr = '';
    child.stderr!.on('data', d => (stderr += String(d)));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    let progress = 0;
    child.on('message', (m: { type: string }) => {
      if (m.type === 'progress' && ++progress === 2) child.disconnect();
    });
    const out = path.join(dir, 'run');
    child.send({
      type: 'train',
      config: {
        ...TRAIN_DEFAULTS,
        data: path.join(root, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
        textCol: 'text',
        labelCol: 'label',
        model,
        out,
        batchSize: 8,
        epochs: 5,
      },
    });
    assert.equal(await exited, 0, stderr);
    const done = JSON.parse(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    assert.equal(done.type, 'done');
    assert.equal(done.status, 'stopped');
    assert.equal(done.reason, STOPPED_AT_SHUTDOWN);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'last', 'trainer_state.json'), 'utf8'));
    assert.equal(saved.step, done.step);
    assert.ok(!fs.existsSync(path.join(out, 'run.lock')), 'the lock is released');
  });

  it('train: SIGTERM finishes the step, saves the last checkpoint and exits "stopped"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-sigterm-'));
    const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
    const model = path.join(dir, 'model');
    spawnSync(process.execPath, [
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
      'a,b',
      '--out',
      model,
    ]);
    const child = spawn(process.execPath, [
      trainer,
      'train',
      '--data',
      path.join(root, 'test', 'fixtures', 'workspace', 'sst2-dev-200.tsv'),
      '--text-col',
      'text',
      '--label-col',
      'label',
      '--model',
      model,
      '--out',
      path.join(dir, 'run'),
      '--epochs',
      '50',
      '--batch-size',
      '8',
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      if (!out.includes('"progress"') && d.toString().includes('"progress"')) child.kill('SIGTERM');
      out += d.toString();
    });
    const code = await new Promise(resolve => child.on('exit', resolve));
    assert.equal(code, 0);
    const done = JSON.parse(out.trim().split('\n').at(-1)!);
    assert.equal(done.type, 'done');
    assert.equal(done.status, 'stopped');
    assert.ok(fs.existsSync(path.join(dir, 'run', 'checkpoints', 'last', 'model.safetensors')));
    assert.match(fs.readFileSync(path.join(dir, 'run', 'log.txt'), 'utf8'), /done: stopped at step \d+ \(stopped on request\)/);
  });

  it('serve-predict: answers concurrent requests, cancels a file on request, and stops when idle', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-infer-'));
    const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
    const model = path.join(dir, 'model');
    spawnSync(process.execPath, [
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
      'x,y,z',
      '--out',
      model,
    ]);
    const client = new InferenceClient(
      trainer,
      () => ({}),
      () => {},
      300,
    );
    try {
      const [a, b] = await Promise.all([client.predict(model, [{ text: 'one' }, { text: 'two' }]), client.predict(model, [{ text: 'three' }])]);
      assert.deepEqual(a.labels, ['x', 'y', 'z']);
      assert.equal(a.results.length, 2);
      assert.equal(b.results.length, 1);
      assert.ok(Math.abs(b.results[0].probabilities.reduce((s, p) => s + p, 0) - 1) < 1e-5);
      const big = path.join(dir, 'big.csv');
      fs.writeFileSync(big, 'text\n' + Array.from({ length: 5000 }, (_, i) => `row number ${i}\n`).join(''));
      const abort = new AbortController();
      const r = await client.predictFile(
        { model, file: big, textCol: 'text', out: path.join(dir, 'out.csv'), probabilities: false },
        rows => rows >= 256 && abort.abort(),
        abort.signal,
      );
      assert.equal(r.cancelled, true);
      assert.ok(!fs.existsSync(path.join(dir, 'out.csv')), 'a cancelled prediction writes nothing');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['big.csv', 'model']);
      await new Promise(resolve => setTimeout(resolve, 800));
      assert.equal(client.running, false, 'the idle process was stopped');
      assert.equal((await client.predict(model, [{ text: 'again' }])).results.length, 1, 'and starts again on demand');
    } finally {
      client.dispose();
    }
  });

  it('rejects an unknown backend with usage help and exit code 2', () => {
    const r = spawnSync(process.execPath, [trainer, 'backend', '--prefer', 'gpu'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--prefer takes one of/);
  });
});
