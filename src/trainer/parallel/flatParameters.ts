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
  total: number;
}

export function flatLayout(params: Iterable<[string, { shape: number[] }]>, decayed: ReadonlySet<string>): FlatLayout {
  const layout: FlatLayout = { names: [], shapes: [], offsets: [], sizes: [], decayed: [], total: 0 };
  for (const [name, p] of params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    layout.names.push(name);
    layout.shapes.push([...p.shape]);
    layout.offsets.push(layout.total);
    layout.sizes.push(size);
    layout.decayed.push(decayed.has(name));
    layout.total += size;
  }
  return layout;
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
