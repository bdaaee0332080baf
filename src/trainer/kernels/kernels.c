// Kernels for the tfjs WASM backend: first, batched matrix products, which sends every batched or transposed
// matmul (attention's Q·Kᵀ and P·V, and the gradients of every layer) to a scalar loop at a few
// GFLOP/s. A GEMM in the classic blocked form (Goto/BLIS): panels of op(A) and op(B) are packed
// into scratch memory (which absorbs the transposes), and a 4×8 SIMD micro-kernel runs over
// them while they sit in cache.
//
// Built by scripts/build-kernels.sh into kernelsWasm.ts (committed). The module imports the
// backend's own memory and works on its tensors in place, so it must never use memory of its
// own: no globals, no data, no stack (the build checks). The caller hands it scratch space.
#include <wasm_simd128.h>

typedef unsigned int u32;

#define MR 4
#define NR 8
#define KC 256
#define MC 64
#define NC 512

// Floats of scratch the caller must provide.
__attribute__((export_name("scratch_floats")))
u32 scratch_floats(void) { return KC * NC + MC * KC + MR * NR; }

// c[0..MR)[0..NR) (row stride ldc) = or += Σ_k ap[k][r] · bp[k][c], for the valid mr × nr corner.
static void micro_kernel(u32 kc, const float* ap, const float* bp, float* c, u32 ldc, u32 mr, u32 nr, int accumulate, float* tile) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (u32 k = 0; k < kc; k++, ap += MR, bp += NR) {
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 1);
    v128_t a2 = wasm_v128_load32_splat(ap + 2), a3 = wasm_v128_load32_splat(ap + 3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
  }
  if (mr == MR && nr == NR) {
    if (accumulate) {
      c00 = wasm_f32x4_add(c00, wasm_v128_load(c)); c01 = wasm_f32x4_add(c01, wasm_v128_load(c + 4));
      c10 = wasm_f32x4_add(c10, wasm_v128_load(c + ldc)); c11 = wasm_f32x4_add(c11, wasm_v128_load(c + ldc + 4));
      c20 = wasm_f32x4_add(c20, wasm_v128_load(c + 2 * ldc)); c21 = wasm_f32x4_add(c21, wasm_v128_load(c + 2 * ldc + 4));
      c30 = wasm_f32x4_add(c30, wasm_v128_load(c + 3 * ldc)); c31 = wasm_f32x4_add(c31, wasm_v128_load(c + 3 * ldc + 4));
    }
    wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
    wasm_v128_store(c + ldc, c10); wasm_v128_store(c + ldc + 4, c11);
    wasm_v128_store(c + 2 * ldc, c20); wasm_v128_store(c + 2 * ldc + 4, c21);
    wasm_v128_store(c + 3 * ldc, c30); wasm_v128_store(c + 3 * ldc + 4, c31);
    return;
  }
  // An edge tile: through the caller's tile scratch, then only the valid corner.
  wasm_v128_store(tile, c00); wasm_v128_store(tile + 4, c01);
  wasm_v128_store(tile + 8, c10); wasm_v128_store(tile + 12, c11);
  wasm_v128_store(tile + 16, c20); wasm_v128_store(tile + 20, c21);
  wasm_v128_store(tile + 24, c30); wasm_v128_store(tile + 28, c31);
  for (u32 r = 0; r < mr; r++)
    for (u32 j = 0; j < nr; j++) c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.0f) + tile[r * NR + j];
}

