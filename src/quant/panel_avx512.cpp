// Panel kernels, AVX-512 VNNI (see panel.h for the layouts and the float
// orders; isa_kernels.h for what this file may include).
//
// Q4_0, per block and token: 8 vpdpbusd (the panel's unsigned nibbles times 4
// activation bytes broadcast from memory) starting from the token's bias,
// then one convert, one multiply (dw * da) and one fma for 16 rows. Up to 8
// tokens run side by side: their chains of vpdpbusd are independent, and
// each panel vector loaded serves all of them.
//
// Q8_0, per block, token and pair of rows: one vpdpbusd (the pair's biased
// quants times the token's block in both halves), one multiply, one convert
// and one fma give the 8 lanes of both rows' sums. Tiles of 4 pairs x 4 tokens
// keep their 16 accumulators and the tokens' blocks and biases in registers:
// 2 pairs x 4 tokens ran a quarter slower, loading the tokens' data twice as often.
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "quant/blocks.h"
#include "quant/isa_kernels.h"

namespace rocmforge::quant::detail {
namespace {

constexpr int kRows = 16;                // a panel's rows: the lanes of one vector
constexpr int kSteps = kBlockElems / 4;  // vpdpbusd steps per block
constexpr int kMaxCols = 8;              // 8 sums + 8 accumulators + a step's weights fit the 32 registers
constexpr size_t kActBytes = sizeof(BlockQ8_0);
constexpr size_t kScalesOffset = kSteps * 64;

static_assert(kPanelBlockBytes == kScalesOffset + kRows * sizeof(float));

constexpr int kPairs = kRows / 2;
constexpr int kTilePairs = 4;
constexpr int kTileCols = 4;
constexpr size_t kQ8ScalesOffset = kPairs * 64;
static_assert(kQ8PanelBlockBytes == 2 * kQ8ScalesOffset);

__mmask16 row_mask(int n_rows) { return static_cast<__mmask16>((1u << n_rows) - 1); }

int32_t load32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Conversions and shifts in GCC vector arithmetic: GCC 12's intrinsics for
// them trip -Wmaybe-uninitialized.
__m512 to_float(__m512i v) {
  return reinterpret_cast<__m512>(__builtin_convertvector(reinterpret_cast<__v16si>(v), __v16sf));
}

__m512i high_nibbles(__m512i v, __m512i low) {
  return _mm512_and_si512(reinterpret_cast<__m512i>(reinterpret_cast<__v16su>(v) >> 4), low);
}

// 32 bytes in both halves of a vector: vbroadcasti64x4 from memory, a load
// with no shuffle uop. The zero-masked form: GCC 12's plain one trips -Wmaybe-uninitialized.
__m512i both_halves(const uint8_t* p) {
  return _mm512_maskz_broadcast_i64x4(0xFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

float load_float(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// C tokens against one panel: sums hold each token's nb floats, then nb biases.
template <int C>
void panel_columns(int64_t nb, const uint8_t* panel, __mmask16 rows, const uint8_t* a, size_t as,
                   const uint8_t* sums, size_t ss, float* out, size_t os) {
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* pb = panel + b * kPanelBlockBytes;
    const uint8_t* ab = a + b * kActBytes + offsetof(BlockQ8_0, qs);
    __m512i dot[C];
    for (int c = 0; c < C; ++c) dot[c] = _mm512_set1_epi32(load32(sums + c * ss + (nb + b) * sizeof(int32_t)));
    for (int s = 0; s < kSteps; ++s) {
      const __m512i wq = _mm512_loadu_si512(pb + s * 64);
      for (int c = 0; c < C; ++c) {
        dot[c] = _mm512_dpbusd_epi32(dot[c], wq, _mm512_set1_epi32(load32(ab + c * as + 4 * s)));
      }
    }
    const __m512 dw = _mm512_loadu_ps(pb + kScalesOffset);
    for (int c = 0; c < C; ++c) {
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(load_float(sums + c * ss + b * sizeof(float))));
      acc[c] = _mm512_fmadd_ps(to_float(dot[c]), scale, acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + c * os, rows, acc[c]);
}

using ColumnsFn = void (*)(int64_t, const uint8_t*, __mmask16, const uint8_t*, size_t, const uint8_t*, size_t, float*,
                           size_t);
constexpr ColumnsFn kColumns[kMaxCols] = {&panel_columns<1>, &panel_columns<2>, &panel_columns<3>,
                                          &panel_columns<4>, &panel_columns<5>, &panel_columns<6>,
                                          &panel_columns<7>, &panel_columns<8>};

// hsum_float_8 of each half: lanes i + 4, then (0 + 2) + (1 + 3).
void pair_sums(__m512 acc, float (&pair)[2]) {
  const auto v = reinterpret_cast<__v16sf>(acc);
  const __v4sf low[2] = {__builtin_shufflevector(v, v, 0, 1, 2, 3), __builtin_shufflevector(v, v, 8, 9, 10, 11)};
  const __v4sf high[2] = {__builtin_shufflevector(v, v, 4, 5, 6, 7), __builtin_shufflevector(v, v, 12, 13, 14, 15)};
  for (int h = 0; h < 2; ++h) {
    __m128 s = _mm_add_ps(reinterpret_cast<__m128>(low[h]), reinterpret_cast<__m128>(high[h]));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    pair[h] = _mm_cvtss_f32(s);
  }
}

// P pairs of rows x C tokens of a Q8_0 panel; sums hold each token's nb
// floats, then nb x 8 lane biases.
template <int P, int C>
void q8_tile(int64_t nb, const uint8_t* panel, int n_rows, const uint8_t* a, size_t as, const uint8_t* sums,
             size_t ss, float* out, size_t os) {
  __m512 acc[P][C];
  for (int p = 0; p < P; ++p) {
    for (int c = 0; c < C; ++c) acc[p][c] = _mm512_setzero_ps();
  }
  const uint8_t* biases = sums + nb * sizeof(float);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* pb = panel + b * kQ8PanelBlockBytes;
    __m512i aq[C];
    for (int c = 0; c < C; ++c) {
      aq[c] = both_halves(a + c * as + b * kActBytes + offsetof(BlockQ8_0, qs));
    }
    for (int p = 0; p < P; ++p) {
      const __m512i wq = _mm512_loadu_si512(pb + p * 64);
      const __m512 dw = _mm512_loadu_ps(pb + kQ8ScalesOffset + p * 64);
      for (int c = 0; c < C; ++c) {
        const __m512i dot = _mm512_dpbusd_epi32(both_halves(biases + c * ss + b * 32), wq, aq[c]);
        const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(load_float(sums + c * ss + b * sizeof(float))));
        acc[p][c] = _mm512_fmadd_ps(scale, to_float(dot), acc[p][c]);
      }
    }
  }
  for (int p = 0; p < P && 2 * p < n_rows; ++p) {
    for (int c = 0; c < C; ++c) {
      float pair[2];
      pair_sums(acc[p][c], pair);
      for (int h = 0; h < 2 && 2 * p + h < n_rows; ++h) out[c * os + 2 * p + h] = pair[h];
    }
  }
}

using Q8TileFn = void (*)(int64_t, const uint8_t*, int, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);
constexpr Q8TileFn kQ8Tiles[kTileCols] = {&q8_tile<kTilePairs, 1>, &q8_tile<kTilePairs, 2>, &q8_tile<kTilePairs, 3>,
                                         &q8_tile<kTilePairs, 4>};

}  // namespace

void pack_q8_panel_avx512(int64_t nb, const uint8_t* w, size_t ws, int n_rows, uint8_t* panel) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* pb = panel + b * kQ8PanelBlockBytes;
    for (int r = 0; r < kRows; ++r) {
      const uint8_t* wb = w + r * ws + b * kActBytes;
      const bool valid = r < n_rows;
      // Signed quants biased to unsigned by flipping the sign bit (the sums subtract 128 x the activations').
      const __m256i q = valid ? _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + 2)), flip)
                              : _mm256_setzero_si256();
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(pb + r * 32), q);
      uint16_t d = 0;
      if (valid) std::memcpy(&d, wb, sizeof(d));
      _mm256_storeu_ps(reinterpret_cast<float*>(pb + kQ8ScalesOffset + r * 32), _mm256_set1_ps(_cvtsh_ss(d)));
    }
  }
}

