/**
 * Every parameter of a model laid end to end in one Float32Array (our layout: Linear weights
 * [in, out]), so that master weights, AdamW's moments and gradients can live in shared memory,
 * outside any WASM heap, and workers can each take a contiguous slice of the optimizer's work.
 */
export interface FlatLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  sizes: number[];
  decayed: boolean[];
  /** Kept fixed (freezeLayers): no gradients, and AdamW leaves them alone, decay included. */
  frozen: boolean[];
  total: number;
}

export function flatLayout(params: Iterable<[string, { shape: number[] }]>, decayed: ReadonlySet<string>, frozen: ReadonlySet<string> = new Set()): FlatLayout {
  const layout: FlatLayout = { names: [], shapes: [], offsets: [], sizes: [], decayed: [], frozen: [], total: 0 };
  for (const [name, p] of params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    layout.names.push(name);
    layout.shapes.push([...p.shape]);
    layout.offsets.push(layout.total);
    layout.sizes.push(size);
    layout.decayed.push(decayed.has(name));
    layout.frozen.push(frozen.has(name));
    layout.total += size;
  }
  return layout;
}

/** The WebAssembly API, typed here: the project's TypeScript lib (ES2022, no DOM) does not declare it. */
const wasmApi = (
  globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } } }
).WebAssembly;

/** Master weights, AdamW's moments and one gradient buffer per worker, all in shared memory. */
export interface FlatArrays {
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
  grads: Float32Array[];
  /**
   * The shared WebAssembly.Memory the arrays lie in, when they fit in one (4 GiB): the workers
   * then reduce gradients and run AdamW in SIMD (optimizer.c); otherwise plain
   * SharedArrayBuffers and the JavaScript versions.
   */
  memory?: object;
}

const PAGE = 65536;

export function allocateFlat(total: number, workers: number, useWasm = true): FlatArrays {
  const count = 3 + workers;
  const bytes = Math.ceil((total * 4) / 16) * 16; // each array 16-byte aligned, for SIMD loads
  const pages = Math.max(2, Math.ceil((count * bytes) / PAGE)); // the module asks for 2 at least
  if (useWasm && pages <= 65535) {
    let memory: { buffer: SharedArrayBuffer } | undefined;
    try {
      memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
    } catch {
      memory = undefined; // no room for it in one piece: separate buffers below
    }
    if (memory) {
      const at = (i: number) => new Float32Array(memory!.buffer, i * bytes, total);
      return { weights: at(0), m: at(1), v: at(2), grads: Array.from({ length: workers }, (_, k) => at(3 + k)), memory };
    }
  }
  return {
    weights: sharedFloats(total, 'the master weights'),
    m: sharedFloats(total, "AdamW's first moments"),
    v: sharedFloats(total, "AdamW's second moments"),
    grads: Array.from({ length: workers }, (_, k) => sharedFloats(total, `worker ${k}'s gradients`)),
  };
}

/** A Float32Array over shared memory, zeroed; throws a clear error when it cannot be had. */
export function sharedFloats(count: number, what: string): Float32Array {
  try {
    return new Float32Array(new SharedArrayBuffer(count * 4));
  } catch (e) {
    throw new Error(`could not allocate ${((count * 4) / 2 ** 20).toFixed(0)} MiB of shared memory for ${what}: ${(e as Error).message}`);
  }
}

/** [from, to) ranges that cut `total` elements into `parts` near-equal pieces. */
export function slices(total: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < parts; k++) out.push([Math.floor((total * k) / parts), Math.floor((total * (k + 1)) / parts)]);
  return out;
}

/** The view of parameter i inside a flat array. */
export function viewOf(flat: Float32Array, layout: FlatLayout, i: number): Float32Array {
  return flat.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]);
}

/**
 * Values for a new tensor from shared memory. The WASM backend copies them into its heap; the
 * pure-JS backend would keep the array itself, and the tensor would change under it when the
 * optimizer next writes: give that one a copy.
 */
export function tensorValues(view: Float32Array, backend: string): Float32Array {
  return backend === 'wasm' ? view : view.slice();
}