// C[M,N] = op(A)·op(B) for one batch entry, where op(A)(i,k) = a[i*sai + k*sak] and
// op(B)(k,j) = b[k*sbk + j*sbj]; C is row-major and fully written.
static void gemm(const float* a, u32 sai, u32 sak, const float* b, u32 sbk, u32 sbj, float* c, u32 M, u32 N, u32 K, float* scratch) {
  float* bpack = scratch;
  float* apack = bpack + KC * NC;
  float* tile = apack + MC * KC;
  if (K == 0) {
    for (u32 i = 0; i < M * N; i++) c[i] = 0;
    return;
  }
  for (u32 jc = 0; jc < N; jc += NC) {
    u32 nc = N - jc < NC ? N - jc : NC;
    for (u32 pc = 0; pc < K; pc += KC) {
      u32 kc = K - pc < KC ? K - pc : KC;
      // B block [kc × nc] as NR-wide panels, k-major, zero-padded past N.
      for (u32 jr = 0; jr < nc; jr += NR) {
        float* dst = bpack + jr * kc;
        u32 nr = nc - jr < NR ? nc - jr : NR;
        for (u32 k = 0; k < kc; k++, dst += NR) {
          const float* src = b + (pc + k) * sbk + (jc + jr) * sbj;
          if (nr == NR && sbj == 1) {
            wasm_v128_store(dst, wasm_v128_load(src));
            wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
          } else {
            u32 j = 0;
            for (; j < nr; j++) dst[j] = src[j * sbj];
            for (; j < NR; j++) dst[j] = 0;
          }
        }
      }
      for (u32 ic = 0; ic < M; ic += MC) {
        u32 mc = M - ic < MC ? M - ic : MC;
        // A block [mc × kc] as MR-tall panels, k-major, zero-padded past M.
        for (u32 ir = 0; ir < mc; ir += MR) {
          float* dst = apack + ir * kc;
          u32 mr = mc - ir < MR ? mc - ir : MR;
          for (u32 k = 0; k < kc; k++, dst += MR) {
            const float* src = a + (ic + ir) * sai + (pc + k) * sak;
            u32 r = 0;
            for (; r < mr; r++) dst[r] = src[r * sai];
            for (; r < MR; r++) dst[r] = 0;
          }
        }
        for (u32 jr = 0; jr < nc; jr += NR) {
          u32 nr = nc - jr < NR ? nc - jr : NR;
          for (u32 ir = 0; ir < mc; ir += MR) {
            u32 mr = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, apack + ir * kc, bpack + jr * kc, c + (ic + ir) * N + jc + jr, N, mr, nr, pc > 0, tile);
          }
        }
      }
    }
  }
}

// out = op(a)·op(b) over `batch` entries; a_batch_stride or b_batch_stride 0 broadcasts (in floats).
__attribute__((export_name("batch_matmul")))
void batch_matmul(const float* a, const float* b, float* out, float* scratch, u32 batch, u32 M, u32 N, u32 K,
                  u32 ta, u32 tb, u32 a_batch_stride, u32 b_batch_stride) {
  u32 sai = ta ? 1 : K, sak = ta ? M : 1;
  u32 sbk = tb ? 1 : N, sbj = tb ? K : 1;
  for (u32 e = 0; e < batch; e++)
    gemm(a + e * a_batch_stride, sai, sak, b + e * b_batch_stride, sbk, sbj, out + e * M * N, M, N, K, scratch);
}

