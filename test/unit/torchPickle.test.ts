import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { readTorchCheckpoint, TorchCheckpointError, unpickle } from '../../src/trainer/checkpoint/torchPickle';
import { useBackend } from './backendSetup';
import { tempFile } from './helpers';

const TORCH = path.join(__dirname, '..', 'fixtures', 'torch');

describe('restricted torch.save reader', () => {
  it('reads views, offsets and every dtype of a real torch.save file', () => {
    const t = readTorchCheckpoint(path.join(TORCH, 'views.bin'));
    assert.deepEqual(t.get('transposed')!.shape, [4, 3]);
    assert.deepEqual([...t.get('transposed')!.data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual(t.get('sliced')!.shape, [2, 2]);
    assert.deepEqual([...t.get('sliced')!.data], [6, 7, 10, 11]);
    assert.deepEqual([...t.get('half')!.data], [1, -2, 0.5]);
    assert.deepEqual([...t.get('bf16')!.data], [1, -3]);
    assert.deepEqual([...t.get('long')!.data], [0, 1, 2]);
    assert.deepEqual([...t.get('param')!.data], [4, 5]);
  });

  it('refuses a pickle that calls os.system, and runs nothing', () => {
    fs.rmSync('/tmp/bert-tune-pwned', { force: true });
    assert.throws(
      () => readTorchCheckpoint(path.join(TORCH, 'evil.bin')),
      (e: Error) => e instanceof TorchCheckpointError && /posix\.system|os\.system/.test(e.message) && /refusing/.test(e.message),
    );
    assert.ok(!fs.existsSync('/tmp/bert-tune-pwned'));
  });

  it('refuses opcodes a weights file never uses', () => {
    // protocol 0 INST opcode: builds arbitrary objects
    assert.throws(() => unpickle(Buffer.from('ios\nsystem\n(S"echo"\ntR.', 'latin1')), /opcode 0x69/);
    // GLOBAL of a builtin
    assert.throws(() => unpickle(Buffer.from('cbuiltins\neval\n.', 'latin1')), /builtins\.eval/);
    // a truncated stream
    assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f])), /ends in the middle/);
  });

  it('says plainly when a file is not a zip (legacy torch format)', () => {
    assert.throws(() => readTorchCheckpoint(tempFile('old.bin', Buffer.from([0x80, 0x02, 0x8a, 0x0a]))), /not a zip archive/);
  });

  it('loads an old BertForPreTraining checkpoint: no "bert." prefix, gamma/beta, extra heads', async () => {
    await useBackend('wasm');
    const loaded = loadCheckpoint(path.join(TORCH, 'tiny-bert-legacy'));
    try {
      assert.equal(loaded.model.params.size, 41);
      assert.ok(loaded.notices.some(n => /restricted tensor reader/.test(n)));
      assert.ok(
        loaded.notices.some(n => /Not used: 1 weights.*cls\.predictions\.bias/.test(n)),
        loaded.notices.join('\n'),
      );
      const reference = loadCheckpoint(path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert'));
      const a = await loaded.model.toTorch();
      const b = await reference.model.toTorch();
      for (const [name, t] of b) assert.deepEqual([...a.get(name)!.data], [...t.data], name);
      reference.model.dispose();
    } finally {
      loaded.model.dispose();
    }
  });
});
