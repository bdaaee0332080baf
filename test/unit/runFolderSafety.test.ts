/**
 * #18: what a run folder guarantees. A workspace cannot redirect the trainer's writes through a
 * link, a kill inside a checkpoint save loses nothing, one trainer holds a folder at a time, and
 * metrics.jsonl stays one clean curve across resumes and torn tails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { STOPPED_AT_SHUTDOWN, TRAIN_DEFAULTS, type TrainConfig } from '../../src/shared/trainerProtocol';
import { runsEndedWithSession } from '../../src/extension/runs/endedWithSession';
import { RUN_FILES, hasResumableCheckpoint, leftoversOf, liveRunLock } from '../../src/shared/runFolder';
import { initCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseModelConfig } from '../../src/trainer/model/config';
import { RunFolderWriter, escapeLogText } from '../../src/trainer/train/runFolderWriter';
import { ensureRunsFolder, listRuns, refuseRunFolder, summarizeRun } from '../../src/extension/runs/runStore';
import { useBackend } from './backendSetup';
import { runCollecting } from './runHelpers';
import { fixture, tempDir } from './helpers';

const VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
let baseModel: string;

before(async () => {
  await useBackend('wasm');
  baseModel = path.join(tempDir(), 'base');
  const config = parseModelConfig({
    model_type: 'bert',
    vocab_size: 30522,
    num_hidden_layers: 1,
    hidden_size: 16,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 128,
  });
  await initCheckpoint(config, VOCAB, baseModel, 1);
});

function config(out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...TRAIN_DEFAULTS,
    data: fixture('sst2-dev-200.tsv'),
    textCol: 'text',
    labelCol: 'label',
    model: baseModel,
    out,
    epochs: 1,
    batchSize: 16,
    learningRate: 1e-3,
    ...overrides,
  };
}

const metricsLines = (out: string) => fs.readFileSync(path.join(out, RUN_FILES.metrics), 'utf8').split('\n').filter(Boolean);

describe('a run folder never written through a link', () => {
  it('refuses a run whose log.txt is a link, and leaves its target as it was', async () => {
    const out = path.join(tempDir(), 'run');
    fs.mkdirSync(out);
    const victim = path.join(tempDir(), 'bashrc');
    fs.writeFileSync(victim, 'alias ls=ls\n');
    fs.symlinkSync(victim, path.join(out, RUN_FILES.log));
    const { done } = await runCollecting(config(out));
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /log\.txt is a symbolic link.*never writes through links/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'alias ls=ls\n');
    assert.ok(!fs.existsSync(path.join(out, RUN_FILES.config)), 'nothing written in the folder');
  });

  it('refuses a resume when checkpoints/ is a link, whatever the link points at', async () => {
    const out = path.join(tempDir(), 'run');
    assert.equal((await runCollecting(config(out), { stopAfter: 2 })).done.status, 'stopped');
    const elsewhere = path.join(tempDir(), 'elsewhere');
    fs.renameSync(path.join(out, RUN_FILES.checkpoints), elsewhere);
    fs.symlinkSync(elsewhere, path.join(out, RUN_FILES.checkpoints));
    const { done } = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /checkpoints is a symbolic link/);
  });

  it('writes each message as one line of the log: a newline or a terminal escape in a CSV cell stays visible text', async () => {
    assert.equal(escapeLogText('a\nb\r\tc\u001b[31m'), 'a\\nb\\r\\tc\\u001b[31m');
    const dir = tempDir();
    const data = path.join(dir, 'train.csv');
    fs.writeFileSync(data, 'text,label\n' + Array.from({ length: 20 }, (_, i) => `row ${i},${i % 2 ? 'yes' : 'no'}\n`).join(''));
    const validation = path.join(dir, 'validation.csv');
    fs.writeFileSync(validation, 'text,label\nfine,yes\nodd,"no\necho pwned"\n');
    const out = path.join(dir, 'run');
    const { done } = await runCollecting(config(out, { data, validationData: validation }));
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /validation\.csv, line 3: label "no\necho pwned"/);
    const log = fs.readFileSync(path.join(out, RUN_FILES.log), 'utf8');
    for (const line of log.split('\n').filter(Boolean)) assert.match(line, /^\d{4}-\d\d-\d\dT/, `a line of its own: ${line}`);
    assert.match(log, /label "no\\necho pwned"/);
  });
});

describe("the extension's runs folder", () => {
  it('is refused when .bert-tune/runs is a link out of the workspace: nothing listed, created or deleted there', () => {
    const workspace = tempDir();
    const outside = tempDir();
    fs.mkdirSync(path.join(outside, 'precious'));
    fs.writeFileSync(path.join(outside, 'precious', RUN_FILES.config), '{}');
    fs.mkdirSync(path.join(workspace, '.bert-tune'));
    fs.symlinkSync(outside, path.join(workspace, '.bert-tune', 'runs'));
    assert.deepEqual(listRuns(workspace, new Set()), []);
    assert.throws(() => ensureRunsFolder(workspace), /runs is a symbolic link/);
    assert.match(refuseRunFolder(path.join(workspace, '.bert-tune', 'runs', 'precious')) ?? '', /symbolic link/);
    assert.ok(fs.existsSync(path.join(outside, 'precious', RUN_FILES.config)));
  });

  it('lists no run folder that is a link, and refuses to delete one', () => {
    const workspace = tempDir();
    const root = ensureRunsFolder(workspace);
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, RUN_FILES.metrics), '');
    fs.symlinkSync(outside, path.join(root, 'linked'));
    fs.mkdirSync(path.join(root, 'real'));
    fs.writeFileSync(path.join(root, 'real', RUN_FILES.metrics), '');
    fs.mkdirSync(path.join(root, 'not-a-run')); // no train-config.json, no metrics.jsonl: a run waiting for its Start, or not ours
    assert.deepEqual(
      listRuns(workspace, new Set()).map(r => r.name),
      ['real'],
    );
    assert.match(refuseRunFolder(path.join(root, 'linked')) ?? '', /symbolic link/);
    assert.equal(refuseRunFolder(path.join(root, 'real')), undefined);
    assert.match(refuseRunFolder(path.join(workspace, 'somewhere')) ?? '', /not a run folder/);
  });

  it('never creates the target of a dangling .gitignore link', () => {
    const workspace = tempDir();
    const target = path.join(tempDir(), 'created-by-us');
    fs.mkdirSync(path.join(workspace, '.bert-tune'));
    fs.symlinkSync(target, path.join(workspace, '.bert-tune', '.gitignore'));
    ensureRunsFolder(workspace);
    assert.ok(!fs.existsSync(target));
    const fresh = tempDir();
    ensureRunsFolder(fresh);
    assert.match(fs.readFileSync(path.join(fresh, '.bert-tune', '.gitignore'), 'utf8'), /runs\/\*\/checkpoints\//);
  });
});

describe('a kill inside a checkpoint save', () => {
  for (const moment of ['between the two renames', 'with only the previous copy left'] as const) {
    it(`${moment}: the next resume restores checkpoints/last from the leftovers and removes the rest`, async () => {
      const out = path.join(tempDir(), 'run');
      assert.equal((await runCollecting(config(out), { stopAfter: 2 })).done.status, 'stopped');
      const last = path.join(out, RUN_FILES.checkpoints, 'last');
      const tag = `${process.pid + 1}-0badf00d`;
      // What writeFolderAtomically leaves when killed after its first rename: the previous folder
      // moved aside, the new one complete beside it. The second case leaves only the old copy.
      fs.renameSync(last, path.join(out, RUN_FILES.checkpoints, `.last.old-${tag}`));
      if (moment === 'between the two renames')
        fs.cpSync(path.join(out, RUN_FILES.checkpoints, `.last.old-${tag}`), path.join(out, RUN_FILES.checkpoints, `.last.tmp-${tag}`), { recursive: true });
      // and two stale leftovers of earlier kills
      fs.mkdirSync(path.join(out, RUN_FILES.checkpoints, `.best.tmp-${process.pid + 2}-deadbeef`));
      fs.mkdirSync(path.join(out, RUN_FILES.checkpoints, `.last.tmp-${process.pid + 3}-deadbeef`));
      assert.ok(hasResumableCheckpoint(out), 'the extension offers Resume from the leftovers');

      const { done, messages } = await runCollecting({ out } as TrainConfig, { resume: true });
      assert.equal(done.status, 'completed', done.reason);
      const started = messages.find(m => m.type === 'started');
      assert.equal(started?.type === 'started' && started.resumedFromStep, 2);
      assert.ok(messages.some(m => m.type === 'log' && /restored last from \.last\.(tmp|old)-/.test(m.message)));
      const left = fs.readdirSync(path.join(out, RUN_FILES.checkpoints));
      assert.deepEqual(left.sort(), ['best', 'last']);
      assert.deepEqual(leftoversOf(last), []);
    });
  }
});

describe('one trainer per run folder', () => {
  it('refuses a second trainer while one holds the folder, and names the holder', async () => {
    const out = path.join(tempDir(), 'run');
    let second: ReturnType<typeof runCollecting> | undefined;
    const first = await runCollecting(config(out), {
      onProgress: step => {
        if (step !== 1 || second) return;
        // A lock is per process: pretend the holder is another live one (our parent, the test runner).
        const lock = JSON.parse(fs.readFileSync(path.join(out, RUN_FILES.lock), 'utf8'));
        fs.writeFileSync(path.join(out, RUN_FILES.lock), JSON.stringify({ ...lock, pid: process.ppid }));
        assert.equal(liveRunLock(out)?.pid, process.ppid);
        assert.equal(summarizeRun(out, false).status, 'running');
        assert.equal(summarizeRun(out, false).lockedBy?.pid, process.ppid);
        // The second trainer tries the lock before its first await: it is refused right here.
        second = runCollecting({ out } as TrainConfig, { resume: true });
        fs.writeFileSync(path.join(out, RUN_FILES.lock), JSON.stringify(lock));
      },
      stopAfter: 2,
    });
    assert.equal(first.done.status, 'stopped');
    assert.ok(second);
    const refused = await second;
    assert.equal(refused.done.status, 'failed');
    assert.match(refused.done.reason ?? '', new RegExp(`is being trained by process ${process.ppid} .*stop that run first`));
    assert.ok(!fs.existsSync(path.join(out, RUN_FILES.lock)), 'released at the end of the run');
  });

  it('takes over a lock whose process is gone (a kill -9, a reboot)', async () => {
    const out = path.join(tempDir(), 'run');
    fs.mkdirSync(out);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise(r => dead.on('exit', r));
    fs.writeFileSync(
      path.join(out, RUN_FILES.lock),
      JSON.stringify({ schemaVersion: 1, pid: dead.pid, host: os.hostname(), startedAt: new Date().toISOString() }),
    );
    assert.equal(liveRunLock(out), undefined);
    const { done } = await runCollecting(config(out, { maxSteps: 1 }));
    assert.equal(done.status, 'completed', done.reason);
    const bootedLongAgo = JSON.stringify({
      schemaVersion: 1,
      pid: process.ppid,
      host: os.hostname(),
      startedAt: new Date(Date.now() - os.uptime() * 1000 - 60_000).toISOString(),
    });
    fs.writeFileSync(path.join(out, RUN_FILES.lock), bootedLongAgo);
    assert.equal(liveRunLock(out), undefined, 'a lock from before the last boot is stale, whatever process has its pid now');
  });
});

describe('metrics.jsonl across resumes and crashes', () => {
  it('on resume, forgets the steps trained after the last checkpoint: one step, one progress line', async () => {
    const out = path.join(tempDir(), 'run');
    await runCollecting(config(out, { evalSteps: 2 }), { stopAfter: 2 });
    // a kill at step 4, after the step-2 checkpoint: steps 3 and 4 are in the file, not in the checkpoint
    const later = [3, 4].map(step =>
      JSON.stringify({ type: 'progress', step, totalSteps: 10, epoch: 0.3, loss: 1, gradNorm: 1, learningRate: 1e-3, samplesPerSecond: 1, etaSeconds: 1 }),
    );
    fs.appendFileSync(path.join(out, RUN_FILES.metrics), later.join('\n') + '\n');
    const { done, messages } = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.equal(done.status, 'completed', done.reason);
    assert.ok(messages.some(m => m.type === 'log' && /2 messages of later steps/.test(m.message)));
    const steps = metricsLines(out)
      .map(l => JSON.parse(l))
      .filter(m => m.type === 'progress')
      .map(m => m.step as number);
    assert.deepEqual(
      steps,
      [...new Set(steps)].sort((a, b) => a - b),
      `steps in order, none twice: ${steps}`,
    );
  });

  it('mends a torn last line (a crash, a full disk) before appending, so the next message is not swallowed', async () => {
    const out = path.join(tempDir(), 'run');
    await runCollecting(config(out), { stopAfter: 1 });
    fs.appendFileSync(path.join(out, RUN_FILES.metrics), '{"type":"progress","step":2,"tot');
    fs.appendFileSync(path.join(out, RUN_FILES.log), '2026-01-01T00:00:00.000Z half a li');
    const { done } = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.equal(done.status, 'completed', done.reason);
    for (const line of metricsLines(out)) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.equal(JSON.parse(metricsLines(out).at(-1)!).type, 'done');
    assert.match(fs.readFileSync(path.join(out, RUN_FILES.log), 'utf8'), /half a li\n\d{4}-/);
  });

  it('keeps a fingerprint of its data, and a resume after the data changed says so', async () => {
    const data = path.join(tempDir(), 'data.tsv');
    fs.copyFileSync(fixture('sst2-dev-200.tsv'), data);
    const out = path.join(tempDir(), 'run');
    assert.equal((await runCollecting(config(out, { data }), { stopAfter: 2 })).done.status, 'stopped');
    const saved = JSON.parse(fs.readFileSync(path.join(out, RUN_FILES.config), 'utf8'));
    assert.equal(saved.dataFingerprint.bytes, fs.statSync(data).size);
    assert.match(saved.dataFingerprint.sha256, /^[0-9a-f]{64}$/);
    // unchanged: not a word
    const same = await runCollecting({ out } as TrainConfig, { resume: true, stopAfter: 1 });
    assert.ok(!same.messages.some(m => m.type === 'warning' && /changed since this run started/.test(m.message)));
    // 200 rows, now the first 100
    const lines = fs.readFileSync(data, 'utf8').split('\n');
    fs.writeFileSync(data, lines.slice(0, 101).join('\n') + '\n');
    const changed = await runCollecting({ out } as TrainConfig, { resume: true, stopAfter: 1 });
    const warning = changed.messages.find(m => m.type === 'warning' && /changed since this run started/.test(m.message));
    assert.ok(warning && warning.type === 'warning');
    assert.match(
      warning.message,
      new RegExp(
        `data\\.tsv changed since this run started: ${saved.dataFingerprint.bytes.toLocaleString('en-US')} bytes \\(200 rows then\\), now [\\d,]+ bytes.*start a new run`,
      ),
    );
  });

  it('resumes a run that ended before its first checkpoint by training it again from step 0', async () => {
    const out = path.join(tempDir(), 'run');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, RUN_FILES.config), JSON.stringify(config(out, { maxSteps: 2 })));
    fs.writeFileSync(path.join(out, RUN_FILES.metrics), JSON.stringify({ type: 'done', status: 'failed', reason: 'offline', step: 0 }) + '\n');
    const { done, messages } = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.equal(done.status, 'completed', done.reason);
    assert.ok(messages.some(m => m.type === 'log' && /no checkpoint to continue from: training it again from step 0/.test(m.message)));
  });
});

describe('messages that say which file and what to do', () => {
  it('a full disk during a save: the run fails saying so and where, and the last complete checkpoint stays', async () => {
    const out = path.join(tempDir(), 'run');
    assert.equal((await runCollecting(config(out), { stopAfter: 1 })).done.status, 'stopped');
    const open = fs.promises.open;
    fs.promises.open = (async (file: fs.PathLike, flags?: string | number, mode?: fs.Mode) => {
      if (String(file).includes(`${path.sep}checkpoints${path.sep}`))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      return open(file, flags, mode);
    }) as typeof fs.promises.open;
    let result;
    try {
      result = await runCollecting({ out } as TrainConfig, { resume: true, stopAfter: 1 });
    } finally {
      fs.promises.open = open;
    }
    assert.equal(result.done.status, 'failed');
    assert.match(result.done.reason ?? '', new RegExp(`^The disk is full \\(writing into ${out.replace(/[/\\]/g, '.')}\\)\\. Free some space.*resume the run`));
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, RUN_FILES.checkpoints, 'last', 'trainer_state.json'), 'utf8')).step, 1);
    assert.deepEqual(fs.readdirSync(path.join(out, RUN_FILES.checkpoints)), ['last'], 'no half-written copy left');
  });

  it('a damaged train-config.json or trainer_state.json names the file, the field and what to do', async () => {
    const out = path.join(tempDir(), 'run');
    await runCollecting(config(out), { stopAfter: 1 });
    const cfgFile = path.join(out, RUN_FILES.config);
    const good = fs.readFileSync(cfgFile, 'utf8');
    fs.writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(good), epochs: -1 }));
    let r = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.equal(r.done.status, 'failed');
    assert.match(r.done.reason ?? '', /train-config\.json is damaged: epochs must be more than 0, not -1\. It holds the run's settings/);
    fs.writeFileSync(cfgFile, '{"epochs": 3,');
    r = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.match(r.done.reason ?? '', /train-config\.json cannot be read: it is not valid JSON/);
    fs.writeFileSync(cfgFile, good);
    const stateFile = path.join(out, RUN_FILES.checkpoints, 'last', 'trainer_state.json');
    fs.writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(stateFile, 'utf8')), labels: 'a,b' }));
    r = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.equal(r.done.status, 'failed');
    assert.match(r.done.reason ?? '', /trainer_state\.json is damaged: labels must be .*not "a,b"\. Resuming needs it/);
  });

  it("train --out at another tool's folder refuses, and leaves its files as they were", async () => {
    const out = path.join(tempDir(), 'other-tool');
    fs.mkdirSync(path.join(out, 'checkpoints', 'last'), { recursive: true });
    fs.writeFileSync(path.join(out, 'checkpoints', 'last', 'model.safetensors'), 'theirs');
    fs.writeFileSync(path.join(out, 'log.txt'), 'their log\n');
    const { done } = await runCollecting(config(out, { maxSteps: 1 }));
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /other-tool is not empty \(checkpoints, log\.txt\) and is not a BERT Tune run.*Choose a new or empty --out folder/);
    assert.equal(fs.readFileSync(path.join(out, 'checkpoints', 'last', 'model.safetensors'), 'utf8'), 'theirs');
    assert.equal(fs.readFileSync(path.join(out, 'log.txt'), 'utf8'), 'their log\n');
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoints', 'log.txt']);
    // --resume there is refused too, before anything is recovered or cleaned
    const resumed = await runCollecting({ out } as TrainConfig, { resume: true });
    assert.match(resumed.done.reason ?? '', /is not a BERT Tune run \(it has no train-config\.json\): nothing to resume/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoints', 'log.txt']);
  });

  it("the loser of a race for a new run's folder is told the run is live, not that it ended", async () => {
    const out = path.join(tempDir(), 'run');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, RUN_FILES.config), JSON.stringify(config(out, { maxSteps: 1 })));
    const winner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      fs.writeFileSync(
        path.join(out, RUN_FILES.lock),
        JSON.stringify({ schemaVersion: 1, pid: winner.pid, host: os.hostname(), startedAt: new Date().toISOString() }),
      );
      const { done } = await runCollecting(config(out));
      assert.match(done.reason ?? '', new RegExp(`is being trained by process ${winner.pid}`));
      assert.doesNotMatch(done.reason ?? '', /ended before/);
    } finally {
      winner.kill();
    }
  });

  it('a run that ended before its first checkpoint: a new run there points at --resume, which trains it again', async () => {
    const out = path.join(tempDir(), 'run');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, RUN_FILES.config), JSON.stringify(config(out, { maxSteps: 1 })));
    const { done } = await runCollecting(config(out));
    assert.match(done.reason ?? '', /ended before its first checkpoint: train it again with --resume/);
  });
});

describe('RunFolderWriter', () => {
  it('releases its lock on close, and truncation must come before the first metrics line', async () => {
    const dir = tempDir();
    const w = await RunFolderWriter.open(dir, { resume: false });
    assert.ok(fs.existsSync(path.join(dir, RUN_FILES.lock)));
    w.appendMetrics({ type: 'log' });
    assert.throws(() => w.truncateMetricsAfter(0), /before the first metrics message/);
    w.close();
    assert.ok(!fs.existsSync(path.join(dir, RUN_FILES.lock)));
  });
});

describe('the next start after VS Code closed mid-run', () => {
  it('tells of a run stopped and saved at shutdown, and of one killed before its save, with the step each resumes from', async () => {
    const workspace = tempDir();
    const root = ensureRunsFolder(workspace);
    const saved = path.join(root, 'a-saved');
    await runCollecting(config(saved), { stopAfter: 2 });
    // as serve writes it when the extension goes away
    const lines = metricsLines(saved);
    const done = JSON.parse(lines.at(-1)!);
    fs.writeFileSync(path.join(saved, RUN_FILES.metrics), [...lines.slice(0, -1), JSON.stringify({ ...done, reason: STOPPED_AT_SHUTDOWN })].join('\n') + '\n');
    const killed = path.join(root, 'b-killed');
    await runCollecting(config(killed), { stopAfter: 2 });
    // killed at step 4, two steps after its last save: no done line
    const progress = JSON.parse(
      metricsLines(killed)
        .filter(l => l.includes('"progress"'))
        .at(-1)!,
    );
    fs.writeFileSync(
      path.join(killed, RUN_FILES.metrics),
      metricsLines(killed)
        .filter(l => !l.includes('"done"'))
        .concat([JSON.stringify({ ...progress, step: 4 })])
        .join('\n') + '\n',
    );
    const old = path.join(root, 'c-old');
    await runCollecting(config(old), { stopAfter: 1 });
    fs.writeFileSync(
      path.join(old, RUN_FILES.metrics),
      metricsLines(old)
        .filter(l => !l.includes('"done"'))
        .join('\n') + '\n',
    );
    const past = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(old, RUN_FILES.metrics), past, past);

    const ended = runsEndedWithSession(listRuns(workspace, new Set()), Date.now() - 600_000);
    assert.deepEqual(
      ended.map(e => e.run.name),
      ['b-killed', 'a-saved'],
      'the run from before the last session is not told again',
    );
    const [k, s] = ended;
    assert.equal(s.resumableStep, 2);
    assert.match(s.message, /stopped the run sst2-dev-200 · base \(a-saved\) at step 2 of \d+ when VS Code closed, and saved it/);
    assert.equal(k.resumableStep, 2);
    assert.match(k.message, /\(b-killed\) was interrupted at step 4 of \d+, before it could save: it can resume from its last checkpoint, at step 2/);
  });
});
