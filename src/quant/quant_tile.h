// The tile drivers of the 32-element block types on 256-bit vectors, shared
// by the AVX2 and AVX-512 files (in an anonymous namespace: each file gets its
// own copy, built with its own flags; see tile_dispatch.h). Their float
// operations are those of dot_scalar.cpp, which documents each order.
//
// Lanes8Tile (ggml_vec_dot_q*_q8_*, tinyBLAS_Q0_AVX): one block per vector;
// the 8 int32 lanes of a block's dot (4 elements each) are converted and
// fma'd with the block's dw * da into 8 float lanes per output, reduced by
// hsum8 at the end; the Q*_1 types keep summs = fma(m, s, summs) apart, rows
// in the lanes of one 128-bit vector per column. kPairs: IQ4_NL's vec_dot,
// even and odd blocks in two accumulators. Per group of 8 blocks the fp16
// scales of every row and column are converted together.
//
// SerialTile (the repacked gemv/gemm): each output is one float chain,
// acc = fma(whole-block integer dot, dw * da, acc); a block's dots for the
// rows of a column are reduced into the lanes of one 128-bit vector.
//
// W (weight format): kBytes, kScale, kMin (byte offset of m, or -1),
// kNibbleTrick (lanes 4..7 of the dot are 16x: see dot_avx512.cpp),
// quants(block) -> __m256i, column(aq) -> per-column data computed once per
// activation block, dot(column, wq, aq) -> 8 int32 lane sums.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "quant/blocks.h"
#include "quant/tile_prefetch.h"

namespace rocmforge::quant::detail {
namespace {

inline constexpr int kGroup = 8;  // blocks whose scales are converted together

inline __m128i load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The 32 nibbles of 16 bytes in element order: low nibbles (elements 0..15),
// then high ones. A broadcast load and a per-lane shift: no cross-lane insert.
inline __m256i nibbles(const uint8_t* qs) {
  const __m256i v = _mm256_broadcastsi128_si256(load128(qs));
  return _mm256_and_si256(_mm256_srlv_epi32(v, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)), _mm256_set1_epi8(0x0F));
}

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

// hsum_float_8: lanes i + 4, then (0 + 2) + (1 + 3).
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The lane sums of v[0..3] as the 4 lanes of one vector.
[[gnu::always_inline]] inline __m128i reduce4(const __m256i (&v)[4]) {
  const __m256i a = _mm256_add_epi32(_mm256_unpacklo_epi32(v[0], v[1]), _mm256_unpackhi_epi32(v[0], v[1]));
  const __m256i b = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2], v[3]), _mm256_unpackhi_epi32(v[2], v[3]));
  const __m256i c = _mm256_add_epi32(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
  return _mm_add_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
}

// Rows x blocks to blocks x rows: t[k] lane r = rows[r] lane k.
[[gnu::always_inline]] inline void transpose4x8(const __m256 (&rows)[4], __m128 (&t)[kGroup]) {
  for (int half = 0; half < 2; ++half) {
    __m128 r0 = half ? _mm256_extractf128_ps(rows[0], 1) : _mm256_castps256_ps128(rows[0]);
    __m128 r1 = half ? _mm256_extractf128_ps(rows[1], 1) : _mm256_castps256_ps128(rows[1]);
    __m128 r2 = half ? _mm256_extractf128_ps(rows[2], 1) : _mm256_castps256_ps128(rows[2]);
    __m128 r3 = half ? _mm256_extractf128_ps(rows[3], 1) : _mm256_castps256_ps128(rows[3]);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    t[4 * half] = r0;
    t[4 * half + 1] = r1;
    t[4 * half + 2] = r2;
    t[4 * half + 3] = r3;
  }
}

// The halves at byte kOff of 8 blocks of R rows, blocks x rows (rows past R are 0).
template <int kStride, int kOff, int R>
[[gnu::always_inline]] inline void row_halves(const uint8_t* w, size_t ws, __m128 (&t)[kGroup]) {
  __m256 rows[4];
  for (int r = 0; r < 4; ++r) rows[r] = r < R ? halves8<kStride, kOff>(w + r * ws) : _mm256_setzero_ps();
  transpose4x8(rows, t);
}

// The half at byte kOff of one block of R rows, rows in lanes.
template <int kOff, int R>
[[gnu::always_inline]] inline __m128 row_half(const uint8_t* w, size_t ws) {
  alignas(16) float v[4] = {};
  for (int r = 0; r < R; ++r) v[r] = half_at(w + r * ws + kOff);
  return _mm_load_ps(v);
}

