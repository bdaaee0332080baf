// Native matrix products for the tfjs WASM backend, a Node-API addon. WebAssembly's SIMD is 128
// bits wide and has no fused multiply-add, so our WASM GEMM (../kernels.c) tops out at 16
// flops a cycle; with AVX-512 a core does 64, with AVX2 and FMA 32. Measured on one core of
// the 2-core machine the project is built on, [2048×256]·[256×1024]: 60 GFLOP/s in WASM,
// ~230 here with AVX-512, ~125 with AVX2 (and ~125 for OpenBLAS under PyTorch).
//
// The addon works on the WASM backend's own memory: JavaScript hands it the memory's
// ArrayBuffer and byte offsets of the tensors, as it does the WASM kernels. Every offset is
// checked against the buffer before anything is read or written.
//
// The GEMM is the classic blocked one (Goto/BLIS), as in ../kernels.c: panels of op(A) and
// op(B) are packed (absorbing the transposes) and an MR×NR micro-kernel of FMAs runs over them.
// The micro-kernel is picked when the addon loads (in each thread) from what the CPU supports.
// x86-64 with GCC or Clang only, for now: elsewhere the addon loads with no micro-kernel and
// the trainer says so; MSVC does not compile it (npm install then says why and goes on).
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86_KERNELS 1
#include <immintrin.h>
#endif

typedef uint32_t u32;

#define KC 384
#define MC 96
#define NC 2048
// Products of at most this many rows read a plain (untransposed) B without packing it.
#define DIRECT_B_ROWS 64

// ldb: floats from one k's NR values of B to the next (NR in a packed panel, N in B itself).
typedef void (*micro_kernel_fn)(u32 kc, const float* ap, const float* bp, u32 ldb, float* c, u32 ldc, u32 mr, u32 nr, int accumulate);

typedef struct {
  const char* name;
  u32 mr, nr;
  micro_kernel_fn kernel;
} isa_t;

#ifdef HAVE_X86_KERNELS
// The accumulators are named variables, not arrays: GCC keeps an array that the epilogue
// indexes in memory and stores it back on every k (measured: the AVX2 kernel ran at a quarter
// of its speed). They go through `tile` once, after the k loop.

// c[0..mr)[0..nr) (row stride ldc) = or += the tile of MR×NR floats.
static inline void write_tile(const float* tile, u32 NR, float* c, u32 ldc, u32 mr, u32 nr, int accumulate) {
  for (u32 r = 0; r < mr; r++)
    for (u32 j = 0; j < nr; j++) c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.0f) + tile[r * NR + j];
}

#define ZERO512(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
#define FMA512(r) \
  { \
    __m512 a = _mm512_set1_ps(ap[r]); \
    c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0); \
    c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1); \
  }
