import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { KERNELS_WASM } from '../../src/trainer/kernels/kernelsWasm';
import { addInto, loadNativeKernels } from '../../src/trainer/kernels/nativeKernels';
import { installWasmKernels, setNativeMatmul } from '../../src/trainer/kernels/wasmKernels';
import { Random } from '../../src/trainer/util/random';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

/**
 * op(a)·op(b) in float64, over broadcast batch dimensions, straight from the definition; with
 * Σ|a·b| for each entry, which bounds what float32 rounding in any order can do to it.
 */
function reference(a: Float32Array, as: number[], b: Float32Array, bs: number[], ta: boolean, tb: boolean) {
  const ra = as.length;
  const rb = bs.length;
  const m = ta ? as[ra - 1] : as[ra - 2];
  const k = ta ? as[ra - 2] : as[ra - 1];
  const n = tb ? bs[rb - 2] : bs[rb - 1];
  const batchA = as.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = bs.slice(0, -2).reduce((x, y) => x * y, 1);
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  const magnitude = new Float64Array(batch * m * n);
  for (let e = 0; e < batch; e++) {
    const ao = (batchA === 1 ? 0 : e) * m * k;
    const bo = (batchB === 1 ? 0 : e) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const product = a[ao + (ta ? p * m + i : i * k + p)] * b[bo + (tb ? j * k + p : p * n + j)];
          s += product;
          abs += Math.abs(product);
        }
        out[e * m * n + i * n + j] = s;
        magnitude[e * m * n + i * n + j] = abs;
      }
  }
  return { out, magnitude };
}

const PRODUCT_CASES: [number[], number[], boolean, boolean][] = [
  [[4, 2, 33, 16], [4, 2, 33, 16], false, true], // Q·Kᵀ
  [[4, 2, 33, 33], [4, 2, 33, 16], false, false], // P·V
  [[4, 2, 33, 33], [4, 2, 33, 16], true, false], // its gradient
  [[3, 5, 7], [3, 7, 9], false, false],
  [[3, 7, 5], [3, 9, 7], true, true],
  [[1, 7, 5], [3, 7, 9], true, false], // a broadcast
  [[3, 6, 3], [3, 2], false, false], // b broadcast, rank 2
  [[37, 13], [37, 11], true, false], // a dense layer's dW = xᵀ·dy
  [[37, 11], [13, 11], false, true], // and dx = dy·wᵀ
  [[1, 1], [1, 1], true, true],
  [[70, 300], [70, 520], true, false], // past the WASM GEMM's block edges: K > 256, M > 64, N > 512
  [[2, 67, 261], [2, 515, 261], false, true],
  [[100, 400], [400, 2100], false, false], // past the native GEMM's: M > 96, K > 384, N > 2048
  [[100, 400], [2100, 400], false, true], // and with Bᵀ, packed a row of B at a time (its last panel 20 wide)
  [[16, 8], [8, 64], false, false], // a plain product of few rows (XNNPACK's, unless native)
  [[20, 400], [400, 70], false, false], // few rows: the native GEMM reads B's full panels in place, packs the last (6 wide), K > 384
];

/** Runs every case through tf.matMul on the WASM backend as it is set up now. */
async function checkProducts(label: string): Promise<void> {
  const random = new Random(7);
  const before = tf.memory().numTensors;
  for (const [as, bs, ta, tb] of PRODUCT_CASES) {
    const values = (shape: number[]) => Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => random.normal());
    const av = values(as);
    const bv = values(bs);
    const expected = reference(av, as, bv, bs, ta, tb);
    const got = tf.tidy(() => tf.matMul(tf.tensor(av, as), tf.tensor(bv, bs), ta, tb));
    const data = await got.data();
    got.dispose();
    assert.equal(data.length, expected.out.length, `${label}: ${as} · ${bs}`);
    for (let i = 0; i < data.length; i++) {
      // A few float32 roundings of the largest partial sum: a wrong index or a lost block is far more.
      const bound = 1e-6 * (1 + expected.magnitude[i]);
      assert.ok(Math.abs(data[i] - expected.out[i]) <= bound, `${label}: ${as} ${ta} · ${bs} ${tb}: [${i}] ${data[i]} vs ${expected.out[i]}`);
    }
  }
  assert.equal(tf.memory().numTensors, before);
}

