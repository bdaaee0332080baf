/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * bytes. Reading validates everything the header claims before touching the data: a malformed
 * or hostile file is refused with a message naming what is wrong, never half-read.
 */
import { halfToFloat } from './halfFloats';

/** What we read into float32. I64/I32/BOOL are accepted too so that buffers (position_ids) parse. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The reference implementation's limit; a larger header is a broken or hostile file. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsError extends Error {
  constructor(file: string, what: string) {
    super(`${file}: not a valid safetensors file: ${what}`);
  }
}

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** The tensor's bytes inside the file's buffer (no copy). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsEntry>;
}

export function parseSafetensors(buffer: Uint8Array, file = 'model.safetensors'): SafetensorsFile {
  const fail = (what: string): never => {
    throw new SafetensorsError(file, what);
  };
  if (buffer.length < 8) fail(`it is ${buffer.length} bytes long, shorter than the 8-byte header length`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`its header claims ${headerLength} bytes (the limit is ${MAX_HEADER_BYTES})`);
  const n = Number(headerLength);
  if (8 + n > buffer.length) fail(`its header claims ${n} bytes but only ${buffer.length - 8} follow`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(8, 8 + n)));
  } catch (e) {
    fail(`its header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('its header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = buffer.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: (SafetensorsEntry & { begin: number; end: number })[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== 'object') fail(`tensor "${name}" is not an object`);
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(t.dtype)}`);
    const dtype = t.dtype as string;
    if (!Array.isArray(t.shape) || !t.shape.every(d => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has an invalid shape`);
    const shape = t.shape as number[];
    const offsets = t.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(o => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has invalid data_offsets`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataLength) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLength} data bytes`);
    const elements = shape.reduce((a, b) => a * b, 1);
    if (elements * DTYPE_BYTES[dtype] !== end - begin) {
      fail(`tensor "${name}" is ${dtype} [${shape.join(', ')}] (${elements * DTYPE_BYTES[dtype]} bytes) but spans ${end - begin} bytes`);
    }
    entries.push({ name, dtype, shape, begin, end, bytes: buffer.subarray(dataStart + begin, dataStart + end) });
  }
  // Like the reference reader: tensors tile the data exactly, in order, no gaps, no overlaps.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) fail(`tensor "${e.name}" overlaps the tensor before it`);
    if (e.begin > cursor) fail(`there are unclaimed bytes before tensor "${e.name}"`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} bytes after the last tensor are not claimed by any tensor`);
  return { metadata, tensors: new Map(entries.map(({ name, dtype, shape, bytes }) => [name, { name, dtype, shape, bytes }])) };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Converts a tensor's bytes to float32: F16 and BF16 widen exactly; integers convert as values. */
export function toFloat32(entry: SafetensorsEntry): Float32Array {
  const { dtype, bytes } = entry;
  const count = bytes.length / DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      // Every host tfjs runs on is little-endian: one aligned copy instead of a loop.
      // (A copy through Uint8Array.set: a Node Buffer's slice() would share the whole pool.)
      if (LITTLE_ENDIAN) {
        const copy = new Uint8Array(bytes.length);
        copy.set(bytes);
        return new Float32Array(copy.buffer);
      }
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      return out;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    default: // U8, BOOL
      for (let i = 0; i < count; i++) out[i] = bytes[i];
      return out;
  }
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * A tensor to write whose values are made only when their turn comes (a transposed copy, a read
 * from the device), so that a checkpoint never holds a second copy of every weight at once.
 */
export interface TensorSource {
  name: string;
  shape: number[];
  data: () => Float32Array | Promise<Float32Array>;
}

/** The header (padded with spaces to 8 bytes) and the tensors in name order, as the format lays them out. */
function layout<T extends { name: string; shape: number[] }>(tensors: T[], metadata: Record<string, string>): { header: Buffer; sorted: T[]; bytes: number } {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of sorted) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * elements] };
    offset += 4 * elements;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(8 + headerBytes.length);
  head.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(head, 8);
  return { header: head, sorted, bytes: head.length + offset };
}

/** A tensor's values as little-endian bytes (a view where the machine is little-endian). */
function littleEndianBytes(t: { name: string; shape: number[] }, data: Float32Array): Uint8Array {
  const elements = t.shape.reduce((a, b) => a * b, 1);
  if (elements !== data.length) throw new Error(`tensor ${t.name}: shape [${t.shape}] holds ${elements} values, data has ${data.length}`);
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/** Serialises float32 tensors: header padded with spaces to 8 bytes, tensors in name order. */
export function serializeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const { header, sorted, bytes } = layout(tensors, metadata);
  const out = Buffer.alloc(bytes);
  header.copy(out, 0);
  let at = header.length;
  for (const t of sorted) {
    const b = littleEndianBytes(t, t.data);
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The part of fs.promises.FileHandle that writeSafetensors uses. */
export interface WritableFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/** Writes the same bytes as serializeSafetensors to an open file, one tensor in memory at a time. */
export async function writeSafetensors(file: WritableFile, tensors: TensorSource[], metadata: Record<string, string> = { format: 'pt' }): Promise<void> {
  const { header, sorted } = layout(tensors, metadata);
  await writeAll(file, header);
  for (const t of sorted) await writeAll(file, littleEndianBytes(t, await t.data()));
}

/** A write may take fewer bytes than it was given: go on until all are written. */
async function writeAll(file: WritableFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += (await file.write(bytes, at, bytes.length - at)).bytesWritten;
}
