/**
 * Reads the tensors of a `torch.save` checkpoint (pytorch_model.bin: a zip holding data.pkl and
 * one raw file per storage) WITHOUT a general unpickler. Like `torch.load(weights_only=True)`,
 * the pickle machine below knows only the opcodes that a saved state dict uses and the handful
 * of globals that rebuild tensors; any other opcode or global is refused with an error that
 * names it. Nothing in the file can make this code call a function of its choosing.
 */
import * as fs from 'node:fs';
import { unzipSync } from 'fflate';
import type { TorchTensor } from '../model/classifier';
import { bf16ToFloat, halfToFloat } from './halfFloats';

export class TorchCheckpointError extends Error {}

/** Storage classes → bytes per element and how to read one as a number. */
const STORAGES: Record<string, { bytes: number; read: (v: DataView, at: number) => number }> = {
  FloatStorage: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  DoubleStorage: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  HalfStorage: { bytes: 2, read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  BFloat16Storage: { bytes: 2, read: (v, at) => bf16ToFloat(v.getUint16(at, true)) },
  LongStorage: { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  IntStorage: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  ShortStorage: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  CharStorage: { bytes: 1, read: (v, at) => v.getInt8(at) },
  ByteStorage: { bytes: 1, read: (v, at) => v.getUint8(at) },
  BoolStorage: { bytes: 1, read: (v, at) => v.getUint8(at) },
};

/** Values the pickle machine can hold: only inert data and our own marker objects. */
class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}
class StorageRef {
  constructor(
    readonly kind: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
class TensorValue {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}
class OrderedDictValue {
  readonly entries = new Map<unknown, unknown>();
}
const MARK = Symbol('mark');

/** The only callables a checkpoint may name, and what calling them builds. */
const ALLOWED_CALLS: Record<string, (args: unknown[]) => unknown> = {
  'collections.OrderedDict': () => new OrderedDictValue(),
  'torch._utils._rebuild_tensor_v2': args => rebuildTensor(args),
  'torch._utils._rebuild_tensor': args => rebuildTensor(args),
  'torch._utils._rebuild_parameter': args => {
    if (!(args[0] instanceof TensorValue)) throw new TorchCheckpointError('_rebuild_parameter expects a tensor');
    return args[0];
  },
};

function rebuildTensor(args: unknown[]): TensorValue {
  const [storage, offset, size, stride] = args;
  const ints = (x: unknown) => Array.isArray(x) && x.every(n => Number.isSafeInteger(n) && (n as number) >= 0);
  if (!(storage instanceof StorageRef) || !Number.isSafeInteger(offset) || !ints(size) || !ints(stride)) {
    throw new TorchCheckpointError('a tensor is rebuilt from unexpected arguments');
  }
  return new TensorValue(storage, offset as number, size as number[], stride as number[]);
}

/**
 * `model.state_dict()` is an OrderedDict with a `_metadata` attribute: per module prefix, a dict
 * of plain values (`{"version": 1}`). Pickled, it is the dict's BUILD state. That, and only that,
 * is accepted (and ignored): every value a string, number, boolean or None.
 */
function isModuleMetadata(state: Map<unknown, unknown>): boolean {
  if (state.size !== 1 || !state.has('_metadata')) return false;
  const meta = state.get('_metadata');
  const entries = meta instanceof OrderedDictValue ? meta.entries : meta instanceof Map ? meta : undefined;
  if (!entries) return false;
  const plain = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !(v instanceof Map)) return false;
    for (const [kk, vv] of v) if (typeof kk !== 'string' || !plain(vv)) return false;
  }
  return true;
}

function isAllowedStorageClass(g: Global): boolean {
  // own properties only: `in` would let torch.constructor or torch.__proto__ through the prototype chain
  return g.module === 'torch' && Object.hasOwn(STORAGES, g.name);
}

/** Runs the restricted pickle machine over data.pkl; returns the top object. */
export function unpickle(data: Uint8Array): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > data.length) throw new TorchCheckpointError('the pickle ends in the middle of an instruction');
  };
  const u8 = () => (need(1), data[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const bytes = (n: number) => (need(n), (pos += n), data.subarray(pos - n, pos));
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new TorchCheckpointError('the pickle ends inside a GLOBAL name');
    const s = decoder.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (!stack.length) throw new TorchCheckpointError('the pickle pops an empty stack');
    return stack.pop();
  };
  const popMark = () => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new TorchCheckpointError('the pickle has no MARK to pop to');
    const items = stack.slice(i + 1);
    stack.length = i;
    return items;
  };
  const top = () => {
    if (!stack.length) throw new TorchCheckpointError('the pickle reads an empty stack');
    return stack[stack.length - 1];
  };
  const setItems = (target: unknown, items: unknown[]) => {
    const map = target instanceof OrderedDictValue ? target.entries : target instanceof Map ? target : undefined;
    if (!map) throw new TorchCheckpointError('SETITEMS on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
  };
  const global = (module: string, name: string) => {
    const g = new Global(module, name);
    if (!Object.hasOwn(ALLOWED_CALLS, g.full) && !isAllowedStorageClass(g)) {
      throw new TorchCheckpointError(
        `the checkpoint names ${g.full}, which a weights file never needs; refusing to read it (only tensors and OrderedDicts are allowed)`,
      );
    }
    return g;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        bytes(8);
        break; // FRAME
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE (tuples are arrays here)
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      } // TUPLE3
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x8a: {
        // LONG1
        const n = u8();
        const b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        break;
      }
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break; // BINFLOAT (big-endian)
      case 0x58:
        stack.push(decoder.decode(bytes(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(decoder.decode(bytes(u8())));
        break; // SHORT_BINUNICODE
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw new TorchCheckpointError(`the pickle reads memo ${k}, which was never stored`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        stack.push(global(String(module), String(name)));
        break;
      } // STACK_GLOBAL
      case 0x51: {
        // BINPERSID: ('storage', StorageClass, key, location, numel)
        const pid = pop();
        if (
          !Array.isArray(pid) ||
          pid[0] !== 'storage' ||
          !(pid[1] instanceof Global) ||
          !isAllowedStorageClass(pid[1]) ||
          typeof pid[2] !== 'string' ||
          !Number.isSafeInteger(pid[4])
        ) {
          throw new TorchCheckpointError('the checkpoint refers to a storage in an unexpected form');
        }
        stack.push(new StorageRef(pid[1].name, pid[2], pid[4]));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global) || !Object.hasOwn(ALLOWED_CALLS, fn.full) || !Array.isArray(args)) {
          throw new TorchCheckpointError(`the checkpoint calls ${fn instanceof Global ? fn.full : 'something'} that is not allowed`);
        }
        stack.push(ALLOWED_CALLS[fn.full](args));
        break;
      }
      case 0x62: {
        // BUILD: the empty state torch writes for tensors and dicts, or a state dict's _metadata
        const state = pop();
        const obj = top();
        if (!(obj instanceof TensorValue || obj instanceof OrderedDictValue)) throw new TorchCheckpointError('BUILD on an object that is not a tensor or dict');
        if (state instanceof Map && state.size && !(obj instanceof OrderedDictValue && isModuleMetadata(state))) {
          throw new TorchCheckpointError('BUILD with state that a weights file never holds');
        }
        break; // the state is dropped: nothing of it is set on anything
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x61: {
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) throw new TorchCheckpointError('APPEND to a non-list');
        list.push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new TorchCheckpointError('APPENDS to a non-list');
        // one at a time: push(...items) puts every item on the call stack (2 million overflow it)
        for (const item of items) list.push(item);
        break;
      } // APPENDS
      default:
        throw new TorchCheckpointError(
          `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1} is not one a weights file uses; refusing to read it`,
        );
    }
  }
}

