/**
 * Our WGSL kernels for tfjs's WebGPU backend, registered under the same names as the WASM and
 * pure-JS ones, so that ../model code runs unchanged on every backend:
 * - dropout from the hashed mask (../model/dropout.ts): the same (seed, index) → keep rule as
 *   kernels.c, bit for bit, so a run's dropout is the same on the GPU as on the CPU and the
 *   backward pass recomputes the mask instead of keeping it;
 * - GELU's gradient from the saved Φ (../model/ops.ts) in one pass (autodiff of the formula
 *   runs some ten kernels, each a full read and write of the activations);
 * - the embedding gradient's sums of repeated ids in a fixed order, so that a run (and its
 *   resume) computes the same weights every time, as on the CPU;
 * - AdamW's update of a parameter in three passes (first moment, second moment, the weights)
 *   rather than the ten of its tfjs ops, the clipping coefficient applied as the gradient is read;
 * - a gradient's L2 norm in one pass (the global norm for clipping);
 * - LayerNorm: its row statistics, the normalisation, and the gradients of x, γ and β, in five
 *   passes for a forward and backward rather than some twenty.
 * Each is a tfjs WebGPUProgram: tfjs declares the buffers and uniforms, compiles and caches the
 * pipeline, and batches the dispatch with its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import {
  ADAM_KERNELS,
  DROPOUT_KERNEL,
  GELU_GRAD_KERNEL,
  L2_NORM_KERNEL,
  LAYER_NORM_KERNELS,
  SEGMENT_SUMS_KERNEL,
  type AdamMomentAttrs,
  type AdamUpdateAttrs,
  type DropoutAttrs,
} from './kernelNames';

const WORKGROUP = 256;

/** One invocation per element, in a flat dispatch of workgroups of WORKGROUP (at most 65535 along x, then y). */
function flatProgram(shape: number[], inputs: string[], key: string, uniforms: string, body: string): WebGPUProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  const groups = Math.ceil(size / WORKGROUP);
  const x = Math.min(groups, 65535);
  return {
    variableNames: inputs,
    outputShape: shape,
    shaderKey: key,
    size: true,
    uniforms,
    workgroupSize: [WORKGROUP, 1, 1],
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [x, Math.ceil(groups / x), 1],
    getUserCode: () => `
      ${body}
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, kernel(index));
        }
      }`,
  };
}

/** lowbias32 of i·φ + seed, as keeps() in ../model/dropout.ts and kernels.c: u32 arithmetic wraps in WGSL too. */
const HASH = `
  fn keepElement(i : u32, seed : u32, rate24 : u32) -> bool {
    var h = i * 0x9e3779b9u + seed;
    h = (h ^ (h >> 16u)) * 0x7feb352du;
    h = (h ^ (h >> 15u)) * 0x846ca68bu;
    h = h ^ (h >> 16u);
    return (h >> 8u) >= rate24;
  }`;

function dropoutProgram(shape: number[]): WebGPUProgram {
  return flatProgram(
    shape,
    ['X'],
    'bertTuneDropout',
    'seed : u32, rate24 : u32, scale : f32,',
    `
    ${HASH}
    fn kernel(index : i32) -> f32 {
      if (keepElement(u32(index), uniforms.seed, uniforms.rate24)) {
        return X[index] * uniforms.scale;
      }
      return 0.0;
    }`,
  );
}

/** dy · (Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π). */
function geluGradProgram(shape: number[]): WebGPUProgram {
  return flatProgram(
    shape,
    ['X', 'Cdf', 'Dy'],
    'bertTuneGeluGrad',
    '',
    `
    fn kernel(index : i32) -> f32 {
      let x = X[index];
      let pdf = exp(-0.5 * x * x) * 0.3989422804014327;
      return Dy[index] * (Cdf[index] + x * pdf);
    }`,
  );
}

/**
 * For each position i of ids [n]: (the next position with the same id, or n) · 2 + (1 if i is
 * the id's first position). n² comparisons of integers, no floats: cheap beside the gradient.
 */