describe('our kernels for the WASM backend (WebAssembly SIMD and native)', () => {
  it('computes batched, transposed and broadcast products as the definition does, odd sizes included (our WASM GEMM)', async () => {
    await useBackend('wasm');
    assert.equal(installWasmKernels(), true);
    setNativeMatmul(false);
    try {
      await checkProducts('WASM');
    } finally {
      setNativeMatmul(true);
    }
  });

  it('computes the same products with each native micro-kernel this CPU runs', async t => {
    const { kernels, reason } = loadNativeKernels();
    if (!kernels) {
      // CI builds the addon and sets this: there a missing one is a failure, not a skip.
      assert.ok(!process.env.BERT_TUNE_EXPECT_NATIVE_KERNELS, `native kernels expected: ${reason}`);
      return t.skip(`native kernels: ${reason}`);
    }
    await useBackend('wasm');
    assert.equal(installWasmKernels(), true);
    const best = kernels.isa()!;
    const isas = kernels.supported();
    assert.equal(isas[0], best);
    try {
      for (const isa of isas) {
        assert.equal(kernels.useIsa(isa), true);
        await checkProducts(isa);
      }
    } finally {
      kernels.useIsa(best);
    }
  });

  it('native kernels refuse operands outside the memory, and bad arguments, before touching anything', t => {
    const { kernels, reason } = loadNativeKernels();
    if (!kernels) return t.skip(`native kernels: ${reason}`);
    const memory = new ArrayBuffer(4 * 100);
    const floats = new Float32Array(memory);
    floats.fill(1);
    // 2×5 · 5×2 at byte 0, 40 and 80: fits, and writes 1·1·5 = 5 into out.
    kernels.batchMatmul(memory, 0, 40, 80, 1, 2, 2, 5, 0, 0, 0, 0);
    assert.deepEqual([...floats.subarray(20, 24)], [5, 5, 5, 5]);
    floats.fill(1);
    const untouched = () =>
      assert.ok(
        floats.every(v => v === 1),
        'memory was written',
      );
    assert.throws(() => kernels.batchMatmul(memory, 0, 40, 388, 1, 2, 2, 5, 0, 0, 0, 0), RangeError); // out runs past the end
    assert.throws(() => kernels.batchMatmul(memory, 0, 364, 80, 1, 2, 2, 5, 0, 0, 0, 0), RangeError); // b does
    assert.throws(() => kernels.batchMatmul(memory, 0, 40, 80, 3, 2, 2, 5, 0, 0, 50, 0), RangeError); // a's third batch entry does
    assert.throws(() => kernels.batchMatmul(memory, 2, 40, 80, 1, 2, 2, 5, 0, 0, 0, 0), RangeError); // misaligned
    assert.throws(() => kernels.batchMatmul(memory, -4, 40, 80, 1, 2, 2, 5, 0, 0, 0, 0), RangeError);
    assert.throws(() => kernels.batchMatmul(memory, 0.5, 40, 80, 1, 2, 2, 5, 0, 0, 0, 0), RangeError);
    assert.throws(() => kernels.batchMatmul(memory, 0, 40, 80, 1, 2 ** 33, 2, 5, 0, 0, 0, 0), RangeError);
    assert.throws(() => kernels.batchMatmul(new Float32Array(4) as unknown as ArrayBuffer, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0), RangeError);
    untouched();
    assert.equal(kernels.useIsa('no-such-kernel'), false);
  });

  it('adds a gradient into shared memory as the JavaScript loop does, float for float, and refuses mismatched arrays', t => {
    const { kernels, reason } = loadNativeKernels();
    if (!kernels) return t.skip(`native kernels: ${reason}`);
    const n = 1001; // not a multiple of any SIMD width
    const src = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e-3);
    const start = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 7);
    const expected = Float32Array.from(start);
    for (let i = 0; i < n; i++) expected[i] += src[i];
    // The sum lies in the workers' shared memory; the pass's gradient in an ArrayBuffer.
    const shared = new Float32Array(new SharedArrayBuffer(4 * (n + 3)), 12, n);
    shared.set(start);
    kernels.addInto(shared, src);
    assert.deepEqual(shared, expected);
    const plain = Float32Array.from(start);
    addInto(plain, src); // the exported helper: the native loop where it loads
    assert.deepEqual(plain, expected);
    assert.throws(() => kernels.addInto(shared, src.subarray(1)), RangeError);
    assert.throws(() => kernels.addInto(shared, new Float64Array(n) as unknown as Float32Array), TypeError);
    assert.deepEqual(shared, expected, 'a refused call wrote nothing');
  });

  it('computes GELU and its gradient natively (AVX-512) as the WASM kernels do, and refuses operands outside the memory', async t => {
    const { kernels, reason } = loadNativeKernels();
    if (!kernels) return t.skip(`native kernels: ${reason}`);
    if (!kernels.supported().includes('avx512')) return t.skip('no AVX-512 on this CPU: GELU runs in WASM');
    await useBackend('wasm');
    assert.equal(installWasmKernels(), true);
    const n = 16 * 37 + 5; // a masked tail
    const x = tf.tensor2d(
      Float32Array.from({ length: n }, (_, i) => -12 + (24 * i) / n),
      [1, n],
    );
    const dy = tf.randomNormal([1, n], 0, 1, 'float32', 3);
    const run = async () => {
      const value = tf.engine().runKernel('BertTuneGelu', { x }) as tf.Tensor;
      const grad = tf.engine().runKernel('BertTuneGeluBackward', { x, dy }) as tf.Tensor;
      const out = [await value.data(), await grad.data()];
      tf.dispose([value, grad]);
      return out;
    };
    const [nativeValue, nativeGrad] = await run();
    setNativeMatmul(false);
    const [wasmValue, wasmGrad] = await run().finally(() => setNativeMatmul(true));
    const xs = await x.data();
    for (let i = 0; i < n; i++) {
      const bound = 2e-7 * (1 + Math.abs(xs[i]));
      assert.ok(Math.abs(nativeValue[i] - wasmValue[i]) <= bound, `gelu(${xs[i]}): ${nativeValue[i]} vs ${wasmValue[i]}`);
      assert.ok(Math.abs(nativeGrad[i] - wasmGrad[i]) <= bound * (1 + Math.abs(wasmGrad[i])), `gelu'(${xs[i]}): ${nativeGrad[i]} vs ${wasmGrad[i]}`);
    }
    tf.dispose([x, dy]);
    const memory = new ArrayBuffer(4 * 64);
    const floats = new Float32Array(memory).fill(1);
    kernels.gelu(memory, 0, 128, 32);
    assert.ok(Math.abs(floats[32] - 0.8413447) < 1e-6, 'gelu(1) = Φ(1)');
    floats.fill(1);
    assert.throws(() => kernels.gelu(memory, 0, 132, 32), RangeError); // out runs past the end
    assert.throws(() => kernels.gelu(memory, 2, 128, 16), RangeError); // misaligned
    assert.throws(() => kernels.geluBackward(memory, 0, 0, 196, 16), RangeError);
    assert.throws(() => (kernels.gelu as (...args: unknown[]) => void)(memory, 0, 128), RangeError); // an argument short
    assert.ok(
      floats.every(v => v === 1),
      'a refused call wrote nothing',
    );
  });

  it('slices and splits tensors of one to four dimensions as the nested arrays slice, in place of the backend', async () => {
    await useBackend('wasm');
    assert.equal(installWasmKernels(), true);
    type Nested = number | Nested[];
    const sliced = (a: Nested, begin: number[], size: number[]): Nested =>
      begin.length === 0 ? a : (a as Nested[]).slice(begin[0], begin[0] + size[0]).map(r => sliced(r, begin.slice(1), size.slice(1)));
    const before = tf.memory().numTensors;
    const cases: [number[], number[], number[]][] = [
      [[10], [3], [5]],
      [
        [6, 11],
        [1, 3],
        [4, 7],
      ], // rows of 7: a tail past the SIMD width
      [
        [6, 11],
        [2, 0],
        [3, 11],
      ], // contiguous
      [
        [2, 3, 4, 10],
        [0, 1, 1, 5],
        [2, 2, 3, 5],
      ], // a rotary half
      [
        [3, 4, 5],
        [1, 0, 2],
        [-1, 4, -1],
      ], // -1: to the end
    ];
    for (const [shape, begin, size] of cases) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = tf.tensor(
          Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => i * 3 - 7),
          shape,
          dtype,
        );
        const full = size.map((s, i) => (s === -1 ? shape[i] - begin[i] : s));
        const y = tf.slice(x, begin, size);
        assert.deepEqual(y.shape, full);
        assert.equal(y.dtype, dtype);
        assert.deepEqual(await y.array(), sliced(await x.array(), begin, full), `${shape} from ${begin} by ${size} (${dtype})`);
        tf.dispose([x, y]);
      }
    }
    // SplitV, concat's gradient, along each axis of a 3-D tensor.
    const x = tf.tensor(
      Array.from({ length: 4 * 6 * 9 }, (_, i) => i),
      [4, 6, 9],
    );
    const nested = await x.array();
    for (let axis = 0; axis < 3; axis++) {
      const sizes = axis === 0 ? [1, 3] : axis === 1 ? [2, 1, 3] : [4, 5];
      const pieces = tf.split(x, sizes, axis);
      let at = 0;
      for (const [i, piece] of pieces.entries()) {
        const begin = [0, 0, 0];
        const size = [...x.shape];
        begin[axis] = at;
        size[axis] = sizes[i];
        at += sizes[i];
        assert.deepEqual(await piece.array(), sliced(nested, begin, size), `axis ${axis}, piece ${i}`);
      }
      tf.dispose(pieces);
    }
    x.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('looks up embedding rows as tf.gather does, and leaves out-of-range ids to the backend, which names them', async () => {
    await useBackend('wasm');
    assert.equal(installWasmKernels(), true);
    const rows = 50;
    const width = 7; // not a multiple of the SIMD width
    const table = Array.from({ length: rows }, (_, r) => Array.from({ length: width }, (_, c) => r * 100 + c));
    const ids = [
      [3, 0, 49],
      [7, 7, 1],
    ];
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => tf.gather(tf.tensor2d(table), tf.tensor2d(ids, undefined, 'int32')));
    assert.deepEqual(got.shape, [2, 3, width]);
    assert.deepEqual(
      await got.array(),
      ids.map(r => r.map(i => table[i])),
    );
    got.dispose();
    assert.throws(() => tf.tidy(() => tf.gather(tf.tensor2d(table), tf.tensor1d([2, rows], 'int32'))), /index value 50 is not in \[0, 49\]/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('sums the rows of a matrix as tf.sum over axis 0 does, keepDims included; row sums stay right', async () => {
    await useBackend('wasm');
    assert.equal(installWasmKernels(), true);
    for (const [rows, cols] of [
      [37, 21],
      [5, 16],
      [1, 3],
      [300, 130],
    ]) {
      const values = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => ((i * 7 + j * 3) % 11) - 5 + j / 8));
      const expected = Array.from({ length: cols }, (_, j) => values.reduce((a, r) => a + r[j], 0));
      const x = tf.tensor2d(values);
      const [plain, kept, negative, rowSums] = tf.tidy(() => [tf.sum(x, 0), tf.sum(x, 0, true), tf.sum(x, -2), tf.sum(x, 1)]);
      assert.deepEqual(kept.shape, [1, cols]);
      for (const t of [plain, kept, negative]) {
        const got = await t.data();
        expected.forEach((e, j) => assert.ok(Math.abs(got[j] - e) <= 1e-4, `${rows}x${cols} column ${j}: ${got[j]} vs ${e}`));
      }
      const rs = await rowSums.data();
      values.forEach((r, i) => assert.ok(Math.abs(rs[i] - r.reduce((a, v) => a + v, 0)) <= 1e-4));
      tf.dispose([x, plain, kept, negative, rowSums]);
    }
  });

  it('clones without copying: a clone shares its source memory, both read the same values, and the memory goes with the last of them', async () => {
    await useBackend('wasm');
    assert.ok(installWasmKernels());
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array }; dataIdMap: { get(id: object): { memoryOffset: number } | undefined } };
    const x = tf.tensor1d(Float32Array.from({ length: 1 << 20 }, (_, i) => i % 251));
    const before = backend.wasm.HEAPU8.length;
    const clones = Array.from({ length: 64 }, () => tf.clone(x)); // 256 MiB if each were a copy
    assert.equal(backend.wasm.HEAPU8.length, before, 'the heap grew');
    assert.equal(backend.dataIdMap.get(clones[0].dataId)?.memoryOffset, backend.dataIdMap.get(x.dataId)?.memoryOffset);
    const dataIds = tf.engine().backend.numDataIds();
    x.dispose();
    clones.slice(1).forEach(c => c.dispose());
    assert.equal(tf.engine().backend.numDataIds(), dataIds, 'freed while a clone still reads it');
    const values = (await clones[0].data()) as Float32Array;
    assert.equal(values[1000], 1000 % 251);
    clones[0].dispose();
    assert.equal(tf.engine().backend.numDataIds(), dataIds - 1);
  });

  it('imports only the backend memory and has no data of its own to write into it', () => {
    const bytes = Buffer.from(KERNELS_WASM, 'base64');
    const sections: number[] = [];
    let p = 8;
    while (p < bytes.length) {
      const id = bytes[p++];
      let size = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = bytes[p++];
        size |= (byte & 0x7f) << shift;
        if (!(byte & 0x80)) break;
      }
      sections.push(id);
      p += size;
    }
    assert.ok(!sections.includes(11), 'a data section would overwrite the backend heap at instantiation');
    const wasm = (
      globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; imports(m: object): unknown; exports(m: object): unknown } } }
    ).WebAssembly;
    const module = new wasm.Module(bytes);
    assert.deepEqual(wasm.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    assert.deepEqual(wasm.Module.exports(module), [
      { name: 'scratch_floats', kind: 'function' },
      { name: 'batch_matmul', kind: 'function' },
      { name: 'gather_rows', kind: 'function' },
      { name: 'column_sums', kind: 'function' },
      { name: 'dropout', kind: 'function' },
      { name: 'gelu_grad', kind: 'function' },
      { name: 'gelu', kind: 'function' },
      { name: 'gelu_backward', kind: 'function' },
      { name: 'ln_stats', kind: 'function' },
      { name: 'ln_apply', kind: 'function' },
      { name: 'ln_dx', kind: 'function' },
      { name: 'ln_dgamma', kind: 'function' },
      { name: 'slice4', kind: 'function' },
    ]);
  });

  it('the committed modules are what scripts/build-kernels.sh makes of their C sources', t => {
    if (spawnSync('clang-16', ['--version']).status !== 0) return t.skip('clang-16 is not installed here (CI installs it)');
    const out = tempDir();
    const built = spawnSync('bash', [path.join(ROOT, 'scripts', 'build-kernels.sh'), out], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    for (const file of ['kernelsWasm.ts', 'optimizerWasm.ts']) {
      const code = (f: string) => fs.readFileSync(f, 'utf8').split('\n')[1];
      assert.equal(
        code(path.join(out, file)),
        code(path.join(ROOT, 'src', 'trainer', 'kernels', file)),
        `${file}: run scripts/build-kernels.sh and commit the result`,
      );
    }
  });
});
