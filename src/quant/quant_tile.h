// The tile driver of the 32-element block types on 256-bit vectors, shared by
// the AVX2 and AVX-512 files (in an anonymous namespace: each file gets its own
// copy, built with its own flags; see tile_dispatch.h).
//
// One block per vector. Per group of 8 blocks, the fp16 scales of every row
// and column are converted together and the products dw * da stored, so the
// per-block work is: decode each weight block once, load each activation
// block once, one integer dot per (row, column) pair, then one convert and
// one fma with the broadcast scale. Small tiles spread blocks over several
// accumulators so the fma chains are not latency-bound.
//
// kMaxAcc: the accumulators a tile may keep (larger tiles run as two halves of
// rows). W (weight format): kBytes, kScale, kMin (byte offset of m, or -1),
// kNibbleTrick (lanes 4..7 of the dot are 16x: see dot_avx512.cpp),
// quants(block) -> __m256i, column(aq) -> per-column data computed once per
// activation block, dot(column, wq, aq) -> 8 int32 partial sums.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "quant/blocks.h"

namespace rocmforge::quant::detail {
namespace {

inline constexpr int kGroup = 8;  // blocks whose scales are converted together

inline __m128i load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

inline uint16_t half_bits(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, sizeof(h));
  return h;
}

inline float half_at(const uint8_t* p) { return _cvtsh_ss(half_bits(p)); }

// The fp16 field at byte kOff of each of 8 blocks of kStride bytes, as floats.
// Inserted one by one (vpinsrw: port 5, which the dot products leave idle):
// faster here than a gather, general registers (their ALUs are the dot
// products' ports) or vpermt2w (a 512-bit uop slows every 256-bit one around it
// on current Intel cores).
template <int kStride, int kOff>
[[gnu::always_inline]] inline __m256 halves8(const uint8_t* p) {
  __m128i h = _mm_setzero_si128();
  h = _mm_insert_epi16(h, half_bits(p + kOff), 0);
  h = _mm_insert_epi16(h, half_bits(p + kOff + kStride), 1);
  h = _mm_insert_epi16(h, half_bits(p + kOff + 2 * kStride), 2);
  h = _mm_insert_epi16(h, half_bits(p + kOff + 3 * kStride), 3);
  h = _mm_insert_epi16(h, half_bits(p + kOff + 4 * kStride), 4);
  h = _mm_insert_epi16(h, half_bits(p + kOff + 5 * kStride), 5);
  h = _mm_insert_epi16(h, half_bits(p + kOff + 6 * kStride), 6);
  h = _mm_insert_epi16(h, half_bits(p + kOff + 7 * kStride), 7);
  return _mm256_cvtph_ps(h);
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Activation formats (see quantize_activations).
struct Q8_0A {
  static constexpr int kBytes = sizeof(BlockQ8_0), kScale = 0, kSum = -1, kQuants = 2;
};
struct Q8_1A {
  static constexpr int kBytes = sizeof(BlockQ8_1), kScale = 0, kSum = 2, kQuants = 4;
};

template <int kMaxAcc, class W, class A, int R, int C>
struct QuantTile {
  static constexpr int kChains = R * C == 1 ? 4 : R * C == 2 ? 2 : 1;

  // out[r][c] = sum over blocks of dw * da * dot(qw, qa) (+ mw * sa)
  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if constexpr (R * C > kMaxAcc) {
      QuantTile<kMaxAcc, W, A, R / 2, C>::run(n, w, ws, a, as, out, os);
      QuantTile<kMaxAcc, W, A, R - R / 2, C>::run(n, w + (R / 2) * ws, ws, a, as, out + (R / 2) * os, os);
    } else {
      tile(n, w, ws, a, as, out, os);
    }
  }

  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    const int64_t nb = n / kBlockElems;
    __m256 acc[kChains][R][C];
    for (int u = 0; u < kChains; ++u) {
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) acc[u][r][c] = _mm256_setzero_ps();
      }
    }
    alignas(32) float scale[R][C][kGroup];  // dw * da of each block of the group
    int64_t b = 0;
    for (; b + kGroup <= nb; b += kGroup) {
      group_scales(w + b * W::kBytes, ws, a + b * A::kBytes, as, scale, acc[0]);
      for (int k = 0; k < kGroup; k += kChains) {
        // Unrolled, so each accumulator has a constant index and stays in a register.
#pragma GCC unroll 4
        for (int u = 0; u < kChains; ++u) {
          block(w + (b + k + u) * W::kBytes, ws, a + (b + k + u) * A::kBytes, as, scale, k + u, acc[u]);
        }
      }
    }
    for (; b < nb; ++b) {
      const uint8_t* wb = w + b * W::kBytes;
      const uint8_t* ab = a + b * A::kBytes;
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) {
          scale[r][c][0] = half_at(wb + r * ws + W::kScale) * half_at(ab + c * as + A::kScale);
          if constexpr (W::kMin >= 0) {  // lane 0 is never scaled by the nibble trick
            const float ms = half_at(wb + r * ws + W::kMin) * half_at(ab + c * as + A::kSum);
            acc[0][r][c] = _mm256_add_ps(acc[0][r][c], _mm256_setr_ps(ms, 0, 0, 0, 0, 0, 0, 0));
          }
        }
      }
      block(wb, ws, ab, as, scale, 0, acc[0]);
    }
    const __m256 fix = W::kNibbleTrick ? _mm256_setr_ps(1, 1, 1, 1, 0.0625f, 0.0625f, 0.0625f, 0.0625f)
                                       : _mm256_set1_ps(1.0f);
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        __m256 sum = acc[0][r][c];
        for (int u = 1; u < kChains; ++u) sum = _mm256_add_ps(sum, acc[u][r][c]);
        out[r * os + c] = hsum(_mm256_mul_ps(sum, fix));
      }
    }
  }

  [[gnu::always_inline]] static void group_scales(const uint8_t* w, size_t ws, const uint8_t* a, size_t as,
                                                  float (&scale)[R][C][kGroup], __m256 (&acc)[R][C]) {
    __m256 wd[R];
    for (int r = 0; r < R; ++r) wd[r] = halves8<W::kBytes, W::kScale>(w + r * ws);
    for (int c = 0; c < C; ++c) {
      const __m256 ad = halves8<A::kBytes, A::kScale>(a + c * as);
      for (int r = 0; r < R; ++r) _mm256_store_ps(scale[r][c], _mm256_mul_ps(wd[r], ad));
    }
    if constexpr (W::kMin >= 0) {
      // Lane i holds block i's m * s; the nibble trick's final 1/16 on lanes 4..7 is pre-undone.
      const __m256 undo = W::kNibbleTrick ? _mm256_setr_ps(1, 1, 1, 1, 16, 16, 16, 16) : _mm256_set1_ps(1.0f);
      __m256 wm[R];
      for (int r = 0; r < R; ++r) {
        wm[r] = _mm256_mul_ps(halves8<W::kBytes, W::kMin>(w + r * ws), undo);
      }
      for (int c = 0; c < C; ++c) {
        const __m256 s = halves8<A::kBytes, A::kSum>(a + c * as);
        for (int r = 0; r < R; ++r) acc[r][c] = _mm256_fmadd_ps(wm[r], s, acc[r][c]);
      }
    }
  }

  [[gnu::always_inline]] static void block(const uint8_t* w, size_t ws, const uint8_t* a, size_t as,
                                           const float (&scale)[R][C][kGroup], int k, __m256 (&acc)[R][C]) {
    __m256i wq[R];
    for (int r = 0; r < R; ++r) wq[r] = W::quants(w + r * ws);
    for (int c = 0; c < C; ++c) {
      const __m256i aq = load256(a + c * as + A::kQuants);
      const __m256i column = W::column(aq);
      for (int r = 0; r < R; ++r) {
        const __m256 dot = _mm256_cvtepi32_ps(W::dot(column, wq[r], aq));
        acc[r][c] = _mm256_fmadd_ps(dot, _mm256_broadcast_ss(&scale[r][c][k]), acc[r][c]);
      }
    }
  }
};

}  // namespace
}  // namespace rocmforge::quant::detail
