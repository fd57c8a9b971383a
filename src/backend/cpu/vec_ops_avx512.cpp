// Compiled with -mavx512f -mavx2 -mfma -mf16c; used only when the CPU has them.
#include <immintrin.h>

#include <cmath>

#include "backend/cpu/vec_ops_simd.h"

namespace rocmforge::backend::cpu {
namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int64_t kLanes = 16;
  static V set1(float s) { return _mm512_set1_ps(s); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static float reduce_add(V v) { return hsum(v); }
  static float reduce_dot(V v) { return hsum(v); }

  // _mm512_reduce_add_ps's order (halves, quarters, pairs), with the
  // zero-masked forms of the intrinsics: the plain ones pass GCC 12 an
  // "undefined" vector it then warns about at -O3.
  static float hsum(V v) {
    const __m256 hi = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, _mm512_castps_pd(v), 1));
    const __m256 lo = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, _mm512_castps_pd(v), 0));
    const __m256 t3 = _mm256_add_ps(hi, lo);
    const __m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
    const __m128 t8 = _mm_add_ps(t6, _mm_shuffle_ps(t6, t6, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(t8) + _mm_cvtss_f32(_mm_shuffle_ps(t8, t8, _MM_SHUFFLE(1, 1, 1, 1)));
  }

  // exp(x) by the published ARM optimized-routines polynomial that ggml's
  // AVX-512 expf uses: x = n*ln2 + b, exp(b) by a degree-5 polynomial, scaled
  // by 2^n; |n| > 192 overflows to infinity or underflows to zero.
  static V exp(V x) {
    const V r = _mm512_set1_ps(0x1.8p23f);
    const V z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
    const V n = _mm512_sub_ps(z, r);
    const V b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                 _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
    const __mmask16 big = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
    const V u = _mm512_mul_ps(b, b);
    const V poly_hi = _mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f));
    const V poly_lo = _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f));
    const V j = _mm512_fmadd_ps(_mm512_fmadd_ps(poly_hi, u, poly_lo), u,
                                _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
    const V result = _mm512_maskz_scalef_ps(0xFFFF, j, n);
    if (_mm512_kortestz(big, big)) return result;
    const V overflow = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ),
                                            _mm512_set1_ps(INFINITY), _mm512_setzero_ps());
    return _mm512_mask_blend_ps(big, result, overflow);
  }
  static float to_f32(uint16_t h) { return _cvtsh_ss(h); }
  static uint16_t to_f16(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }
  static V load_f16(const uint16_t* p) {
    return _mm512_maskz_cvtph_ps(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static void store_f16(uint16_t* p, V v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_maskz_cvtps_ph(0xFFFF, v, _MM_FROUND_TO_NEAREST_INT));
  }
};

}  // namespace

const VecOps& vec_ops_avx512() { return SimdVecOps<Avx512>::kOps; }

}  // namespace rocmforge::backend::cpu
