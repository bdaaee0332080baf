/** The 16-bit float formats checkpoints store, widened exactly to float32 values. */

/** IEEE 754 half precision (torch.float16, safetensors F16). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** bfloat16 (torch.bfloat16, safetensors BF16): the top half of a float32. */
export function bf16ToFloat(b: number): number {
  scratchBits[0] = b << 16;
  return scratch[0];
}