void q8_panel_gemm_avx512(int64_t nb, const uint8_t* panel, int n_rows, const uint8_t* a, size_t as,
                          const uint8_t* sums, size_t ss, int64_t n_cols, float* out, size_t os) {
  constexpr int kTileRows = 2 * kTilePairs;
  for (int64_t c = 0; c < n_cols; c += kTileCols) {
    const int64_t cols = n_cols - c < kTileCols ? n_cols - c : kTileCols;
    for (int r = 0; r < n_rows; r += kTileRows) {
      kQ8Tiles[cols - 1](nb, panel + r * 32, n_rows - r, a + c * as, as, sums + c * ss, ss, out + c * os + r, os);
    }
  }
}

void pack_panel_avx512(int64_t nb, const uint8_t* w, size_t ws, int n_rows, uint8_t* panel) {
  const __mmask16 rows = row_mask(n_rows);
  const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(static_cast<int>(ws)));
  const __m512i low = _mm512_set1_epi8(0x0F);
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* wb = w + b * sizeof(BlockQ4_0);
    uint8_t* pb = panel + b * kPanelBlockBytes;
    // Bytes 4s..4s+3 of each row's qs: elements 4s.. (low nibbles) and 16 + 4s.. (high).
    for (int s = 0; s < kSteps / 2; ++s) {
      const __m512i q = _mm512_mask_i32gather_epi32(zero, rows, offsets, wb + offsetof(BlockQ4_0, qs) + 4 * s, 1);
      _mm512_storeu_si512(pb + s * 64, _mm512_and_si512(q, low));
      _mm512_storeu_si512(pb + (s + kSteps / 2) * 64, high_nibbles(q, low));
    }
    // Each row's d, in the low half of a dword gathered from the block's start.
    const __m512i d = _mm512_mask_i32gather_epi32(zero, rows, offsets, wb, 1);
    _mm512_storeu_ps(pb + kScalesOffset, _mm512_maskz_cvtph_ps(0xFFFF, _mm512_maskz_cvtepi32_epi16(0xFFFF, d)));
  }
}

void panel_gemm_avx512(int64_t nb, const uint8_t* panel, int n_rows, const uint8_t* a, size_t as,
                       const uint8_t* sums, size_t ss, int64_t n_cols, float* out, size_t os) {
  const __mmask16 rows = row_mask(n_rows);
  for (int64_t c = 0; c < n_cols; c += kMaxCols) {
    const int64_t cols = n_cols - c < kMaxCols ? n_cols - c : kMaxCols;
    kColumns[cols - 1](nb, panel, rows, a + c * as, as, sums + c * ss, ss, out + c * os, os);
  }
}

}  // namespace rocmforge::quant::detail
