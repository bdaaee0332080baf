import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { MAX_HEADER_BYTES, parseSafetensors, serializeSafetensors, toFloat32, writeSafetensors } from '../../src/trainer/checkpoint/safetensors';

/** A safetensors file from a header object and raw data bytes. */
function file(header: unknown, data: Uint8Array = new Uint8Array(), headerText = JSON.stringify(header)): Buffer {
  const h = Buffer.from(headerText);
  const out = Buffer.alloc(8 + h.length + data.length);
  out.writeBigUInt64LE(BigInt(h.length));
  h.copy(out, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32 = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

describe('safetensors reader', () => {
  it('reads the reference tiny-bert file: 41 F32 tensors and format metadata', () => {
    const buf = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert', 'model.safetensors'));
    const parsed = parseSafetensors(buf);
    assert.equal(parsed.tensors.size, 41);
    assert.deepEqual(parsed.metadata, { format: 'pt' });
    assert.deepEqual(parsed.tensors.get('classifier.weight')!.shape, [3, 32]);
    assert.equal(toFloat32(parsed.tensors.get('bert.embeddings.LayerNorm.weight')!)[0], 1);
  });

  it('widens F16 and BF16 exactly', () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00]).buffer);
    const bf = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer);
    const data = new Uint8Array([...half, ...bf]);
    const parsed = parseSafetensors(
      file({ h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] }, b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] } }, data),
    );
    assert.deepEqual([...toFloat32(parsed.tensors.get('h')!)], [1, -2, 0.5, Math.fround(2 ** -24), Infinity]);
    assert.deepEqual([...toFloat32(parsed.tensors.get('b')!)], [1, -3]);
  });

  it('reads I64 buffers such as position_ids', () => {
    const data = new Uint8Array(new BigInt64Array([0n, 1n, 2n]).buffer);
    const parsed = parseSafetensors(file({ p: { dtype: 'I64', shape: [1, 3], data_offsets: [0, 24] } }, data));
    assert.deepEqual([...toFloat32(parsed.tensors.get('p')!)], [0, 1, 2]);
  });

  const refused: [string, Buffer, RegExp][] = [
    ['a file shorter than 8 bytes', Buffer.from([1, 2, 3]), /shorter than the 8-byte/],
    [
      'a header over the size limit',
      (() => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES + 1));
        return b;
      })(),
      /header claims/,
    ],
    [
      'a header longer than the file',
      (() => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(100n);
        return b;
      })(),
      /only 8 follow/,
    ],
    ['a header that is not JSON', file(null, undefined, '{not json'), /not UTF-8 JSON/],
    ['a header that is an array', file([1, 2]), /not a JSON object/],
    ['an unknown dtype', file({ t: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unsupported dtype/],
    ['a negative shape', file({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /invalid shape/],
    ['offsets past the end', file({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /outside the 4 data bytes/],
    ['a size that does not match the shape', file({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)), /spans 4 bytes/],
    [
      'overlapping tensors',
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)),
      /overlaps/,
    ],
    ['a gap between tensors', file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /unclaimed bytes/],
    ['trailing bytes', file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2)), /not claimed/],
    ['non-string metadata', file({ __metadata__: { format: 1 } }), /not a string/],
  ];
  for (const [what, buf, message] of refused) {
    it(`refuses ${what}, naming the file`, () => {
      assert.throws(
        () => parseSafetensors(buf, 'x/model.safetensors'),
        (e: Error) => e.message.startsWith('x/model.safetensors: not a valid safetensors file') && message.test(e.message),
      );
    });
  }
});

describe('safetensors writer', () => {
  it('pads the header to 8 bytes, writes format metadata, and reads back the same values', () => {
    const buf = serializeSafetensors([
      { name: 'b', shape: [3], data: new Float32Array([1, 2, 3]) },
      { name: 'a', shape: [2, 1], data: new Float32Array([-0.5, 1e-30]) },
    ]);
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const parsed = parseSafetensors(buf);
    assert.deepEqual(parsed.metadata, { format: 'pt' });
    assert.deepEqual([...parsed.tensors.keys()], ['a', 'b']);
    assert.deepEqual([...toFloat32(parsed.tensors.get('a')!)], [-0.5, Math.fround(1e-30)]);
    assert.deepEqual([...toFloat32(parsed.tensors.get('b')!)], [1, 2, 3]);
  });

  it('streams the same bytes to a file, asking for each tensor only when its turn comes, through writes that take a few bytes at a time', async () => {
    const tensors = [
      { name: 'b.weight', shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i / 7) },
      { name: 'a.bias', shape: [4], data: Float32Array.from([1, -2, 3.5, 1e-30]) },
    ];
    const written: number[] = [];
    const asked: string[] = [];
    const file = {
      // A file system that takes at most 10 bytes a write.
      write: async (buffer: Uint8Array, offset: number, length: number) => {
        const n = Math.min(10, length);
        written.push(...buffer.subarray(offset, offset + n));
        return { bytesWritten: n };
      },
    };
    await writeSafetensors(
      file,
      tensors.map(t => ({ name: t.name, shape: t.shape, data: () => (asked.push(t.name), t.data) })),
      { format: 'x' },
    );
    assert.deepEqual(Buffer.from(written), serializeSafetensors(tensors, { format: 'x' }));
    assert.deepEqual(asked, ['a.bias', 'b.weight'], 'in the order of the file, once each');
    await assert.rejects(
      writeSafetensors(file, [{ name: 'c', shape: [2, 2], data: () => new Float32Array(3) }]),
      /tensor c: shape \[2,2\] holds 4 values, data has 3/,
    );
  });

  it('refuses data that does not fill its shape', () => {
    assert.throws(() => serializeSafetensors([{ name: 'a', shape: [2, 2], data: new Float32Array(3) }]), /holds 4 values/);
  });
});