#define STORE512(r) \
  _mm512_store_ps(tile + r * 32, c##r##0); \
  _mm512_store_ps(tile + r * 32 + 16, c##r##1);

// 8 rows × 32 columns: 16 accumulators in zmm registers; per k two loads of B, eight
// broadcasts of A, sixteen FMAs. (12 rows measured no faster and leaves edge tiles on 128.)
__attribute__((target("avx512f"))) static void micro_avx512(u32 kc, const float* ap, const float* bp, u32 ldb, float* c, u32 ldc, u32 mr, u32 nr, int accumulate) {
  ZERO512(0) ZERO512(1) ZERO512(2) ZERO512(3) ZERO512(4) ZERO512(5) ZERO512(6) ZERO512(7)
  for (u32 k = 0; k < kc; k++, ap += 8, bp += ldb) {
    __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
    FMA512(0) FMA512(1) FMA512(2) FMA512(3) FMA512(4) FMA512(5) FMA512(6) FMA512(7)
  }
  float tile[8 * 32] __attribute__((aligned(64)));
  STORE512(0) STORE512(1) STORE512(2) STORE512(3) STORE512(4) STORE512(5) STORE512(6) STORE512(7)
  if (mr == 8 && nr == 32) {
    for (u32 r = 0; r < 8; r++) {
      float* cr = c + r * ldc;
      __m512 t0 = _mm512_load_ps(tile + r * 32), t1 = _mm512_load_ps(tile + r * 32 + 16);
      if (accumulate) {
        t0 = _mm512_add_ps(t0, _mm512_loadu_ps(cr));
        t1 = _mm512_add_ps(t1, _mm512_loadu_ps(cr + 16));
      }
      _mm512_storeu_ps(cr, t0);
      _mm512_storeu_ps(cr + 16, t1);
    }
    return;
  }
  write_tile(tile, 32, c, ldc, mr, nr, accumulate);
}

#define ZERO256(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
#define FMA256(r) \
  { \
    __m256 a = _mm256_broadcast_ss(ap + r); \
    c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1); \
  }
#define STORE256(r) \
  _mm256_store_ps(tile + r * 16, c##r##0); \
  _mm256_store_ps(tile + r * 16 + 8, c##r##1);

// 6 rows × 16 columns: 12 accumulators of the 16 ymm registers (the usual Haswell shape).
__attribute__((target("avx2,fma"))) static void micro_avx2(u32 kc, const float* ap, const float* bp, u32 ldb, float* c, u32 ldc, u32 mr, u32 nr, int accumulate) {
  ZERO256(0) ZERO256(1) ZERO256(2) ZERO256(3) ZERO256(4) ZERO256(5)
  for (u32 k = 0; k < kc; k++, ap += 6, bp += ldb) {
    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    FMA256(0) FMA256(1) FMA256(2) FMA256(3) FMA256(4) FMA256(5)
  }
  float tile[6 * 16] __attribute__((aligned(32)));
  STORE256(0) STORE256(1) STORE256(2) STORE256(3) STORE256(4) STORE256(5)
  if (mr == 6 && nr == 16) {
    for (u32 r = 0; r < 6; r++) {
      float* cr = c + r * ldc;
      __m256 t0 = _mm256_load_ps(tile + r * 16), t1 = _mm256_load_ps(tile + r * 16 + 8);
      if (accumulate) {
        t0 = _mm256_add_ps(t0, _mm256_loadu_ps(cr));
        t1 = _mm256_add_ps(t1, _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, t0);
      _mm256_storeu_ps(cr + 8, t1);
    }
    return;
  }
  write_tile(tile, 16, c, ldc, mr, nr, accumulate);
}
#endif

static const isa_t ISAS[] = {
#ifdef HAVE_X86_KERNELS
    {"avx512", 8, 32, micro_avx512},
    {"avx2", 6, 16, micro_avx2},
#endif
    {NULL, 0, 0, NULL},
};

static int cpu_has(const char* name) {
#ifdef HAVE_X86_KERNELS
  __builtin_cpu_init();
  if (!strcmp(name, "avx512")) return __builtin_cpu_supports("avx512f");
  if (!strcmp(name, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  (void)name;
  return 0;
}

// Per Node environment (the main thread and each worker has one): the micro-kernel in use and
// packing space, freed when the environment goes.
typedef struct {
  const isa_t* isa;
  float* bpack; // KC × NC
  float* apack; // MC × KC
} env_state;

static void free_state(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  env_state* s = data;
  free(s->bpack);
  free(s->apack);
  free(s);
}

// C[M,N] = op(A)·op(B) for one batch entry; op(A)(i,k) = a[i*sai + k*sak], op(B)(k,j) = b[k*sbk + j*sbj].
static void gemm(const env_state* s, const float* a, u32 sai, u32 sak, const float* b, u32 sbk, u32 sbj, float* c, u32 M, u32 N, u32 K) {
  const u32 MR = s->isa->mr, NR = s->isa->nr;
  const micro_kernel_fn kernel = s->isa->kernel;
  if (K == 0) {
    memset(c, 0, (size_t)M * N * sizeof(float));
    return;
  }
  const int direct = sbj == 1 && M <= DIRECT_B_ROWS;
  for (u32 jc = 0; jc < N; jc += NC) {
    u32 nc = N - jc < NC ? N - jc : NC;
    for (u32 pc = 0; pc < K; pc += KC) {
      u32 kc = K - pc < KC ? K - pc : KC;
      // B block [kc × nc] as NR-wide panels, k-major, zero-padded past N. A product of few rows
      // (inference on a selection) reads each panel of a plain B in place: packing it would
      // copy the whole weight matrix for a product that reads it once or twice. Only the last,
      // narrower panel is packed then.
      for (u32 jr = direct ? (nc / NR) * NR : 0; jr < nc; jr += NR) {
        float* dst = s->bpack + (size_t)jr * kc;
        u32 nr = nc - jr < NR ? nc - jr : NR;
        if (sbk == 1) {
          // op(B) = Bᵀ (every dy·Wᵀ of the backward pass): each column of the panel is a row
          // of B in memory, read whole, where reading the panel k by k would touch NR rows.
          // Eight rows at a time: eight read streams, and each k writes 32 bytes of its line.
          for (u32 j0 = 0; j0 < NR; j0 += 8) {
            const float* src[8];
            for (u32 j = 0; j < 8; j++) src[j] = j0 + j < nr ? b + (size_t)(jc + jr + j0 + j) * sbj + pc : NULL;
            for (u32 k = 0; k < kc; k++) {
              float* d = dst + (size_t)k * NR + j0;
              for (u32 j = 0; j < 8; j++) d[j] = src[j] ? src[j][k] : 0;
            }
          }
          continue;
        }
        for (u32 k = 0; k < kc; k++, dst += NR) {
          const float* src = b + (size_t)(pc + k) * sbk + (size_t)(jc + jr) * sbj;
          u32 j = 0;
          if (sbj == 1) {
            memcpy(dst, src, nr * sizeof(float));
            j = nr;
          } else {
            for (; j < nr; j++) dst[j] = src[(size_t)j * sbj];
          }
          for (; j < NR; j++) dst[j] = 0;
        }
      }
      for (u32 ic = 0; ic < M; ic += MC) {
        u32 mc = M - ic < MC ? M - ic : MC;
        // A block [mc × kc] as MR-tall panels, k-major, zero-padded past M.
        for (u32 ir = 0; ir < mc; ir += MR) {
          float* dst = s->apack + (size_t)ir * kc;
          u32 mr = mc - ir < MR ? mc - ir : MR;
          for (u32 k = 0; k < kc; k++, dst += MR) {
            const float* src = a + (size_t)(ic + ir) * sai + (size_t)(pc + k) * sak;
            u32 r = 0;
            for (; r < mr; r++) dst[r] = src[(size_t)r * sai];
            for (; r < MR; r++) dst[r] = 0;
          }
        }
        for (u32 jr = 0; jr < nc; jr += NR) {
          u32 nr = nc - jr < NR ? nc - jr : NR;
          for (u32 ir = 0; ir < mc; ir += MR) {
            u32 mr = mc - ir < MR ? mc - ir : MR;
            if (direct && nr == NR)
              kernel(kc, s->apack + (size_t)ir * kc, b + (size_t)pc * sbk + jc + jr, sbk, c + (size_t)(ic + ir) * N + jc + jr, N, mr, nr, pc > 0);
            else
              kernel(kc, s->apack + (size_t)ir * kc, s->bpack + (size_t)jr * kc, NR, c + (size_t)(ic + ir) * N + jc + jr, N, mr, nr, pc > 0);
          }
        }
      }
    }
  }
}

#define CHECK(call) \
  do { \
    if ((call) != napi_ok) return NULL; \
  } while (0)

static napi_value fail(napi_env env, const char* message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

static env_state* state_of(napi_env env) {
  void* data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

// argv[0..count) as whole numbers in [0, 2^32) (offsets, sizes, strides) into v; 0, with a
// RangeError saying `message`, when one is not.
static int whole_numbers(napi_env env, const napi_value* argv, size_t count, double* v, const char* message) {
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_double(env, argv[i], &v[i]) != napi_ok || !(v[i] >= 0) || v[i] > 4294967295.0 || v[i] != (double)(uint64_t)v[i]) {
      napi_throw_range_error(env, NULL, message);
      return 0;
    }
  }
  return 1;
}

// batchMatmul(memory: ArrayBuffer, a, b, out: byte offsets, batch, m, n, k, transposeA,
// transposeB, aBatchStride, bBatchStride: in floats, 0 broadcasts one matrix over the batch)
static napi_value batch_matmul(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) return fail(env, "batchMatmul takes 12 arguments");
  env_state* s = state_of(env);
  if (!s || !s->isa) return fail(env, "no native kernel for this CPU");
  void* data;
  size_t bytes;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok) return fail(env, "batchMatmul: the first argument must be an ArrayBuffer");
  double v[11];
  if (!whole_numbers(env, argv + 1, 11, v, "batchMatmul: offsets, sizes and strides must be whole numbers in [0, 2^32)")) return NULL;
  uint64_t aOff = v[0], bOff = v[1], outOff = v[2], batch = v[3], M = v[4], N = v[5], K = v[6];
  int ta = v[7] != 0, tb = v[8] != 0;
  uint64_t aStride = v[9], bStride = v[10];
  if (aOff % 4 || bOff % 4 || outOff % 4) return fail(env, "batchMatmul: offsets must be multiples of 4");
  if (batch == 0 || M * N == 0) return NULL;
  // The last float each operand touches must lie inside the buffer (in doubles: no overflow,
  // and any sum too large to be exact is far past a 4 GiB memory anyway).
  double aEnd = aOff + 4.0 * ((batch - 1.0) * aStride + (double)M * K);
  double bEnd = bOff + 4.0 * ((batch - 1.0) * bStride + (double)K * N);
  double outEnd = outOff + 4.0 * batch * M * N;
  if (aEnd > bytes || bEnd > bytes || outEnd > bytes) return fail(env, "batchMatmul: an operand lies outside the memory");
  const float* a = (const float*)((char*)data + aOff);
  const float* b = (const float*)((char*)data + bOff);
  float* out = (float*)((char*)data + outOff);
  u32 sai = ta ? 1 : K, sak = ta ? M : 1;
  u32 sbk = tb ? 1 : N, sbj = tb ? K : 1;
  for (uint64_t e = 0; e < batch; e++)
    gemm(s, a + e * aStride, sai, sak, b + e * bStride, sbk, sbj, out + e * M * N, M, N, K);
  return NULL;
}

#ifdef HAVE_X86_KERNELS
// GELU and its gradient with AVX-512, the WASM kernels' formulas (../kernels.c: Abramowitz and
// Stegun's erf, as PyTorch's CPU kernels have it) sixteen lanes and FMAs at a time: GELU was
// the largest kernel of a pass after the products (5–6 % of bert-base's in WASM).

// e^t for t ≤ 0 (below -87: 0): t = k·ln2 + r, e^r by its Taylor series to r^6, 2^k in the exponent.
__attribute__((target("avx512f"))) static inline __m512 exp_nonpositive512(__m512 t) {
  t = _mm512_max_ps(t, _mm512_set1_ps(-87.0f));
  __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), t);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

// Φ(x) = (1 + erf(x/√2)) / 2, erf(z) = 1 − (a1·t + … + a5·t⁵)·e^(−z²), t = 1/(1 + p·|z|), signed.
__attribute__((target("avx512f"))) static inline __m512 normal_cdf512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.707106781186547524f));
  __m512i sign = _mm512_and_epi32(_mm512_castps_si512(z), _mm512_set1_epi32((int)0x80000000u));
  __m512 az = _mm512_abs_ps(z);
  __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), az, one));
  __m512 r = _mm512_fmadd_ps(_mm512_set1_ps(1.061405429f), t, _mm512_set1_ps(-1.453152027f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(1.421413741f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(-0.284496736f));
  r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(0.254829592f));
  __m512 e = exp_nonpositive512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(z, z)));
  __m512 erf_abs = _mm512_fnmadd_ps(_mm512_mul_ps(r, t), e, one);
  __m512 erf = _mm512_castsi512_ps(_mm512_xor_epi32(_mm512_castps_si512(erf_abs), sign));
  return _mm512_mul_ps(_mm512_add_ps(erf, one), _mm512_set1_ps(0.5f));
}