/**
 * torch.save stores its entries uncompressed; weights deflate by a few percent at most. An entry
 * that claims to inflate far beyond its compressed size is a zip bomb: refused before its
 * declared size is allocated.
 */
const MAX_INFLATE_RATIO = 64;

function checkZipEntry(file: string, f: { name: string; size: number; originalSize: number; compression: number }): boolean {
  if (f.compression !== 0 && f.originalSize > MAX_INFLATE_RATIO * f.size + 1024 * 1024) {
    throw new TorchCheckpointError(
      `${file}: the archive entry ${f.name} claims to inflate from ${f.size} to ${f.originalSize} bytes, far more than weights can; refusing it (a damaged or malicious file). Re-save the model with torch.save or as safetensors.`,
    );
  }
  return true;
}

/** All tensors of a pytorch_model.bin, as float32 in their stored shapes. */
export function readTorchCheckpoint(file: string): Map<string, TorchTensor> {
  const buf = fs.readFileSync(file);
  if (buf[0] !== 0x50 || buf[1] !== 0x4b) {
    throw new TorchCheckpointError(
      `${file}: not a zip archive. Checkpoints from torch older than 1.6 (legacy tar/pickle format) are not supported; re-save with torch.save or convert to safetensors.`,
    );
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(buf, { filter: f => checkZipEntry(file, f) });
  } catch (e) {
    if (e instanceof TorchCheckpointError) throw e;
    throw new TorchCheckpointError(`${file}: a broken zip archive (${(e as Error).message})`);
  }
  const pkl = Object.keys(files).find(n => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new TorchCheckpointError(`${file}: no data.pkl inside; not a torch.save checkpoint`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  let root: unknown;
  try {
    root = unpickle(files[pkl]);
  } catch (e) {
    throw new TorchCheckpointError(`${file}: ${(e as Error).message}`);
  }
  const entries = root instanceof OrderedDictValue ? root.entries : root instanceof Map ? root : undefined;
  if (!entries) throw new TorchCheckpointError(`${file}: holds no state dict (a dict of tensors)`);
  const out = new Map<string, TorchTensor>();
  for (const [name, value] of entries) {
    if (typeof name !== 'string' || !(value instanceof TensorValue)) continue;
    out.set(name, materialize(file, name, value, files[`${prefix}data/${value.storage.key}`]));
  }
  return out;
}

function materialize(file: string, name: string, t: TensorValue, storage: Uint8Array | undefined): TorchTensor {
  const kind = STORAGES[t.storage.kind];
  if (!storage) throw new TorchCheckpointError(`${file}: tensor ${name} refers to storage ${t.storage.key}, which is missing`);
  if (storage.length !== t.storage.numel * kind.bytes)
    throw new TorchCheckpointError(
      `${file}: storage ${t.storage.key} holds ${storage.length} bytes, but ${t.storage.numel} elements of ${t.storage.kind} take ${t.storage.numel * kind.bytes}: its dtype does not match its bytes. Save the model again (save_pretrained), or use model.safetensors.`,
    );
  if (t.offset < 0)
    throw new TorchCheckpointError(
      `${file}: tensor ${name} starts at a negative offset (${t.offset}) in its storage: the file is damaged. Save the model again (save_pretrained).`,
    );
  const numel = t.size.reduce((a, b) => a * b, 1);
  // Bounds before the allocation: a 500-byte file may declare a [2^30] view of one element.
  if (t.size.some(d => d < 0) || t.stride.some(d => d < 0)) throw new TorchCheckpointError(`${file}: tensor ${name} has a negative size or stride`);
  if (numel > t.storage.numel) {
    throw new TorchCheckpointError(
      `${file}: tensor ${name} has ${numel} elements but its storage only ${t.storage.numel} (an expanded view, with a stride of 0): save a contiguous copy (tensor.contiguous()) instead.`,
    );
  }
  const last = numel === 0 ? t.offset : t.offset + t.size.reduce((a, d, i) => a + (d - 1) * t.stride[i], 0);
  if (last >= t.storage.numel && numel > 0) throw new TorchCheckpointError(`${file}: tensor ${name} reaches past the end of its storage`);
  const view = new DataView(storage.buffer, storage.byteOffset, storage.byteLength);
  const data = new Float32Array(numel);
  // Walk the strides: a saved tensor may be a view (transposed, sliced) of its storage.
  const index = new Array(t.size.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let at = t.offset;
    for (let d = 0; d < index.length; d++) at += index[d] * t.stride[d];
    if (at >= t.storage.numel) throw new TorchCheckpointError(`${file}: tensor ${name} reaches past the end of its storage`);
    data[i] = kind.read(view, at * kind.bytes);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.size[d]) break;
      index[d] = 0;
    }
  }
  return { shape: t.size, data };
}