function idLinksProgram(n: number): WebGPUProgram {
  const p = flatProgram([n], ['Ids'], 'bertTuneIdLinks', '', '');
  p.getUserCode = () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let id = Ids[index];
        var first = 1;
        for (var j = 0; j < index; j = j + 1) {
          if (Ids[j] == id) { first = 0; break; }
        }
        var next = uniforms.size;
        for (var j = index + 1; j < uniforms.size; j = j + 1) {
          if (Ids[j] == id) { next = j; break; }
        }
        setOutputAtIndexI32(index, next * 2 + first);
      }
    }`;
  return p;
}

/**
 * dy [n, H] summed over the positions of each id, in position order, into that id's first
 * position; zero at every other. Scattered into the table's gradient, each row then receives
 * one sum and zeros, so the result is the same whatever order the GPU's atomic adds run in
 * (tfjs's scatter of dy itself adds duplicates in a different order each run).
 */
function segmentSumsProgram(n: number, h: number): WebGPUProgram {
  return flatProgram(
    [n, h],
    ['Links', 'Dy'],
    'bertTuneSegmentSums',
    'width : i32,',
    `
    fn kernel(index : i32) -> f32 {
      let row = index / uniforms.width;
      let col = index - row * uniforms.width;
      if ((Links[row] & 1) == 0) { return 0.0; }
      var sum = 0.0;
      var j = row;
      loop {
        sum = sum + Dy[j * uniforms.width + col];
        j = Links[j] >> 1u;
        if (j >= uniforms.size / uniforms.width) { break; }
      }
      return sum;
    }`,
  );
}

/**
 * AdamW's moment: m·β + g·(1−β), or with `square` v·β + g²·(1−β), g the gradient times the
 * clipping coefficient C: float32 operations in tf.mul/tf.add's order.
 */
function momentProgram(shape: number[], square: boolean): WebGPUProgram {
  return flatProgram(
    shape,
    ['M', 'G', 'C'],
    square ? 'bertTuneAdamV' : 'bertTuneAdamM',
    'beta : f32, oneMinusBeta : f32,',
    `
    fn kernel(index : i32) -> f32 {
      let g = G[index] * C[0];
      return M[index] * uniforms.beta + ${square ? '(g * g)' : 'g'} * uniforms.oneMinusBeta;
    }`,
  );
}

/** p·keep − (m / (√v / bc2Sqrt + ε)) · stepSize, keep = 1 − lr·decay: ../train/adamw.ts's order. */
function adamUpdateProgram(shape: number[]): WebGPUProgram {
  return flatProgram(
    shape,
    ['P', 'M', 'V'],
    'bertTuneAdamUpdate',
    'keep : f32, stepSize : f32, bc2Sqrt : f32, eps : f32,',
    `
    fn kernel(index : i32) -> f32 {
      let denom = sqrt(V[index]) / uniforms.bc2Sqrt + uniforms.eps;
      return P[index] * uniforms.keep - (M[index] / denom) * uniforms.stepSize;
    }`,
  );
}

const NORM_WORKGROUP = 256;

/**
 * √(Σ x²) over a whole tensor in one dispatch of one workgroup (as tfjs's own full sums run):
 * strided partial sums, then a tree in workgroup memory. A gradient's norm in one pass rather
 * than three (square, sum, sqrt).
 */
function l2NormProgram(): WebGPUProgram {
  const p = flatProgram([1], ['X'], 'bertTuneL2Norm', 'n : i32,', '');
  p.workgroupSize = [NORM_WORKGROUP, 1, 1];
  p.dispatch = [1, 1, 1];
  p.getUserCode = () => `
    var<workgroup> partial : array<f32, ${NORM_WORKGROUP}>;
    fn main(index : i32) {
      var sum = 0.0;
      for (var i = index; i < uniforms.n; i = i + ${NORM_WORKGROUP}) {
        let x = X[i];
        sum = sum + x * x;
      }
      partial[index] = sum;
      workgroupBarrier();
      for (var s = ${NORM_WORKGROUP / 2}; s > 0; s = s >> 1u) {
        if (index < s) { partial[index] = partial[index] + partial[index + s]; }
        workgroupBarrier();
      }
      if (index == 0) { setOutputAtIndex(0, sqrt(partial[0])); }
    }`;
  return p;
}

const ROW_WORKGROUP = 64;

/**
 * One workgroup per row of a [rows, width] tensor (LayerNorm's reductions): `body` sees `row`,
 * `lane` (0..63) and `reduce(v)`, which sums v over the workgroup's lanes and returns the sum
 * to every lane. Rows past the dispatch's first dimension (over 65,535) come in a second one.
 */
function rowProgram(outputShape: number[], rows: number, inputs: string[], key: string, uniforms: string, body: string): WebGPUProgram {
  return {
    variableNames: inputs,
    outputShape,
    shaderKey: key,
    size: true,
    uniforms: `rows : i32, width : i32, ${uniforms}`,
    workgroupSize: [ROW_WORKGROUP, 1, 1],
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [rows, 1, 1],
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${ROW_WORKGROUP}>;
      fn reduce(v : f32, lane : i32) -> f32 {
        partial[lane] = v;
        workgroupBarrier();
        for (var s = ${ROW_WORKGROUP / 2}; s > 0; s = s >> 1u) {
          if (lane < s) { partial[lane] = partial[lane] + partial[lane + s]; }
          workgroupBarrier();
        }
        let total = partial[0];
        workgroupBarrier();
        return total;
      }
      fn main(index : i32) {
        let row = i32(workgroupId.x + workgroupId.y * numWorkgroups.x);
        let lane = i32(localIndex);
        // Every lane reaches every barrier: a row past the end computes on row 0 and writes nothing.
        let valid = row < uniforms.rows;
        let r = select(0, row, valid);
        ${body}
      }`,
  };
}

