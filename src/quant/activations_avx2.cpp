// AVX2 + F16C activation conversions, bit for bit what llama.cpp's x86 CPU
// backend produces (quantize_row_q8_0 / quantize_row_q8_1 in
// ggml-cpu/arch/x86/quants.c, ggml_cpu_fp32_to_fp16, GGML_FP32_TO_BF16).
// Built with -mavx2 -mfma -mf16c; see isa_kernels.h for what it may include.
#include <immintrin.h>

#include <cstring>

#include "quant/blocks.h"
#include "quant/isa_kernels.h"

namespace rocmforge::quant::detail {
namespace {

// One block: the four vectors of 8 quants as int32, and d.
struct QuantizedBlock {
  __m256i q[4];
  float d;
};

QuantizedBlock quantize_block(const float* x) {
  __m256 v[4];
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 amax = _mm256_setzero_ps();
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
  }
  __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(amax, 1), _mm256_castps256_ps128(amax));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const float max_scalar = _mm_cvtss_f32(m4);

  QuantizedBlock out;
  out.d = max_scalar / 127.0f;
  const __m256 mul = _mm256_set1_ps(max_scalar != 0.0f ? 127.0f / max_scalar : 0.0f);
  for (int k = 0; k < 4; ++k) {
    // Round half to even, as ggml's _mm256_round_ps(_MM_ROUND_NEAREST).
    out.q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], mul), _MM_FROUND_TO_NEAREST_INT));
  }
  return out;
}

void store_quants(const QuantizedBlock& b, int8_t* qs) {
  const __m256i q01 = _mm256_packs_epi32(b.q[0], b.q[1]);
  const __m256i q23 = _mm256_packs_epi32(b.q[2], b.q[3]);
  // The packs work within 128-bit lanes; this puts the 32 bytes back in order.
  const __m256i q = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), q);
}

int sum_quants(const QuantizedBlock& b) {
  const __m256i s = _mm256_add_epi32(_mm256_add_epi32(b.q[0], b.q[1]), _mm256_add_epi32(b.q[2], b.q[3]));
  __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  s4 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s4);
}

uint16_t to_half(float x) { return static_cast<uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT)); }

__m128i f32x8_to_bf16(__m256 x) {
  const __m256i u = _mm256_castps_si256(x);
  const __m256i is_nan =
      _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
  const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFF))), 16);
  const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));
  const __m256i h = _mm256_blendv_epi8(rounded, quiet, is_nan);
  return _mm_packus_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// Runs `convert8` (8 floats -> 8 halves) over a row, the tail through a padded copy.
template <class Convert8>
void convert_row(const float* src, uint16_t* dst, int64_t n, Convert8 convert8) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), convert8(_mm256_loadu_ps(src + i)));
  }
  if (i == n) return;
  float in[8] = {};
  uint16_t out[8];
  std::memcpy(in, src + i, static_cast<size_t>(n - i) * sizeof(float));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), convert8(_mm256_loadu_ps(in)));
  std::memcpy(dst + i, out, static_cast<size_t>(n - i) * sizeof(uint16_t));
}

}  // namespace

void quantize_q8_0_avx2(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(out);
  for (int64_t i = 0; i < n / kBlockElems; ++i, x += kBlockElems) {
    const QuantizedBlock b = quantize_block(x);
    blocks[i].d = to_half(b.d);
    store_quants(b, blocks[i].qs);
  }
}

void quantize_q8_1_avx2(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(out);
  for (int64_t i = 0; i < n / kBlockElems; ++i, x += kBlockElems) {
    const QuantizedBlock b = quantize_block(x);
    blocks[i].d = to_half(b.d);
    blocks[i].s = to_half(b.d * static_cast<float>(sum_quants(b)));
    store_quants(b, blocks[i].qs);
  }
}

void convert_f32_to_f16_avx2(const float* src, uint16_t* dst, int64_t n) {
  convert_row(src, dst, n, [](__m256 x) { return _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT); });
}

void convert_f32_to_bf16_avx2(const float* src, uint16_t* dst, int64_t n) { convert_row(src, dst, n, f32x8_to_bf16); }

void convert_f16_to_f32_avx2(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = _cvtsh_ss(src[i]);
}

}  // namespace rocmforge::quant::detail