// out[i] = table[ids[i]] for rows of `width` floats: an embedding lookup (the backend's GatherV2
// takes ~7 ms for 2048 rows of 128). Returns how many ids fall outside [0, rows); the caller
// then leaves the lookup to the backend's own kernel, which reports them.
__attribute__((export_name("gather_rows")))
u32 gather_rows(const float* table, const int* ids, float* out, u32 n, u32 width, u32 rows) {
  u32 bad = 0;
  for (u32 i = 0; i < n; i++) {
    int id = ids[i];
    float* dst = out + i * width;
    if (id < 0 || (u32)id >= rows) {
      bad++;
      continue;
    }
    const float* src = table + (u32)id * width;
    u32 j = 0;
    for (; j + 4 <= width; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
    for (; j < width; j++) dst[j] = src[j];
  }
  return bad;
}

// out[j] = Σ_i x[i][j] over a rows × cols matrix: the gradient of every bias and LayerNorm
// parameter. The backend sums along a leading axis by transposing first.
__attribute__((export_name("column_sums")))
void column_sums(const float* x, float* out, u32 rows, u32 cols) {
  u32 j = 0;
  for (; j + 16 <= cols; j += 16) {
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
    const float* p = x + j;
    for (u32 i = 0; i < rows; i++, p += cols) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(p));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(p + 4));
      s2 = wasm_f32x4_add(s2, wasm_v128_load(p + 8));
      s3 = wasm_f32x4_add(s3, wasm_v128_load(p + 12));
    }
    wasm_v128_store(out + j, s0); wasm_v128_store(out + j + 4, s1);
    wasm_v128_store(out + j + 8, s2); wasm_v128_store(out + j + 12, s3);
  }
  for (; j + 4 <= cols; j += 4) {
    v128_t s = wasm_f32x4_splat(0);
    for (u32 i = 0; i < rows; i++) s = wasm_f32x4_add(s, wasm_v128_load(x + i * cols + j));
    wasm_v128_store(out + j, s);
  }
  for (; j < cols; j++) {
    float s = 0;
    for (u32 i = 0; i < rows; i++) s += x[i * cols + j];
    out[j] = s;
  }
}

// Dropout with a mask drawn from (seed, element index) alone, so the backward pass recomputes
// it instead of storing it: out[i] = keep ? x[i] · scale : 0, keep when the top 24 bits of
// lowbias32(i·0x9E3779B9 + seed), as a fraction of 2^24, are ≥ rate24/2^24. The JavaScript twin
// in ../model/dropout.ts computes the same masks bit for bit.
static inline v128_t lowbias32(v128_t x) {
  x = wasm_v128_xor(x, wasm_u32x4_shr(x, 16));
  x = wasm_i32x4_mul(x, wasm_i32x4_splat(0x7feb352d));
  x = wasm_v128_xor(x, wasm_u32x4_shr(x, 15));
  x = wasm_i32x4_mul(x, wasm_i32x4_splat((int)0x846ca68bu));
  return wasm_v128_xor(x, wasm_u32x4_shr(x, 16));
}

__attribute__((export_name("dropout")))
void dropout(const float* x, float* out, u32 n, u32 seed, u32 rate24, float scale) {
  v128_t golden = wasm_i32x4_splat((int)0x9E3779B9u);
  v128_t vseed = wasm_i32x4_splat((int)seed);
  v128_t threshold = wasm_i32x4_splat((int)rate24);
  v128_t vscale = wasm_f32x4_splat(scale);
  v128_t index = wasm_i32x4_make(0, 1, 2, 3);
  v128_t four = wasm_i32x4_splat(4);
  u32 i = 0;
  for (; i + 4 <= n; i += 4, index = wasm_i32x4_add(index, four)) {
    v128_t h = lowbias32(wasm_i32x4_add(wasm_i32x4_mul(index, golden), vseed));
    v128_t keep = wasm_u32x4_ge(wasm_u32x4_shr(h, 8), threshold);
    wasm_v128_store(out + i, wasm_v128_and(wasm_f32x4_mul(wasm_v128_load(x + i), vscale), keep));
  }
  for (; i < n; i++) {
    u32 h = i * 0x9E3779B9u + seed;
    h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
    out[i] = (h >> 8) >= rate24 ? x[i] * scale : 0.0f;
  }
}