/** Per row of x [rows, H]: its mean and 1/√(biased variance + ε), as [rows, 2]; two passes, as tf.moments. */
function layerNormStatsProgram(rows: number): WebGPUProgram {
  return rowProgram(
    [rows, 2],
    rows,
    ['X'],
    'bertTuneLnStats',
    'eps : f32,',
    `
    var sum = 0.0;
    for (var h = lane; h < uniforms.width; h = h + ${ROW_WORKGROUP}) { sum = sum + X[r * uniforms.width + h]; }
    let mean = reduce(sum, lane) / f32(uniforms.width);
    var sq = 0.0;
    for (var h = lane; h < uniforms.width; h = h + ${ROW_WORKGROUP}) {
      let d = X[r * uniforms.width + h] - mean;
      sq = sq + d * d;
    }
    let variance = reduce(sq, lane) / f32(uniforms.width);
    if (valid && lane == 0) {
      setOutputAtIndex(r * 2, mean);
      setOutputAtIndex(r * 2 + 1, inverseSqrt(variance + uniforms.eps));
    }`,
  );
}

/** y = (x − mean)·rstd·γ + β, elementwise, ../model/ops.ts's order. */
function layerNormApplyProgram(shape: number[]): WebGPUProgram {
  return flatProgram(
    shape,
    ['X', 'Stats', 'Gamma', 'Beta'],
    'bertTuneLnApply',
    'width : i32,',
    `
    fn kernel(index : i32) -> f32 {
      let row = index / uniforms.width;
      let h = index - row * uniforms.width;
      let xhat = (X[index] - Stats[row * 2]) * Stats[row * 2 + 1];
      return xhat * Gamma[h] + Beta[h];
    }`,
  );
}

/** dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy·γ, per row. */
function layerNormDxProgram(rows: number, width: number): WebGPUProgram {
  return rowProgram(
    [rows, width],
    rows,
    ['X', 'Stats', 'Gamma', 'Dy'],
    'bertTuneLnDx',
    '',
    `
    let mean = Stats[r * 2];
    let rstd = Stats[r * 2 + 1];
    var a = 0.0;
    var b = 0.0;
    for (var h = lane; h < uniforms.width; h = h + ${ROW_WORKGROUP}) {
      let i = r * uniforms.width + h;
      let dxhat = Dy[i] * Gamma[h];
      a = a + dxhat;
      b = b + dxhat * ((X[i] - mean) * rstd);
    }
    let meanA = reduce(a, lane) / f32(uniforms.width);
    let meanB = reduce(b, lane) / f32(uniforms.width);
    if (valid) {
      for (var h = lane; h < uniforms.width; h = h + ${ROW_WORKGROUP}) {
        let i = r * uniforms.width + h;
        let xhat = (X[i] - mean) * rstd;
        setOutputAtIndex(i, rstd * ((Dy[i] * Gamma[h] - meanA) - xhat * meanB));
      }
    }`,
  );
}

/** Σ over rows of dy·x̂ (γ's gradient, `scaled` 1) or of dy (β's, 0): one invocation a column. */
function layerNormParamGradProgram(width: number, scaled: boolean): WebGPUProgram {
  // β's needs dy alone: a binding the shader does not read would not match its layout.
  return flatProgram(
    [width],
    scaled ? ['X', 'Stats', 'Dy'] : ['Dy'],
    scaled ? 'bertTuneLnDgamma' : 'bertTuneLnDbeta',
    'rows : i32,',
    `
    fn kernel(h : i32) -> f32 {
      var sum = 0.0;
      for (var r = 0; r < uniforms.rows; r = r + 1) {
        let i = r * uniforms.size + h;
        ${scaled ? 'sum = sum + Dy[i] * ((X[i] - Stats[r * 2]) * Stats[r * 2 + 1]);' : 'sum = sum + Dy[i];'}
      }
      return sum;
    }`,
  );
}

/** The kernels' names, as the backend report lists them. */
export const WEBGPU_KERNELS = ['dropout', 'gelu-grad', 'embedding-grad', 'adamw', 'l2-norm', 'layer-norm'];

const registered = new Set<string>();

function register(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (registered.has(kernelName) || tf.getKernel(kernelName, 'webgpu')) return;
  tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  registered.add(kernelName);
}

