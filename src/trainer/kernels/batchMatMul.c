// Batched matrix products for the tfjs WASM backend, which sends every batched or transposed
// matmul (attention's Q·Kᵀ and P·V, and their gradients) to a scalar loop at a few GFLOP/s.
// Built by scripts/build-kernels.sh into batchMatMul.wasm (committed); the module imports the
// backend's own memory and works on its tensors in place, so it must never use memory of its
// own: no globals, no data, no stack (the build checks).
#include <wasm_simd128.h>

typedef unsigned int u32;

// C[M,N] = A·B for one batch entry. A(i,k) = a[i*sai + k*sak]; B(k,j) = b[k*N + j].
static void gemm(const float* a, u32 sai, u32 sak, const float* b, float* c, u32 M, u32 N, u32 K) {
  u32 i = 0;
  for (; i + 4 <= M; i += 4) {
    const float* a0 = a + i * sai;
    const float* a1 = a0 + sai;
    const float* a2 = a1 + sai;
    const float* a3 = a2 + sai;
    u32 j = 0;
    for (; j + 8 <= N; j += 8) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float* bk = b + j;
      for (u32 k = 0; k < K; k++, bk += N) {
        v128_t b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4);
        u32 o = k * sak;
        v128_t x0 = wasm_f32x4_splat(a0[o]), x1 = wasm_f32x4_splat(a1[o]), x2 = wasm_f32x4_splat(a2[o]), x3 = wasm_f32x4_splat(a3[o]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
      }
      float* r = c + i * N + j;
      wasm_v128_store(r, c00); wasm_v128_store(r + 4, c01); r += N;
      wasm_v128_store(r, c10); wasm_v128_store(r + 4, c11); r += N;
      wasm_v128_store(r, c20); wasm_v128_store(r + 4, c21); r += N;
      wasm_v128_store(r, c30); wasm_v128_store(r + 4, c31);
    }
    for (; j + 4 <= N; j += 4) {
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
      const float* bk = b + j;
      for (u32 k = 0; k < K; k++, bk += N) {
        v128_t b0 = wasm_v128_load(bk);
        u32 o = k * sak;
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_f32x4_splat(a0[o]), b0));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_f32x4_splat(a1[o]), b0));
        c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_f32x4_splat(a2[o]), b0));
        c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_f32x4_splat(a3[o]), b0));
      }
      float* r = c + i * N + j;
      wasm_v128_store(r, c0); wasm_v128_store(r + N, c1); wasm_v128_store(r + 2 * N, c2); wasm_v128_store(r + 3 * N, c3);
    }
    for (; j < N; j++) {
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (u32 k = 0; k < K; k++) {
        float bv = b[k * N + j];
        u32 o = k * sak;
        s0 += a0[o] * bv; s1 += a1[o] * bv; s2 += a2[o] * bv; s3 += a3[o] * bv;
      }
      c[i * N + j] = s0; c[(i + 1) * N + j] = s1; c[(i + 2) * N + j] = s2; c[(i + 3) * N + j] = s3;
    }
  }
  for (; i < M; i++) {
    const float* ai = a + i * sai;
    u32 j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t acc = wasm_f32x4_splat(0);
      for (u32 k = 0; k < K; k++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(ai[k * sak]), wasm_v128_load(b + k * N + j)));
      wasm_v128_store(c + i * N + j, acc);
    }
    for (; j < N; j++) {
      float s = 0;
      for (u32 k = 0; k < K; k++) s += ai[k * sak] * b[k * N + j];
      c[i * N + j] = s;
    }
  }
}

// out = op(a)·op(b) over `batch` entries; a_batch_stride or b_batch_stride 0 broadcasts.
// With tb, each b entry ([N,K]) is first transposed into scratch (K·N floats).
__attribute__((export_name("batch_matmul")))
void batch_matmul(const float* a, const float* b, float* out, float* scratch, u32 batch, u32 M, u32 N, u32 K,
                  u32 ta, u32 tb, u32 a_batch_stride, u32 b_batch_stride) {
  u32 sai = ta ? 1 : K, sak = ta ? M : 1;
  for (u32 e = 0; e < batch; e++) {
    const float* ae = a + e * a_batch_stride;
    const float* be = b + e * b_batch_stride;
    if (tb) {
      if (e == 0 || b_batch_stride) {
        for (u32 j = 0; j < N; j++)
          for (u32 k = 0; k < K; k++) scratch[k * N + j] = be[j * K + k];
      }
      be = scratch;
    }
    gemm(ae, sai, sak, be, out + e * M * N, M, N, K);
  }
}