// e^t for t ≤ 0 (inputs below -87 give 0): t = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor
// series to r^6 (relative error ≤ 1.2e-7), 2^k put into the exponent bits.
static inline v128_t exp_nonpositive(v128_t t) {
  t = wasm_f32x4_max(t, wasm_f32x4_splat(-87.0f));
  v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(t, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(t, wasm_f32x4_mul(k, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 720);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(k), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

// The gradient of GELU(x) = x·Φ(x), given Φ(x) from the forward pass:
// out = dy · (Φ(x) + x·φ(x)), φ(x) = e^(-x²/2) / √(2π).
__attribute__((export_name("gelu_grad")))
void gelu_grad(const float* x, const float* cdf, const float* dy, float* out, u32 n) {
  const v128_t half = wasm_f32x4_splat(-0.5f), inv_sqrt_2pi = wasm_f32x4_splat(0.398942280401432678f);
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xv = wasm_v128_load(x + i);
    v128_t pdf = wasm_f32x4_mul(exp_nonpositive(wasm_f32x4_mul(wasm_f32x4_mul(xv, xv), half)), inv_sqrt_2pi);
    v128_t d = wasm_f32x4_add(wasm_v128_load(cdf + i), wasm_f32x4_mul(xv, pdf));
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), d));
  }
  for (; i < n; i++) {
    v128_t xv = wasm_f32x4_splat(x[i]);
    v128_t pdf = wasm_f32x4_mul(exp_nonpositive(wasm_f32x4_mul(wasm_f32x4_mul(xv, xv), half)), inv_sqrt_2pi);
    out[i] = dy[i] * (cdf[i] + x[i] * wasm_f32x4_extract_lane(pdf, 0));
  }
}

// Φ(x) = (1 + erf(x/√2)) / 2 with erf as PyTorch's CPU kernels compute it (ATen's vectorized
// erf, and oneDNN's GELU): Abramowitz and Stegun 7.1.26, erf(z) = 1 − (a1·t + … + a5·t⁵)·e^(−z²),
// t = 1/(1 + p·|z|), absolute error ≤ 1.5e-7, its sign restored after.
static inline v128_t normal_cdf(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f), sign_bit = wasm_f32x4_splat(-0.0f);
  v128_t z = wasm_f32x4_mul(x, wasm_f32x4_splat(0.707106781186547524f));
  v128_t sign = wasm_v128_and(z, sign_bit);
  v128_t az = wasm_f32x4_abs(z);
  v128_t t = wasm_f32x4_div(one, wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), az), one));
  v128_t r = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(1.061405429f), t), wasm_f32x4_splat(-1.453152027f));
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), wasm_f32x4_splat(1.421413741f));
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), wasm_f32x4_splat(-0.284496736f));
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), wasm_f32x4_splat(0.254829592f));
  v128_t e = exp_nonpositive(wasm_v128_xor(wasm_f32x4_mul(z, z), sign_bit));
  v128_t erf = wasm_v128_xor(wasm_f32x4_sub(one, wasm_f32x4_mul(wasm_f32x4_mul(r, t), e)), sign);
  return wasm_f32x4_mul(wasm_f32x4_add(erf, one), wasm_f32x4_splat(0.5f));
}

// The last n % 4 floats of an element-wise kernel, through one vector: copied in and out of a
// register (the module has no stack to put a buffer on).
#define TAIL_IN(p, i, n) wasm_f32x4_make((i) < (n) ? (p)[i] : 0, (i) + 1 < (n) ? (p)[(i) + 1] : 0, (i) + 2 < (n) ? (p)[(i) + 2] : 0, 0)
#define TAIL_OUT(p, i, n, v) \
  do { \
    if ((i) < (n)) (p)[i] = wasm_f32x4_extract_lane(v, 0); \
    if ((i) + 1 < (n)) (p)[(i) + 1] = wasm_f32x4_extract_lane(v, 1); \
    if ((i) + 2 < (n)) (p)[(i) + 2] = wasm_f32x4_extract_lane(v, 2); \
  } while (0)

// Exact GELU in one pass: out = x·Φ(x) (four tfjs kernels and a scalar erf otherwise).
__attribute__((export_name("gelu")))
void gelu(const float* x, float* out, u32 n) {
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xv = wasm_v128_load(x + i);
    wasm_v128_store(out + i, wasm_f32x4_mul(xv, normal_cdf(xv)));
  }
  if (i < n) {
    v128_t xv = TAIL_IN(x, i, n);
    TAIL_OUT(out, i, n, wasm_f32x4_mul(xv, normal_cdf(xv)));
  }
}