// Activation formats (see quantize_activations).
struct Q8_0A {
  static constexpr int kBytes = sizeof(BlockQ8_0), kScale = 0, kSum = -1, kQuants = 2;
};
struct Q8_1A {
  static constexpr int kBytes = sizeof(BlockQ8_1), kScale = 0, kSum = 2, kQuants = 4;
};

template <int kMaxAcc, class W, class A, int R, int C, bool kPairs = false>
struct Lanes8Tile {
  static constexpr int kChains = kPairs ? 2 : 1;
  static constexpr bool kMin = W::kMin >= 0;

  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if constexpr (R * C * kChains > kMaxAcc && R > 1) {
      Lanes8Tile<kMaxAcc, W, A, R / 2, C, kPairs>::run(n, w, ws, a, as, out, os);
      Lanes8Tile<kMaxAcc, W, A, R - R / 2, C, kPairs>::run(n, w + (R / 2) * ws, ws, a, as, out + (R / 2) * os, os);
    } else if constexpr (R * C * kChains > kMaxAcc) {
      Lanes8Tile<kMaxAcc, W, A, R, C / 2, kPairs>::run(n, w, ws, a, as, out, os);
      Lanes8Tile<kMaxAcc, W, A, R, C - C / 2, kPairs>::run(n, w, ws, a + (C / 2) * as, as, out + C / 2, os);
    } else {
      tile(n, w, ws, a, as, out, os);
    }
  }

  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    const int64_t nb = n / kBlockElems;
    const int64_t vector_blocks = kPairs ? nb & ~int64_t{1} : nb;  // an unpaired last block is added apart
    __m256 acc[kChains][R][C];
    __m128 summs[C];  // rows in lanes
    for (int c = 0; c < C; ++c) {
      summs[c] = _mm_setzero_ps();
      for (int u = 0; u < kChains; ++u) {
        for (int r = 0; r < R; ++r) acc[u][r][c] = _mm256_setzero_ps();
      }
    }
    alignas(32) float scale[R][C][kGroup];  // dw * da of each block of the group
    const NextTile<R, C> next(w, ws, vector_blocks / kGroup);
    int64_t b = 0;
    for (; b + kGroup <= vector_blocks; b += kGroup) {
      next.fetch(b / kGroup);
      group_scales(w + b * W::kBytes, ws, a + b * A::kBytes, as, scale, summs);
      for (int k = 0; k < kGroup; k += kChains) {
        // Unrolled, so each accumulator has a constant index and stays in a register.
#pragma GCC unroll 2
        for (int u = 0; u < kChains; ++u) {
          block(w + (b + k + u) * W::kBytes, ws, a + (b + k + u) * A::kBytes, as, scale, k + u, acc[u]);
        }
      }
    }
    for (; b < vector_blocks; ++b) {
      const uint8_t* wb = w + b * W::kBytes;
      const uint8_t* ab = a + b * A::kBytes;
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) scale[r][c][0] = half_at(wb + r * ws + W::kScale) * half_at(ab + c * as + A::kScale);
      }
      if constexpr (kMin) {
        const __m128 m = row_half<W::kMin, R>(wb, ws);
        for (int c = 0; c < C; ++c) summs[c] = _mm_fmadd_ps(m, _mm_set1_ps(half_at(ab + c * as + A::kSum)), summs[c]);
      }
      if (kChains == 1 || b % 2 == 0) {
        block(wb, ws, ab, as, scale, 0, acc[0]);
      } else {
        block(wb, ws, ab, as, scale, 0, acc[kChains - 1]);
      }
    }
    finish(n, w, ws, a, as, acc, summs, out, os);
  }

  static void finish(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as,
                     const __m256 (&acc)[kChains][R][C], const __m128 (&summs)[C], float* out, size_t os) {
    const __m256 fix = W::kNibbleTrick ? _mm256_setr_ps(1, 1, 1, 1, 0.0625f, 0.0625f, 0.0625f, 0.0625f)
                                       : _mm256_set1_ps(1.0f);
    for (int c = 0; c < C; ++c) {
      alignas(16) float ms[4];
      _mm_store_ps(ms, summs[c]);
      for (int r = 0; r < R; ++r) {
        __m256 sum = acc[0][r][c];
        if constexpr (kPairs) sum = _mm256_add_ps(sum, acc[1][r][c]);
        float s = hsum(_mm256_mul_ps(sum, fix));
        if constexpr (kMin) s += ms[r];
        if (kPairs && (n / kBlockElems) % 2 == 1) s = odd_block(n, w + r * ws, a + c * as, s);
        out[r * os + c] = s;
      }
    }
  }

  // fma(the last block's whole integer dot, dw * da, s).
  static float odd_block(int64_t n, const uint8_t* w, const uint8_t* a, float s) {
    const int64_t b = n / kBlockElems - 1;
    const uint8_t* wb = w + b * W::kBytes;
    const uint8_t* ab = a + b * A::kBytes;
    const __m256i aq = load256(ab + A::kQuants);
    const __m128i dot = reduce4({W::dot(W::column(aq), W::quants(wb), aq), _mm256_setzero_si256(),
                                 _mm256_setzero_si256(), _mm256_setzero_si256()});
    const float d = half_at(ab + A::kScale) * half_at(wb + W::kScale);
    return __builtin_fmaf(static_cast<float>(_mm_cvtsi128_si32(dot)), d, s);
  }

  [[gnu::always_inline]] static void group_scales(const uint8_t* w, size_t ws, const uint8_t* a, size_t as,
                                                  float (&scale)[R][C][kGroup], __m128 (&summs)[C]) {
    __m256 wd[R];
    for (int r = 0; r < R; ++r) wd[r] = halves8<W::kBytes, W::kScale>(w + r * ws);
    for (int c = 0; c < C; ++c) {
      const __m256 ad = halves8<A::kBytes, A::kScale>(a + c * as);
      for (int r = 0; r < R; ++r) _mm256_store_ps(scale[r][c], _mm256_mul_ps(wd[r], ad));
    }
    if constexpr (kMin) {
      __m128 m[kGroup];  // block k's m of every row
      row_halves<W::kBytes, W::kMin, R>(w, ws, m);
      for (int c = 0; c < C; ++c) {
        alignas(32) float s[kGroup];
        _mm256_store_ps(s, halves8<A::kBytes, A::kSum>(a + c * as));
        for (int k = 0; k < kGroup; ++k) summs[c] = _mm_fmadd_ps(m[k], _mm_broadcast_ss(&s[k]), summs[c]);
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
        acc[r][c] = _mm256_fmadd_ps(_mm256_broadcast_ss(&scale[r][c][k]), dot, acc[r][c]);
      }
    }
  }
};

