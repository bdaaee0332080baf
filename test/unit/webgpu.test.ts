/**
 * The webgpu backend, on whatever adapter Dawn finds: here Mesa's software Vulkan (lavapipe,
 * which CI installs from bookworm-backports), forced with `--backend webgpu` since `auto` never
 * picks a software adapter. Without any adapter the suite skips and says why; CI sets
 * BERT_TUNE_EXPECT_WEBGPU=1, so there a missing adapter fails instead.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { TRAIN_DEFAULTS, type TrainConfig } from '../../src/shared/trainerProtocol';
import { selectBackend } from '../../src/trainer/backend';
import { webgpuDevice, webgpuFault } from '../../src/trainer/backends/webgpu';
import { WEBGPU_KERNELS } from '../../src/trainer/kernels/webgpuKernels';
import { initCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseSafetensors, toFloat32 } from '../../src/trainer/checkpoint/safetensors';
import { parseModelConfig } from '../../src/trainer/model/config';
import { dropout, dropoutAttrs, keeps } from '../../src/trainer/model/dropout';
import { activation, embeddingLookup, layerNorm } from '../../src/trainer/model/ops';
import { AdamW } from '../../src/trainer/train/adamw';
import { globalNorm } from '../../src/trainer/step/clipping';
import { InferenceClient } from '../../src/extension/predict/inferenceClient';
import { Predictor } from '../../src/trainer/predict/predictor';
import { assertAccumulationMatches, assertMatchesReference, reproduce, TINY } from './hfSteps';
import { runCollecting as run } from './runHelpers';
import { fixture, tempDir, TINY_FAMILIES } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const TRAINER = path.join(ROOT, 'dist', 'trainer.js');
const VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

/** Whether Dawn finds an adapter here, and whether it is a software one (asked in a child process: a backend is process-wide). */
function probeAdapter(): { noAdapter?: string; software?: boolean } {
  const script = `require(${JSON.stringify(path.join(ROOT, 'src', 'trainer', 'backend.ts'))}).selectBackend({ prefer: 'webgpu' })
    .then(r => console.log(JSON.stringify(r)), e => console.log(JSON.stringify({ error: String(e) })));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  try {
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    if (report.backend === 'webgpu') return { software: report.gpu.software };
    return { noAdapter: report.attempts?.find((a: { backend: string }) => a.backend === 'webgpu')?.reason ?? report.error ?? 'unknown' };
  } catch {
    return { noAdapter: `the probe failed: ${r.stderr.slice(-500)}` };
  }
}

const { noAdapter, software } = probeAdapter();
const expected = process.env.BERT_TUNE_EXPECT_WEBGPU === '1';
const skip = noAdapter && !expected ? `no WebGPU adapter here (${noAdapter}); scripts/install-software-vulkan.sh installs Mesa's software one` : false;
/** The tests of the software-adapter rule, where the adapter here is a hardware GPU (which auto does pick). */
const skipUnlessSoftware = skip || (software === false && 'the adapter here is a hardware GPU');

/** Relative difference, defined where the reference is 0 (the norm of a one-element tensor holding 0). */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

describe('the webgpu backend', { skip }, () => {
  let baseModel: string;
  // A kernel the GPU refuses (a validation error) leaves zeros behind, not an exception: look for it after each test.
  afterEach(() => assert.equal(webgpuFault(), undefined, 'a GPU error was raised'));
  before(async () => {
    assert.equal(noAdapter, undefined, `CI expects a WebGPU adapter: ${noAdapter}`);
    const report = await selectBackend({ prefer: 'webgpu' });
    assert.equal(report.backend, 'webgpu');
    assert.deepEqual(report.kernels, WEBGPU_KERNELS);
    assert.ok(WEBGPU_KERNELS.includes('dropout') && WEBGPU_KERNELS.includes('layer-norm'));
    baseModel = path.join(tempDir(), 'base');
    const config = parseModelConfig({
      model_type: 'bert',
      vocab_size: 30522,
      num_hidden_layers: 1,
      hidden_size: 16,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 128,
      id2label: { 0: 'a', 1: 'b' },
    });
    await initCheckpoint(config, VOCAB, baseModel, 1);
  });

  for (const [file, clip] of [
    ['train-steps.json', 1.0],
    ['train-steps-clip0.5.json', 0.5],
  ] as const) {
    it(`reproduces Hugging Face step by step: ${file} (forward before, loss, grad norm, clipping, logits after)`, async t => {
      assertMatchesReference(await reproduce(file, clip, 'webgpu'), s => t.diagnostic(s));
    });
  }

  it('with accumulation: two micro-batches of 4 update the weights as one batch of 8 does', () => assertAccumulationMatches('webgpu'));

  it("dropout's WGSL kernel keeps exactly the elements of the hashed mask, its gradient the same ones", async () => {
    for (const shape of [[1], [7], [255], [256], [257], [3, 1000], [4, 33, 17]]) {
      for (const [rate, seed] of [
        [0.1, 0],
        [0.5, 12345],
        [0.9, 2 ** 31 - 1],
      ] as const) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(
          Float32Array.from({ length: n }, (_, i) => 1 + (i % 13) / 8),
          shape,
        );
        const { rate24, scale } = dropoutAttrs(rate, seed);
        const [y, dx] = tf.tidy(() => {
          const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => tf.sum(tf.mul(dropout(t, rate, seed), 3)))([x]);
          value.dispose();
          return [dropout(x, rate, seed), grads[0]];
        });
        const [out, grad, input] = [await y.data(), await dx.data(), await x.data()];
        for (let i = 0; i < n; i++) {
          const kept = keeps(seed >>> 0, i, rate24);
          assert.equal(out[i], kept ? Math.fround(input[i] * scale) : 0, `shape [${shape}], rate ${rate}, element ${i}`);
          assert.equal(grad[i], kept ? Math.fround(3 * scale) : 0, `gradient at ${i}`);
        }
        tf.dispose([x, y, dx]);
      }
    }
  });

  it("GELU's gradient kernel matches the float64 derivative of x·Φ(x), tails included", async () => {
    // erf in float64 (Abramowitz-Stegun 7.1.26 is too coarse): by its series / continued fraction
    const erf = (z: number): number => {
      if (Math.abs(z) > 3) {
        // continued fraction for erfc
        let f = 0;
        for (let k = 60; k >= 1; k--) f = k / 2 / (Math.abs(z) + f);
        const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (Math.abs(z) + f);
        return Math.sign(z) * (1 - erfc);
      }
      let sum = 0;
      let term = z;
      for (let n = 0; n < 200; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const xs = [-12, -6, -3.2, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2.5, 3.2, 6, 12];
    for (const shape of [[xs.length], [3, xs.length], [257, xs.length]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => xs[i % xs.length]);
      const dys = Float32Array.from({ length: n }, (_, i) => 1 + (i % 5) / 4);
      const x = tf.tensor(values, shape);
      const dy = tf.tensor(dys, shape);
      const g = tf.grad((t: tf.Tensor) => activation(t as tf.Tensor2D, 'gelu'))(x, dy);
      const got = await g.data();
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const want = dys[i] * (0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp((-v * v) / 2)) / Math.sqrt(2 * Math.PI));
        assert.ok(Math.abs(got[i] - want) <= 2e-6 * Math.max(1, Math.abs(want)), `x ${v}: ${got[i]} vs ${want}`);
      }
      tf.dispose([x, dy, g]);
    }
  });

  it('the embedding gradient sums repeated ids as float64 does, bit for bit the same on every run', async () => {
    for (const [vocab, n, h] of [
      [5, 1, 3],
      [3, 40, 8],
      [50, 300, 17],
      [2, 257, 4],
    ] as const) {
      const ids = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % vocab);
      const dy = Float32Array.from({ length: n * h }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 11)));
      const table = tf.zeros([vocab, h]);
      const grad = async () => {
        const t = tf.tensor1d(ids, 'int32');
        const d = tf.tensor2d(dy, [n, h]);
        const g = tf.grad((x: tf.Tensor) => tf.mul(embeddingLookup(x as tf.Tensor2D, t), d))(table);
        const out = await g.data();
        tf.dispose([t, d, g]);
        return out as Float32Array;
      };
      const first = await grad();
      for (let v = 0; v < vocab; v++) {
        for (let c = 0; c < h; c++) {
          let want = 0;
          for (let i = 0; i < n; i++) if (ids[i] === v) want += dy[i * h + c];
          assert.ok(
            Math.abs(first[v * h + c] - want) <= 1e-5 * Math.max(1, Math.abs(want)),
            `[${vocab}, ${n}, ${h}] row ${v} column ${c}: ${first[v * h + c]} vs ${want}`,
          );
        }
      }
      for (let again = 0; again < 3; again++) assert.ok(Buffer.from((await grad()).buffer).equals(Buffer.from(first.buffer)), 'the same bits every run');
      table.dispose();
    }
  });

  it("AdamW's kernels update weights and moments as float32 arithmetic in torch's order does, with and without decay, clipped or not", async () => {
    const f = Math.fround;
    for (const shape of [[1], [257], [3, 100]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const init = Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 0.5);
      const params = new Map([
        ['w', tf.variable(tf.tensor(init, shape))],
        ['b', tf.variable(tf.tensor(init, shape))],
      ]);
      const adam = new AdamW(params, new Set(['w']), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
      const ref = {
        w: { p: Float32Array.from(init), m: new Float32Array(n), v: new Float32Array(n) },
        b: { p: Float32Array.from(init), m: new Float32Array(n), v: new Float32Array(n) },
      };
      for (let step = 1; step <= 4; step++) {
        const lr = 1e-3 * step;
        const grad = Float32Array.from({ length: n }, (_, i) => Math.cos(i * step) * 0.1);
        const g = tf.tensor(grad, shape);
        // Step 3 is clipped: the gradient scaled by a coefficient below 1 as it is read.
        const scale = step === 3 ? tf.scalar(0.25) : undefined;
        adam.apply(
          new Map([
            ['w', g],
            ['b', g],
          ]),
          lr,
          scale,
        );
        if (scale) for (let i = 0; i < n; i++) grad[i] = f(grad[i] * 0.25);
        tf.dispose([g, scale].filter(x => x !== undefined));
        const stepSize = lr / (1 - 0.9 ** step);
        const bc2 = Math.sqrt(1 - 0.999 ** step);
        for (const [name, r] of Object.entries(ref)) {
          const keep = f(1 - lr * (name === 'w' ? 0.01 : 0));
          for (let i = 0; i < n; i++) {
            r.m[i] = f(f(r.m[i] * f(0.9)) + f(grad[i] * f(1 - 0.9)));
            r.v[i] = f(f(r.v[i] * f(0.999)) + f(f(grad[i] * grad[i]) * f(1 - 0.999)));
            const denom = f(f(f(Math.sqrt(r.v[i])) / f(bc2)) + f(1e-8));
            r.p[i] = f(f(r.p[i] * keep) - f(f(r.m[i] / denom) * f(stepSize)));
          }
        }
      }
      for (const [name, r] of Object.entries(ref)) {
        const got = { p: await params.get(name)!.data(), m: await adam.m.get(name)!.data(), v: await adam.v.get(name)!.data() };
        for (const k of ['p', 'm', 'v'] as const) {
          for (let i = 0; i < n; i++)
            assert.ok(
              Math.abs(got[k][i] - r[k][i]) <= 4e-7 * Math.max(Math.abs(r[k][i]), 1e-6),
              `${name}.${k}[${i}] of [${shape}]: ${got[k][i]} vs ${r[k][i]}`,
            );
        }
      }
      adam.dispose();
      params.forEach(v => v.dispose());
    }
  });

  it("a gradient's L2 norm in one pass matches float64, for sizes around the workgroup's and past it", async () => {
    for (const n of [1, 2, 255, 256, 257, 1000, 65_537, 300_000]) {
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * (1 + (i % 7)));
      const t = tf.tensor1d(values);
      const norm = globalNorm([t]);
      const got = (await norm.data())[0];
      let want = 0;
      for (const v of values) want += v * v;
      want = Math.sqrt(want);
      assert.ok(rel(got, want) < 2e-6, `n ${n}: ${got} vs ${want}`);
      tf.dispose([t, norm]);
    }
  });

  it("LayerNorm forward and its gradients of x, γ and β match float64, for widths around the workgroup's", async () => {
    const eps = 1e-12;
    for (const [rows, width] of [
      [1, 1],
      [3, 7],
      [5, 64],
      [2, 65],
      [17, 768],
      [4, 1000],
    ]) {
      const n = rows * width;
      const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * 3 + (i % width) * 0.01);
      const gs = Float64Array.from({ length: width }, (_, i) => 1 + Math.cos(i) * 0.5);
      const bs = Float64Array.from({ length: width }, (_, i) => Math.sin(i) * 0.1);
      const dys = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.77));
      const [x, g, b, dy] = [
        tf.tensor2d(Float32Array.from(xs), [rows, width]),
        tf.tensor1d(Float32Array.from(gs)),
        tf.tensor1d(Float32Array.from(bs)),
        tf.tensor2d(Float32Array.from(dys), [rows, width]),
      ];
      const y = layerNorm(x, g, b, eps);
      const [dx, dg, db] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNorm(a as tf.Tensor2D, c as tf.Tensor1D, d as tf.Tensor1D, eps))(
        [x, g, b],
        dy,
      );
      const got = { y: await y.data(), dx: await dx.data(), dg: await dg.data(), db: await db.data() };
      // float64, from the float32 inputs
      const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
      const [X, G, B, DY] = [f32(xs), f32(gs), f32(bs), f32(dys)];
      const want = { y: new Float64Array(n), dx: new Float64Array(n), dg: new Float64Array(width), db: new Float64Array(width) };
      for (let r = 0; r < rows; r++) {
        const row = X.subarray(r * width, (r + 1) * width);
        const mean = row.reduce((p, v) => p + v, 0) / width;
        const rstd = 1 / Math.sqrt(row.reduce((p, v) => p + (v - mean) ** 2, 0) / width + eps);
        const xhat = Array.from(row, v => (v - mean) * rstd);
        const dxhat = xhat.map((_, h) => DY[r * width + h] * G[h]);
        const a = dxhat.reduce((p, v) => p + v, 0) / width;
        const c = dxhat.reduce((p, v, h) => p + v * xhat[h], 0) / width;
        for (let h = 0; h < width; h++) {
          want.y[r * width + h] = xhat[h] * G[h] + B[h];
          want.dx[r * width + h] = rstd * (dxhat[h] - a - xhat[h] * c);
          want.dg[h] += DY[r * width + h] * xhat[h];
          want.db[h] += DY[r * width + h];
        }
      }
      for (const k of ['y', 'dx', 'dg', 'db'] as const) {
        const scale = Math.max(1, ...Array.from(want[k], Math.abs));
        const worst = Math.max(...Array.from(want[k], (v, i) => Math.abs(v - got[k][i])));
        assert.ok(worst <= 2e-5 * scale, `[${rows}, ${width}] ${k}: off by ${worst} (scale ${scale})`);
      }
      tf.dispose([x, g, b, dy, y, dx, dg, db]);
    }
  });

  const config = (out: string, overrides: Partial<TrainConfig> = {}): TrainConfig => ({
    ...TRAIN_DEFAULTS,
    data: fixture('sst2-dev-200.tsv'),
    textCol: 'text',
    labelCol: 'label',
    model: baseModel,
    out,
    epochs: 1,
    batchSize: 16,
    learningRate: 1e-3,
    maxLength: 32,
    backend: 'webgpu',
    ...overrides,
  });
  const weights = (dir: string) =>
    new Map([...parseSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors'))).tensors].map(([k, e]) => [k, toFloat32(e)]));

  it('stopped midway and resumed (dropout on, class weights), ends with exactly the weights of an uninterrupted run', async () => {
    const straight = path.join(tempDir(), 'straight');
    const interrupted = path.join(tempDir(), 'interrupted');
    const cfg = (out: string) => config(out, { dropout: 0.1, epochs: 1.5, classWeights: 'balanced' });
    const whole = await run(cfg(straight));
    assert.equal(whole.done.status, 'completed');
    assert.match((whole.messages.find(m => m.type === 'started') as { backend: string }).backend, /^webgpu on /);
    const first = await run(cfg(interrupted), { stopAfter: 5 });
    assert.equal(first.done.status, 'stopped');
    const second = await run({ out: interrupted } as TrainConfig, { resume: true });
    assert.equal(second.done.status, 'completed');
    const a = weights(path.join(straight, 'checkpoints', 'last'));
    const b = weights(path.join(interrupted, 'checkpoints', 'last'));
    for (const [name, t] of a) assert.ok(Buffer.from(t.buffer).equals(Buffer.from(b.get(name)!.buffer)), `${name} differs after resume`);
  });

  it("splits a batch that does not fit the GPU's largest buffer into accumulation steps, with a notice", async () => {
    const before = process.env.BERT_TUNE_GPU_MAX_BUFFER_BYTES;
    // The word embeddings (30522 × 16 floats) must fit; one batch's attention scores must not.
    process.env.BERT_TUNE_GPU_MAX_BUFFER_BYTES = String(30522 * 16 * 4);
    try {
      const { done, messages } = await run(config(path.join(tempDir(), 'split'), { batchSize: 64, maxLength: 128, maxSteps: 2, evalSteps: undefined }));
      assert.equal(done.status, 'completed');
      const notice = messages.find(m => m.type === 'warning' && /does not fit/.test(m.message));
      assert.ok(notice && notice.type === 'warning', 'a notice says the batch was split');
      assert.match(notice.message, /A batch of 64 rows × \d+ tokens does not fit .*each step trains \d+ micro-batches of \d+ rows/);
    } finally {
      if (before === undefined) delete process.env.BERT_TUNE_GPU_MAX_BUFFER_BYTES;
      else process.env.BERT_TUNE_GPU_MAX_BUFFER_BYTES = before;
    }
  });

  it('keeps the tensor count and the GPU memory in use flat over 200 steps, its buffer pool bounded, and leaves none behind', async () => {
    const tensors: number[] = [];
    const bytes: number[] = [];
    const pooled: number[] = [];
    const memory = () => tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
    const gpu = () => memory().numBytesInGPU;
    const before = tf.memory().numTensors;
    const { done } = await run(config(path.join(tempDir(), 'flat'), { batchSize: 4, maxLength: 16, maxSteps: 200, evalSteps: undefined, dropout: 0.1 }), {
      onProgress: () => {
        tensors.push(tf.memory().numTensors);
        bytes.push(gpu());
        pooled.push(memory().numBytesAllocatedInGPU);
      },
    });
    assert.equal(done.status, 'completed');
    assert.equal(tensors.length, 200);
    assert.equal(new Set(tensors.slice(1)).size, 1, `tensors per step: ${[...new Set(tensors)].join(', ')}`);
    assert.equal(new Set(bytes.slice(1)).size, 1, `GPU bytes in use per step: ${[...new Set(bytes)].join(', ')}`);
    const early = Math.max(...pooled.slice(0, 20));
    assert.ok(Math.max(...pooled) <= 2 * early, `GPU buffers allocated grew from ${early} to ${Math.max(...pooled)} bytes`);
    assert.equal(tf.memory().numTensors, before, 'tensors left after the run');
  });

  it('frees the buffers of lengths it no longer sees: after ever longer texts, short ones again need what they needed at first', async () => {
    const predictor = new Predictor();
    const pooled = () => (tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU: number }).numBytesAllocatedInGPU;
    const predict = (words: number) =>
      predictor.predict(
        TINY,
        Array.from({ length: 8 }, (_, i) => ({ text: 'the film was good '.repeat(Math.ceil(words / 4)) + i })),
        128,
      );
    try {
      await predict(4);
      await predict(4);
      const short = pooled();
      let longest = 0;
      for (let words = 8; words <= 120; words += 4) {
        await predict(words);
        longest = Math.max(longest, pooled());
      }
      for (let i = 0; i < 3; i++) await predict(4);
      // Kept, the buffers of every length seen would stay allocated (here several times the short texts' need).
      assert.ok(
        pooled() <= 1.5 * short,
        `GPU buffers allocated: ${(short / 2 ** 20).toFixed(1)} MiB for short texts, ${(longest / 2 ** 20).toFixed(1)} at the longest, ${(pooled() / 2 ** 20).toFixed(1)} after short ones again`,
      );
    } finally {
      predictor.dispose();
    }
  });

  it('a device lost mid-run ends the run as failed, says so, and keeps the last checkpoint, from which it resumes', async () => {
    const out = path.join(tempDir(), 'lost');
    const { done, messages } = await run(config(out, { evalSteps: 2, epochs: 2 }), { onProgress: step => step === 3 && webgpuDevice()!.destroy() });
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /^Training stopped: the GPU device was lost \(destroyed.*The last checkpoint is kept; Resume continues from it\.$/);
    assert.ok(messages.some(m => m.type === 'error' && /GPU device was lost/.test(m.message)));
    const state = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'last', 'trainer_state.json'), 'utf8'));
    assert.equal(state.step, 2, 'the checkpoint of step 2, not one from the dead device');
    assert.match(fs.readFileSync(path.join(out, 'log.txt'), 'utf8'), /GPU device was lost/);
    // A new device on resume.
    const resumed = await run({ out } as TrainConfig, { resume: true });
    assert.equal(resumed.done.status, 'completed');
  });
});