__attribute__((target("avx512f"))) static void gelu512(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
    __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(xv, normal_cdf512(xv)));
  }
}

// out = dy · (Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π).
__attribute__((target("avx512f"))) static void gelu_backward512(const float* x, const float* dy, float* out, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
    __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
    __m512 pdf = _mm512_mul_ps(exp_nonpositive512(_mm512_mul_ps(_mm512_mul_ps(xv, xv), _mm512_set1_ps(-0.5f))), _mm512_set1_ps(0.398942280401432678f));
    __m512 d = _mm512_fmadd_ps(xv, pdf, normal_cdf512(xv));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i), d));
  }
}
#endif

// The memory and the float offsets of an element-wise kernel's operands, checked as batchMatmul
// checks its own: whole numbers, multiples of 4, each of n floats inside the memory.
static int elementwise_args(napi_env env, napi_callback_info info, size_t count, float** ptrs, size_t* n) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc != count + 2) {
    napi_throw_range_error(env, NULL, "wrong number of arguments");
    return 0;
  }
  void* data;
  size_t bytes;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok) {
    napi_throw_range_error(env, NULL, "the first argument must be an ArrayBuffer");
    return 0;
  }
  double v[5];
  if (!whole_numbers(env, argv + 1, count + 1, v, "offsets and sizes must be whole numbers in [0, 2^32)")) return 0;
  *n = (size_t)v[count];
  for (size_t i = 0; i < count; i++) {
    if ((uint64_t)v[i] % 4 || v[i] + 4.0 * (double)*n > (double)bytes) {
      napi_throw_range_error(env, NULL, "an operand lies outside the memory or is misaligned");
      return 0;
    }
    ptrs[i] = (float*)((char*)data + (size_t)v[i]);
  }
  return 1;
}