template <class W, class A, int R, int C>
struct SerialTile {
  static_assert(!W::kNibbleTrick && W::kMin < 0, "whole-block dots need plain quants");

  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    const int64_t nb = n / kBlockElems;
    __m128 acc[C];  // rows in lanes
    for (int c = 0; c < C; ++c) acc[c] = _mm_setzero_ps();
    const NextTile<R, C> next(w, ws, nb);
    for (int64_t b = 0; b < nb; ++b) {
      next.fetch(b);
      // The rows' d, inserted one by one: cheaper here than converting 8 blocks and transposing.
      __m128i dw = _mm_setzero_si128();
      for (int r = 0; r < R; ++r) dw = _mm_insert_epi16(dw, half_bits(w + r * ws + b * W::kBytes + W::kScale), r);
      block(w + b * W::kBytes, ws, a + b * A::kBytes, as, _mm_cvtph_ps(dw), acc);
    }
    for (int c = 0; c < C; ++c) {
      alignas(16) float v[4];
      _mm_store_ps(v, acc[c]);
      for (int r = 0; r < R; ++r) out[r * os + c] = v[r];
    }
  }

  [[gnu::always_inline]] static void block(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, __m128 dw,
                                           __m128 (&acc)[C]) {
    __m256i wq[R];
    for (int r = 0; r < R; ++r) wq[r] = W::quants(w + r * ws);
    for (int c = 0; c < C; ++c) {
      const __m256i aq = load256(a + c * as + A::kQuants);
      const __m256i column = W::column(aq);
      __m256i dots[4];
      for (int r = 0; r < 4; ++r) dots[r] = r < R ? W::dot(column, wq[r], aq) : _mm256_setzero_si256();
      const __m128 isum = _mm_cvtepi32_ps(reduce4(dots));
      acc[c] = _mm_fmadd_ps(isum, _mm_mul_ps(dw, _mm_set1_ps(half_at(a + c * as + A::kScale))), acc[c]);
    }
  }
};

}  // namespace
}  // namespace rocmforge::quant::detail