/** Registers our kernels on the WebGPU backend (once per process); returns their names. */
export function installWebGpuKernels(): string[] {
  register(DROPOUT_KERNEL, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { seed, rate24, scale } = attrs as unknown as DropoutAttrs;
    const program = dropoutProgram(x.shape);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32', [
      { type: 'uint32', data: [seed] },
      { type: 'uint32', data: [rate24] },
      { type: 'float32', data: [scale] },
    ]);
  });
  register(GELU_GRAD_KERNEL, ({ inputs, backend }) => {
    const { x, cdf, dy } = inputs as { x: tf.TensorInfo; cdf: tf.TensorInfo; dy: tf.TensorInfo };
    return (backend as WebGPUBackend).runWebGPUProgram(geluGradProgram(x.shape), [x, cdf, dy], 'float32');
  });
  register(SEGMENT_SUMS_KERNEL, ({ inputs, backend }) => {
    const { ids, dy } = inputs as { ids: tf.TensorInfo; dy: tf.TensorInfo };
    const gpu = backend as WebGPUBackend;
    const [n, h] = dy.shape;
    const links = gpu.runWebGPUProgram(idLinksProgram(n), [ids], 'int32');
    const sums = gpu.runWebGPUProgram(segmentSumsProgram(n, h), [links, dy], 'float32', [{ type: 'int32', data: [h] }]);
    gpu.disposeData(links.dataId);
    return sums;
  });
  for (const square of [false, true]) {
    register(square ? ADAM_KERNELS.square : ADAM_KERNELS.moment, ({ inputs, backend, attrs }) => {
      const { m, g, c } = inputs as { m: tf.TensorInfo; g: tf.TensorInfo; c: tf.TensorInfo };
      const { beta, oneMinusBeta } = attrs as unknown as AdamMomentAttrs;
      return (backend as WebGPUBackend).runWebGPUProgram(momentProgram(m.shape, square), [m, g, c], 'float32', [
        { type: 'float32', data: [beta] },
        { type: 'float32', data: [oneMinusBeta] },
      ]);
    });
  }
  const rowsAndWidth = (x: tf.TensorInfo) => [x.shape[0], x.shape[1]] as const;
  register(LAYER_NORM_KERNELS.stats, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const [rows, width] = rowsAndWidth(x);
    const { eps } = attrs as unknown as { eps: number };
    return (backend as WebGPUBackend).runWebGPUProgram(layerNormStatsProgram(rows), [x], 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [width] },
      { type: 'float32', data: [eps] },
    ]);
  });
  register(LAYER_NORM_KERNELS.apply, ({ inputs, backend }) => {
    const { x, stats, gamma, beta } = inputs as Record<'x' | 'stats' | 'gamma' | 'beta', tf.TensorInfo>;
    return (backend as WebGPUBackend).runWebGPUProgram(layerNormApplyProgram(x.shape), [x, stats, gamma, beta], 'float32', [
      { type: 'int32', data: [x.shape[1]] },
    ]);
  });
  register(LAYER_NORM_KERNELS.dx, ({ inputs, backend }) => {
    const { x, stats, gamma, dy } = inputs as Record<'x' | 'stats' | 'gamma' | 'dy', tf.TensorInfo>;
    const [rows, width] = rowsAndWidth(x);
    return (backend as WebGPUBackend).runWebGPUProgram(layerNormDxProgram(rows, width), [x, stats, gamma, dy], 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [width] },
    ]);
  });
  for (const scaled of [true, false]) {
    register(scaled ? LAYER_NORM_KERNELS.dgamma : LAYER_NORM_KERNELS.dbeta, ({ inputs, backend }) => {
      const { x, stats, dy } = inputs as Record<'x' | 'stats' | 'dy', tf.TensorInfo>;
      const [rows, width] = rowsAndWidth(x);
      return (backend as WebGPUBackend).runWebGPUProgram(layerNormParamGradProgram(width, scaled), scaled ? [x, stats, dy] : [dy], 'float32', [
        { type: 'int32', data: [rows] },
      ]);
    });
  }
  register(L2_NORM_KERNEL, ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const n = x.shape.reduce((a, b) => a * b, 1);
    return (backend as WebGPUBackend).runWebGPUProgram(l2NormProgram(), [x], 'float32', [{ type: 'int32', data: [n] }]);
  });
  register(ADAM_KERNELS.update, ({ inputs, backend, attrs }) => {
    const { p, m, v } = inputs as { p: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };
    const a = attrs as unknown as AdamUpdateAttrs;
    return (backend as WebGPUBackend).runWebGPUProgram(
      adamUpdateProgram(p.shape),
      [p, m, v],
      'float32',
      [a.keep, a.stepSize, a.bc2Sqrt, a.eps].map(x => ({ type: 'float32', data: [x] })),
    );
  });
  return WEBGPU_KERNELS;
}
