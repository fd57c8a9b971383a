// Q4_0 panel kernels, AVX-512 VNNI (see panel.h for the layout and the float
// order; isa_kernels.h for what this file may include).
//
// Per block and token: 8 vpdpbusd (the panel's unsigned nibbles times 4
// activation bytes broadcast from memory) starting from the token's bias,
// then one convert, one multiply (dw * da) and one fma for 16 rows. Up to 8
// tokens run side by side: their chains of vpdpbusd are independent, and
// each panel vector loaded serves all of them.
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

__mmask16 row_mask(int n_rows) { return static_cast<__mmask16>((1u << n_rows) - 1); }

int32_t load32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// In GCC vector arithmetic, as below: GCC 12's intrinsics for these trip -Wmaybe-uninitialized.
__m512 to_float(__m512i v) { return reinterpret_cast<__m512>(__builtin_convertvector(reinterpret_cast<__v16si>(v), __v16sf)); }

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
      for (int c = 0; c < C; ++c) dot[c] = _mm512_dpbusd_epi32(dot[c], wq, _mm512_set1_epi32(load32(ab + c * as + 4 * s)));
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

}  // namespace

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
      _mm512_storeu_si512(pb + (s + kSteps / 2) * 64, _mm512_and_si512(reinterpret_cast<__m512i>(reinterpret_cast<__v16su>(q) >> 4), low));
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