// gelu(memory, x, out, n): out = x·Φ(x); geluBackward(memory, x, dy, out, n). Byte offsets into
// memory, as batchMatmul takes them. AVX-512 only: the trainer calls them where isa() is
// "avx512", and runs the WASM kernels elsewhere.
static napi_value gelu_either(napi_env env, napi_callback_info info, int backward) {
  float* p[3];
  size_t n;
  if (!elementwise_args(env, info, backward ? 3 : 2, p, &n)) return NULL;
#ifdef HAVE_X86_KERNELS
  if (__builtin_cpu_supports("avx512f")) {
    if (backward)
      gelu_backward512(p[0], p[1], p[2], n);
    else
      gelu512(p[0], p[1], n);
    return NULL;
  }
#endif
  return fail(env, backward ? "geluBackward: no AVX-512 on this CPU" : "gelu: no AVX-512 on this CPU");
}

static napi_value gelu_native(napi_env env, napi_callback_info info) { return gelu_either(env, info, 0); }
static napi_value gelu_backward_native(napi_env env, napi_callback_info info) { return gelu_either(env, info, 1); }

// A Float32Array's floats and length; 0 (an exception pending) when the value is none.
// Typed arrays over a SharedArrayBuffer answer too (napi_get_arraybuffer_info takes no shared
// buffer, napi_get_typedarray_info gives the view's data wherever it lies).
static int floats_of(napi_env env, napi_value value, float** data, size_t* length) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, value, &type, length, (void**)data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "addInto takes two Float32Arrays");
    return 0;
  }
  return 1;
}

