// The data-parallel trainer's per-step work on shared memory (../parallel): summing the
// workers' gradients and AdamW, in SIMD. The module imports the shared WebAssembly.Memory the
// trainer lays master weights, moments and gradients out in; like kernels.c it owns no memory
// (no globals, data or stack: the build checks).
#include <wasm_simd128.h>

typedef unsigned int u32;

// dst[i] += src[i]
__attribute__((export_name("accumulate")))
void accumulate(float* dst, const float* src, u32 n) {
  u32 i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
  for (; i < n; i++) dst[i] += src[i];
}

// dst[i] += src[i] (src may be dst's own: then nothing is added), returning Σ dst[i]² in double.
__attribute__((export_name("accumulate_squares")))
double accumulate_squares(float* dst, const float* src, u32 n) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t x = wasm_v128_load(dst + i);
    if (src != dst) x = wasm_f32x4_add(x, wasm_v128_load(src + i));
    wasm_v128_store(dst + i, x);
    v128_t lo = wasm_f64x2_promote_low_f32x4(x);
    v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1));
    s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(lo, lo));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(hi, hi));
  }
  double s = wasm_f64x2_extract_lane(s0, 0) + wasm_f64x2_extract_lane(s0, 1) + wasm_f64x2_extract_lane(s1, 0) + wasm_f64x2_extract_lane(s1, 1);
  for (; i < n; i++) {
    float x = src != dst ? dst[i] + src[i] : dst[i];
    dst[i] = x;
    s += (double)x * x;
  }
  return s;
}

// AdamW as torch.optim.AdamW's single-tensor path computes it, in float32 (the reference: src/trainer/step/adamwMath.ts):
//   p *= keep;  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  p -= step · m / (sqrt(v)/bc2 + ε)
// with g = grad · scale (the clipping coefficient). The caller computes 1-β1 and 1-β2 in double,
// as Python does: 1 - (float)0.999 would be off by 1.3e-5.
__attribute__((export_name("adamw")))
void adamw(float* p, const float* grad, float* m, float* v, u32 n, float scale, float keep, float beta1, float c1, float beta2, float c2, float bc2, float eps, float step) {
  v128_t vs = wasm_f32x4_splat(scale), vk = wasm_f32x4_splat(keep), vb1 = wasm_f32x4_splat(beta1), vb2 = wasm_f32x4_splat(beta2);
  v128_t vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2), vbc2 = wasm_f32x4_splat(bc2), veps = wasm_f32x4_splat(eps), vstep = wasm_f32x4_splat(step);
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t g = wasm_f32x4_mul(wasm_v128_load(grad + i), vs);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(g, vc1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), vc2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbc2), veps);
    v128_t pi = wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(p + i), vk), wasm_f32x4_mul(wasm_f32x4_div(mi, denom), vstep));
    wasm_v128_store(p + i, pi);
  }
  for (; i < n; i++) {
    float g = grad[i] * scale;
    float mi = m[i] * beta1 + g * c1;
    float vi = v[i] * beta2 + (g * g) * c2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * keep - (mi / (__builtin_sqrtf(vi) / bc2 + eps)) * step;
  }
}
