/**
 * #18: a model folder cannot make the trainer allocate what its files do not hold: sizes are
 * checked against the config and the file before any tensor is made.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { loadCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { serializeSafetensors } from '../../src/trainer/checkpoint/safetensors';
import { readTorchCheckpoint, TorchCheckpointError } from '../../src/trainer/checkpoint/torchPickle';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');

/** A protocol-2 pickle of {name: _rebuild_tensor_v2(storage(FloatStorage, "0", numel), 0, size, stride)}, as torch.save writes it. */
function tensorPickle(name: string, storageNumel: number, size: number[], stride: number[], o: { offset?: number; storageClass?: string } = {}): Uint8Array {
  const out: number[] = [];
  const op = (...b: number[]) => out.push(...b);
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b);
  };
  const int = (n: number) => op(0x4a, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  const global = (module: string, fn: string) => op(0x63, ...Buffer.from(`${module}\n${fn}\n`, 'latin1'));
  op(0x80, 2, 0x7d); // PROTO 2, EMPTY_DICT
  str(name);
  global('torch._utils', '_rebuild_tensor_v2');
  op(0x28); // MARK: the arguments
  op(0x28); // MARK: the persistent id
  str('storage');
  global('torch', o.storageClass ?? 'FloatStorage');
  str('0');
  str('cpu');
  int(storageNumel);
  op(0x74, 0x51); // TUPLE, BINPERSID
  int(o.offset ?? 0); // offset
  op(0x28);
  size.forEach(int);
  op(0x74);
  op(0x28);
  stride.forEach(int);
  op(0x74);
  op(0x89, 0x7d); // requires_grad False, backward hooks {}
  op(0x74, 0x52, 0x73, 0x2e); // TUPLE, REDUCE, SETITEM, STOP
  return Uint8Array.from(out);
}

function binFile(files: Record<string, Uint8Array>, level: 0 | 9 = 0): string {
  const file = path.join(tempDir(), 'pytorch_model.bin');
  fs.writeFileSync(file, zipSync(files, { level }));
  return file;
}

describe('hostile weight files', () => {
  it('reads a well-formed hand-made .bin (the pickle builder is right)', () => {
    const file = binFile({
      'archive/data.pkl': tensorPickle('w', 6, [2, 3], [3, 1]),
      'archive/data/0': new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer),
    });
    const t = readTorchCheckpoint(file).get('w')!;
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual([...t.data], [1, 2, 3, 4, 5, 6]);
  });

  it('refuses a stride-0 view of 2^30 elements over a 1-element storage, before allocating it', () => {
    const file = binFile({ 'archive/data.pkl': tensorPickle('w', 1, [2 ** 30], [0]), 'archive/data/0': new Uint8Array(4) });
    assert.ok(fs.statSync(file).size < 1000);
    const before = process.memoryUsage().rss;
    assert.throws(
      () => readTorchCheckpoint(file),
      (e: Error) => e instanceof TorchCheckpointError && /1073741824 elements but its storage only 1 .*contiguous/.test(e.message),
    );
    assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20, 'nothing large was allocated');
  });

  it('refuses a view whose strides reach past its storage', () => {
    const file = binFile({ 'archive/data.pkl': tensorPickle('w', 6, [2, 3], [4, 1]), 'archive/data/0': new Uint8Array(24) });
    assert.throws(() => readTorchCheckpoint(file), /reaches past the end of its storage/);
  });

  it('refuses a negative storage offset, naming the file and the tensor', () => {
    const file = binFile({ 'archive/data.pkl': tensorPickle('w', 6, [2, 3], [3, 1], { offset: -4 }), 'archive/data/0': new Uint8Array(24) });
    assert.throws(
      () => readTorchCheckpoint(file),
      (e: Error) => e instanceof TorchCheckpointError && e.message.startsWith(file) && /tensor w starts at a negative offset \(-4\)/.test(e.message),
    );
  });

  it('refuses a storage whose bytes do not match its dtype and size', () => {
    const file = binFile({ 'archive/data.pkl': tensorPickle('w', 6, [2, 3], [3, 1]), 'archive/data/0': new Uint8Array(48) });
    assert.throws(() => readTorchCheckpoint(file), /storage 0 holds 48 bytes, but 6 elements of FloatStorage take 24: its dtype does not match its bytes/);
  });

  it('refuses torch.constructor and torch.__proto__ as storage classes (own names only, not the prototype chain)', () => {
    for (const storageClass of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const file = binFile({ 'archive/data.pkl': tensorPickle('w', 6, [2, 3], [3, 1], { storageClass }), 'archive/data/0': new Uint8Array(24) });
      assert.throws(
        () => readTorchCheckpoint(file),
        (e: Error) => e instanceof TorchCheckpointError && /names torch\.\w+, which a weights file never needs; refusing/.test(e.message),
        storageClass,
      );
    }
  });

  it('reads 2 million APPENDS items without overflowing the stack', () => {
    const n = 2_000_000;
    const pkl = new Uint8Array(2 + 2 + 2 * n + 2);
    pkl.set([0x80, 2, 0x5d, 0x28]); // PROTO 2, EMPTY_LIST, MARK
    for (let i = 0; i < n; i++) pkl.set([0x4b, 0], 4 + 2 * i); // BININT1 0
    pkl.set([0x65, 0x2e], 4 + 2 * n); // APPENDS, STOP
    const file = binFile({ 'archive/data.pkl': pkl });
    assert.throws(
      () => readTorchCheckpoint(file),
      (e: Error) => e instanceof TorchCheckpointError && /holds no state dict/.test(e.message),
    );
  });

  it('refuses a zip bomb by its declared inflated size, before inflating it', () => {
    const file = binFile({ 'archive/data.pkl': tensorPickle('w', 2 ** 25, [2 ** 25], [1]), 'archive/data/0': new Uint8Array(2 ** 27) }, 9);
    assert.ok(fs.statSync(file).size < 2 ** 20, `${fs.statSync(file).size} bytes`);
    const before = process.memoryUsage().rss;
    assert.throws(() => readTorchCheckpoint(file), /archive\/data\/0 claims to inflate from \d+ to 134217728 bytes.*refusing/);
    assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, 'the 128 MB were not allocated');
  });

  it('refuses a config.json that declares a huge model over a weights file without it, before initialising anything', async () => {
    await useBackend('wasm');
    const dir = tempDir();
    for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) fs.copyFileSync(path.join(TINY, f), path.join(dir, f));
    const config = JSON.parse(fs.readFileSync(path.join(TINY, 'config.json'), 'utf8'));
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ ...config, hidden_size: 65536, num_hidden_layers: 24, num_attention_heads: 64, intermediate_size: 65536 }),
    );
    fs.writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors([]));
    const t0 = Date.now();
    const before = process.memoryUsage().rss;
    assert.throws(() => loadCheckpoint(dir), /BERT weights are missing .*does its config\.json describe these weights/);
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20, 'no parameter was initialised');
  });
});