describe('every family on the webgpu backend', { skip }, () => {
  const WASM_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  // The tiny models of every family but XLM-R (RoBERTa's maths, a larger vocabulary)
  const families = TINY_FAMILIES.filter(f => f.name !== 'xlm-roberta');
  /** Logits of a batch, then the losses of 3 steps, dropout off, on the backend now selected. */
  async function stepsOn(dir: string) {
    const { loadCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
    const { isDecayed } = await import('../../src/trainer/model/parameters');
    const { trainStep } = await import('../../src/trainer/train/step');
    const { padBatch } = await import('../../src/trainer/train/batches');
    const { batchTensors, disposeInputs } = await import('../../src/trainer/step/batch');
    const { model, tokenizer } = loadCheckpoint(dir, { dropout: 0, labels: ['a', 'b'], seed: 4 });
    const texts = ['a lovely, warm film', 'dull and far too long', 'the best of the year', 'not good at all, sadly'];
    const batch = padBatch(
      texts.map((t, i) => ({ ...tokenizer.encode(t, undefined, 32), label: i % 2, line: i + 1 })),
      tokenizer.padId,
    );
    const inputs = batchTensors(batch);
    const out = tf.tidy(() => model.forward(inputs, { training: false }).logits);
    // read asynchronously: a synchronous read of a GPU tensor needs a canvas Node has not
    const logits = (await out.array()) as number[][];
    out.dispose();
    disposeInputs(inputs);
    const optimizer = new AdamW(model.params, new Set(model.specs.filter(isDecayed).map(s => s.name)), {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
    });
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) losses.push((await trainStep(model, optimizer, [batch], { lr: 1e-3, maxGradNorm: 1 })).loss);
    optimizer.dispose();
    model.dispose();
    return { logits, losses };
  }
  for (const { name, config: raw, tokenizer } of families) {
    it(`${name}: the logits and 3 training steps the WASM backend computes, within 1e-4`, async () => {
      const dir = path.join(tempDir(), name);
      const withLabels = { ...raw, id2label: { 0: 'a', 1: 'b' } };
      delete (withLabels as { label2id?: unknown }).label2id;
      await initCheckpoint(parseModelConfig(withLabels), tokenizer, dir, 2);
      await selectBackend({ prefer: 'wasm', wasmDir: WASM_DIR });
      const cpu = await stepsOn(dir);
      await selectBackend({ prefer: 'webgpu' });
      const gpu = await stepsOn(dir);
      gpu.logits.flat().forEach((v, i) => assert.ok(Math.abs(v - cpu.logits.flat()[i]) < 1e-4, `logit ${i}: ${v} vs ${cpu.logits.flat()[i]}`));
      gpu.losses.forEach((l, i) => assert.ok(rel(l, cpu.losses[i]) < 1e-4, `step ${i + 1}: ${l} vs ${cpu.losses[i]}`));
    });
  }
});