// addInto(dst, src): dst[i] += src[i], both Float32Arrays of one length. A gradient worker sums
// the gradients of a step's passes into shared memory with it: a pass's gradient lies in the
// worker's WebAssembly heap and the sum in the trainers' shared memory, which no WebAssembly
// module can address together (one memory each), and JavaScript's loop runs at a fraction of
// the memory's speed. In order, one add per element: the same floats as that loop.
static napi_value add_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) return fail(env, "addInto takes 2 arguments");
  size_t n, m;
  float *dst, *src;
  if (!floats_of(env, argv[0], &dst, &n) || !floats_of(env, argv[1], &src, &m)) return NULL;
  if (n != m) return fail(env, "addInto: the arrays differ in length");
  for (size_t i = 0; i < n; i++) dst[i] += src[i];
  return NULL;
}

// isa(): the micro-kernel in use ("avx512", "avx2"), or null when this CPU has none of them.
static napi_value get_isa(napi_env env, napi_callback_info info) {
  (void)info;
  env_state* s = state_of(env);
  napi_value result;
  if (!s || !s->isa) {
    CHECK(napi_get_null(env, &result));
  } else {
    CHECK(napi_create_string_utf8(env, s->isa->name, NAPI_AUTO_LENGTH, &result));
  }
  return result;
}

// supported(): every micro-kernel this CPU can run, best first.
static napi_value get_supported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value list;
  CHECK(napi_create_array(env, &list));
  uint32_t n = 0;
  for (const isa_t* i = ISAS; i->name; i++) {
    if (!cpu_has(i->name)) continue;
    napi_value name;
    CHECK(napi_create_string_utf8(env, i->name, NAPI_AUTO_LENGTH, &name));
    CHECK(napi_set_element(env, list, n++, name));
  }
  return list;
}

// useIsa(name): picks another micro-kernel this CPU supports (tests run each one); false if not.
static napi_value use_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[32] = {0};
  size_t len;
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) return fail(env, "useIsa takes a name");
  env_state* s = state_of(env);
  napi_value result;
  int ok = 0;
  for (const isa_t* i = ISAS; s && i->name; i++) {
    if (!strcmp(i->name, name) && cpu_has(name)) {
      s->isa = i;
      ok = 1;
    }
  }
  CHECK(napi_get_boolean(env, ok, &result));
  return result;
}

NAPI_MODULE_INIT() {
  env_state* s = calloc(1, sizeof *s);
  if (!s) return NULL;
  for (const isa_t* i = ISAS; i->name && !s->isa; i++)
    if (cpu_has(i->name)) s->isa = i;
  s->bpack = aligned_alloc(64, sizeof(float) * KC * NC);
  s->apack = aligned_alloc(64, sizeof(float) * MC * KC);
  if (!s->bpack || !s->apack || napi_set_instance_data(env, s, free_state, NULL) != napi_ok) {
    free(s->bpack);
    free(s->apack);
    free(s);
    napi_throw_error(env, NULL, "bert_tune_kernels: out of memory");
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"batchMatmul", NULL, batch_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addInto", NULL, add_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gelu", NULL, gelu_native, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geluBackward", NULL, gelu_backward_native, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isa", NULL, get_isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"supported", NULL, get_supported, NULL, NULL, NULL, napi_enumerable, NULL},
      {"useIsa", NULL, use_isa, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof *props, props) != napi_ok) return NULL;
  return exports;
}