// GELU's gradient from x alone, Φ computed again here as PyTorch's backward does:
// out = dy · (Φ(x) + x·φ(x)).
__attribute__((export_name("gelu_backward")))
void gelu_backward(const float* x, const float* dy, float* out, u32 n) {
  const v128_t half = wasm_f32x4_splat(-0.5f), inv_sqrt_2pi = wasm_f32x4_splat(0.398942280401432678f);
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xv = wasm_v128_load(x + i);
    v128_t pdf = wasm_f32x4_mul(exp_nonpositive(wasm_f32x4_mul(wasm_f32x4_mul(xv, xv), half)), inv_sqrt_2pi);
    v128_t d = wasm_f32x4_add(normal_cdf(xv), wasm_f32x4_mul(xv, pdf));
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), d));
  }
  if (i < n) {
    v128_t xv = TAIL_IN(x, i, n);
    v128_t pdf = wasm_f32x4_mul(exp_nonpositive(wasm_f32x4_mul(wasm_f32x4_mul(xv, xv), half)), inv_sqrt_2pi);
    v128_t d = wasm_f32x4_add(normal_cdf(xv), wasm_f32x4_mul(xv, pdf));
    TAIL_OUT(out, i, n, wasm_f32x4_mul(TAIL_IN(dy, i, n), d));
  }
}

// LayerNorm in five kernels, as ../webgpuKernels.ts has them (../model/ops.ts's fused path): the
// backward pass keeps x and [rows, 2] statistics instead of x̂, and each kernel is one pass
// where the backend's ops took some fifteen (moments, subtractions, products, reductions).
static inline float lane_sum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) + (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// stats[r] = (mean, 1/√(variance + eps)) of each row of x, the variance biased (torch's).
__attribute__((export_name("ln_stats")))
void ln_stats(const float* x, float* stats, u32 rows, u32 width, float eps) {
  for (u32 r = 0; r < rows; r++) {
    const float* row = x + r * width;
    v128_t s = wasm_f32x4_splat(0);
    u32 h = 0;
    for (; h + 4 <= width; h += 4) s = wasm_f32x4_add(s, wasm_v128_load(row + h));
    float sum = lane_sum(s);
    for (; h < width; h++) sum += row[h];
    float mean = sum / (float)width;
    v128_t m = wasm_f32x4_splat(mean);
    s = wasm_f32x4_splat(0);
    for (h = 0; h + 4 <= width; h += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(row + h), m);
      s = wasm_f32x4_add(s, wasm_f32x4_mul(d, d));
    }
    float sq = lane_sum(s);
    for (; h < width; h++) sq += (row[h] - mean) * (row[h] - mean);
    stats[2 * r] = mean;
    stats[2 * r + 1] = 1.0f / __builtin_sqrtf(sq / (float)width + eps);
  }
}

// out = (x − mean)·rstd·γ + β.
__attribute__((export_name("ln_apply")))
void ln_apply(const float* x, const float* stats, const float* gamma, const float* beta, float* out, u32 rows, u32 width) {
  for (u32 r = 0; r < rows; r++) {
    const float* row = x + r * width;
    float* o = out + r * width;
    float mean = stats[2 * r], rstd = stats[2 * r + 1];
    v128_t m = wasm_f32x4_splat(mean), s = wasm_f32x4_splat(rstd);
    u32 h = 0;
    for (; h + 4 <= width; h += 4) {
      v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(row + h), m), s);
      wasm_v128_store(o + h, wasm_f32x4_add(wasm_f32x4_mul(xhat, wasm_v128_load(gamma + h)), wasm_v128_load(beta + h)));
    }
    for (; h < width; h++) o[h] = (row[h] - mean) * rstd * gamma[h] + beta[h];
  }
}

// dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy·γ, per row.
__attribute__((export_name("ln_dx")))
void ln_dx(const float* x, const float* stats, const float* gamma, const float* dy, float* out, u32 rows, u32 width) {
  for (u32 r = 0; r < rows; r++) {
    const float *row = x + r * width, *g = dy + r * width;
    float* o = out + r * width;
    float mean = stats[2 * r], rstd = stats[2 * r + 1];
    v128_t m = wasm_f32x4_splat(mean), s = wasm_f32x4_splat(rstd);
    v128_t va = wasm_f32x4_splat(0), vb = va;
    u32 h = 0;
    for (; h + 4 <= width; h += 4) {
      v128_t dxhat = wasm_f32x4_mul(wasm_v128_load(g + h), wasm_v128_load(gamma + h));
      va = wasm_f32x4_add(va, dxhat);
      vb = wasm_f32x4_add(vb, wasm_f32x4_mul(dxhat, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(row + h), m), s)));
    }
    float a = lane_sum(va), b = lane_sum(vb);
    for (; h < width; h++) {
      float dxhat = g[h] * gamma[h];
      a += dxhat;
      b += dxhat * ((row[h] - mean) * rstd);
    }
    float meanA = a / (float)width, meanB = b / (float)width;
    v128_t ma = wasm_f32x4_splat(meanA), mb = wasm_f32x4_splat(meanB);
    for (h = 0; h + 4 <= width; h += 4) {
      v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(row + h), m), s);
      v128_t dxhat = wasm_f32x4_mul(wasm_v128_load(g + h), wasm_v128_load(gamma + h));
      wasm_v128_store(o + h, wasm_f32x4_mul(s, wasm_f32x4_sub(wasm_f32x4_sub(dxhat, ma), wasm_f32x4_mul(xhat, mb))));
    }
    for (; h < width; h++) o[h] = rstd * ((g[h] * gamma[h] - meanA) - ((row[h] - mean) * rstd) * meanB);
  }
}

// γ's gradient: out[h] = Σ over rows of dy·x̂, rows in order (β's is column_sums of dy). Row by
// row into out, which stays in cache, where column by column would read x and dy width/4 times.
__attribute__((export_name("ln_dgamma")))
void ln_dgamma(const float* x, const float* stats, const float* dy, float* out, u32 rows, u32 width) {
  for (u32 h = 0; h < width; h++) out[h] = 0;
  for (u32 r = 0; r < rows; r++) {
    const float *row = x + r * width, *g = dy + r * width;
    float mean = stats[2 * r], rstd = stats[2 * r + 1];
    v128_t m = wasm_f32x4_splat(mean), s = wasm_f32x4_splat(rstd);
    u32 h = 0;
    for (; h + 4 <= width; h += 4) {
      v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(row + h), m), s);
      wasm_v128_store(out + h, wasm_f32x4_add(wasm_v128_load(out + h), wasm_f32x4_mul(wasm_v128_load(g + h), xhat)));
    }
    for (; h < width; h++) out[h] += g[h] * ((row[h] - mean) * rstd);
  }
}

// out = x[b0:b0+s0, b1:b1+s1, b2:b2+s2, b3:b3+s3] of a [d0, d1, d2, d3] tensor of 4-byte
// elements (lower ranks padded with leading 1s). The backend's Slice first copies the whole
// of x out of the heap into JavaScript (readSync), then copies the slice row by row: ModernBERT
// slices Q, K and V from one product and halves for its rotary embeddings, and spent a sixth of
// a pass there.
__attribute__((export_name("slice4")))
void slice4(const float* x, float* out, u32 d1, u32 d2, u32 d3, u32 b0, u32 b1, u32 b2, u32 b3, u32 s0, u32 s1, u32 s2, u32 s3) {
  for (u32 i = 0; i < s0; i++)
    for (u32 j = 0; j < s1; j++)
      for (u32 k = 0; k < s2; k++) {
        const float* src = x + (((b0 + i) * d1 + b1 + j) * d2 + b2 + k) * d3 + b3;
        u32 h = 0;
        for (; h + 4 <= s3; h += 4) wasm_v128_store(out + h, wasm_v128_load(src + h));
        for (; h < s3; h++) out[h] = src[h];
        out += s3;
      }
}