describe('multi-label and regression on the webgpu backend', { skip }, () => {
  const WASM_DIR = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const specs = [{ task: 'multi_label_classification', posWeight: [2, 0.5, 1] }, { task: 'regression' }] as const;
  /** The losses and gradient norms of 3 steps, dropout off, on the backend now selected. */
  async function stepsOn(dir: string, spec: (typeof specs)[number]) {
    const { loadCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
    const { isDecayed } = await import('../../src/trainer/model/parameters');
    const { trainStep } = await import('../../src/trainer/train/step');
    const { padBatch } = await import('../../src/trainer/train/batches');
    const { model, tokenizer } = loadCheckpoint(dir, { dropout: 0, task: spec.task });
    const texts = ['a lovely, warm film', 'dull and far too long', 'the best of the year', 'not good at all, sadly'];
    const batch = padBatch(
      texts.map((t, i) => ({
        ...tokenizer.encode(t, undefined, 32),
        label: 0,
        target: spec.task === 'regression' ? [i / 2 - 0.7] : [i % 2, +(i > 1), +(i === 3)],
        line: i + 1,
      })),
      tokenizer.padId,
    );
    const optimizer = new AdamW(model.params, new Set(model.specs.filter(isDecayed).map(s => s.name)));
    const steps: { loss: number; gradNorm: number }[] = [];
    for (let s = 0; s < 3; s++)
      steps.push(
        await trainStep(model, optimizer, [batch], {
          lr: 1e-3,
          maxGradNorm: 1,
          loss: { ...spec, posWeight: spec.task === 'regression' ? undefined : [...spec.posWeight] },
        }),
      );
    optimizer.dispose();
    model.dispose();
    return steps;
  }
  for (const spec of specs) {
    it(`${spec.task}: 3 training steps as the WASM backend takes them, within 1e-4`, async () => {
      const dir = path.join(tempDir(), spec.task);
      const labels = spec.task === 'regression' ? { 0: 'score' } : { 0: 'a', 1: 'b', 2: 'c' };
      await initCheckpoint(
        parseModelConfig({ ...JSON.parse(fs.readFileSync(path.join(TINY, 'config.json'), 'utf8')), id2label: labels, label2id: undefined }),
        path.join(TINY, 'vocab.txt'),
        dir,
        3,
      );
      await selectBackend({ prefer: 'wasm', wasmDir: WASM_DIR });
      const cpu = await stepsOn(dir, spec);
      await selectBackend({ prefer: 'webgpu' });
      const gpu = await stepsOn(dir, spec);
      gpu.forEach((g, i) => {
        assert.ok(rel(g.loss, cpu[i].loss) < 1e-4, `step ${i + 1} loss: ${g.loss} vs ${cpu[i].loss}`);
        assert.ok(rel(g.gradNorm, cpu[i].gradNorm) < 1e-3, `step ${i + 1} grad norm: ${g.gradNorm} vs ${cpu[i].gradNorm}`);
      });
    });
  }
});

describe('the webgpu backend, selected again in the same process', { skip: skipUnlessSoftware }, () => {
  it('an automatic selection after a forced one still passes over the software adapter', async () => {
    assert.equal((await selectBackend({ prefer: 'webgpu' })).backend, 'webgpu');
    const auto = await selectBackend({ wasmDir: path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') });
    assert.equal(auto.backend, 'wasm');
    assert.match(auto.attempts.find(a => a.backend === 'webgpu')?.reason ?? '', /^only a software adapter/);
    assert.equal((await selectBackend({ prefer: 'webgpu' })).backend, 'webgpu', 'and forced again, the same device');
  });
});

describe('the webgpu backend, from the bundled trainer', { skip }, () => {
  let model: string;
  let dir: string;
  before(() => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    dir = tempDir();
    model = path.join(dir, 'model');
    execFileSync(process.execPath, [
      TRAINER,
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
      VOCAB,
      '--labels',
      'neg,pos',
      '--seed',
      '3',
      '--out',
      model,
    ]);
  });

  it('is never picked automatically on a software adapter, and says why', { skip: skipUnlessSoftware }, () => {
    const report = JSON.parse(execFileSync(process.execPath, [TRAINER, 'backend'], { encoding: 'utf8' }));
    assert.notEqual(report.backend, 'webgpu');
    const attempt = report.attempts.find((a: { backend: string }) => a.backend === 'webgpu');
    assert.match(attempt.reason, /^only a software adapter \(.*\), slower than training on the CPU; --backend webgpu \(or the setting\) uses it anyway$/);
    assert.equal(report.passedOverGpu.software, true);
    const forced = JSON.parse(execFileSync(process.execPath, [TRAINER, 'backend', '--prefer', 'webgpu'], { encoding: 'utf8' }));
    assert.equal(forced.backend, 'webgpu');
    assert.ok(forced.gpu.limits.maxStorageBufferBindingSize > 0 && forced.gpu.limits.maxBufferSize > 0);
  });

  it('a short CLI run trains end to end, and its log names the adapter', () => {
    const out = path.join(dir, 'run');
    const r = spawnSync(
      process.execPath,
      [
        TRAINER,
        'train',
        '--data',
        fixture('sst2-dev-200.tsv'),
        '--text-col',
        'text',
        '--label-col',
        'label',
        '--model',
        model,
        '--out',
        out,
        '--epochs',
        '1',
        '--batch-size',
        '16',
        '--max-length',
        '32',
        '--backend',
        'webgpu',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const log = fs.readFileSync(path.join(out, 'log.txt'), 'utf8');
    assert.ok(log.includes(`; our kernels: ${WEBGPU_KERNELS.join(', ')}`), 'the log lists our kernels');
    assert.match(log, /WebGPU adapter: .*largest binding \d+ MiB; our kernels: /);
    const done = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l))
      .find(m => m.type === 'done');
    assert.equal(done.status, 'completed');
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'best', 'model.safetensors')));
  });

  it('serve-predict and "Predict a CSV column" on webgpu answer as on the CPU backend', async () => {
    const texts = ['a gripping, beautifully shot film', 'dull', 'it is neither good nor bad, and far too long for what it says'.repeat(3)];
    const csv = path.join(dir, 'texts.csv');
    fs.writeFileSync(csv, 'text\n' + texts.map(t => `"${t}"`).join('\n') + '\n');
    const answers = async (backend: string) => {
      const client = new InferenceClient(
        TRAINER,
        () => ({ BERT_TUNE_BACKEND: backend }),
        () => {},
        60_000,
      );
      try {
        const predictions = await client.predict(
          model,
          texts.map(text => ({ text })),
          24,
        );
        const out = path.join(dir, `predictions-${backend}.csv`);
        await client.predictFile({ model, file: csv, textCol: 'text', out, probabilities: true }, () => {});
        return { predictions, file: fs.readFileSync(out, 'utf8') };
      } finally {
        client.dispose();
      }
    };
    const gpu = await answers('webgpu');
    const cpu = await answers('wasm');
    assert.deepEqual(gpu.predictions.labels, cpu.predictions.labels);
    gpu.predictions.results.forEach((r, i) => {
      const c = cpu.predictions.results[i];
      assert.equal(r.label, c.label);
      assert.equal(r.truncated, c.truncated);
      r.probabilities.forEach((p, k) => assert.ok(Math.abs(p - c.probabilities[k]) < 1e-5, `text ${i}, label ${k}: ${p} vs ${c.probabilities[k]}`));
    });
    const rows = (s: string) =>
      s
        .trim()
        .split('\n')
        .map(l => l.split(','));
    const [g, c] = [rows(gpu.file), rows(cpu.file)];
    assert.deepEqual(g[0], c[0]);
    assert.equal(g.length, texts.length + 1);
    for (let i = 1; i < g.length; i++) {
      for (let k = 0; k < g[i].length; k++) {
        if (Number.isFinite(Number(c[i][k])) && c[i][k] !== '') assert.ok(Math.abs(Number(g[i][k]) - Number(c[i][k])) < 1e-5, `row ${i}, column ${c[0][k]}`);
        else assert.equal(g[i][k], c[i][k]);
      }
    }
  });
});
