// The tile drivers of the float types (F32, F16, BF16) on every level, in
// llama.cpp's AVX-512 order of operations (in an anonymous namespace: each
// ISA file gets its own copy, built with its own flags; see tile_dispatch.h).
//
// Both orders keep 16-lane accumulators and reduce them as
// _mm512_reduce_add_ps does (lanes i + 8, then i + 4, then (0 + 2) + (1 + 3)):
//   TinyTile (llamafile's tinyBLAS, batches): one accumulator per output,
//     a step of kStep elements at a time; needs n % kStep == 0, else llamafile
//     declines and ggml_vec_dot_* runs, as here.
//   VecDotTile (ggml_vec_dot_f32/f16/bf16): 64 elements per step spread over
//     64 / kStep accumulators, combined by E::vec_dot_sum, the last n % 64
//     elements added one by one by E::tail.
//
// E (element policy): Vec (one step's operand), Acc (16 float lanes),
// kStep (16, or 32 for BF16 pairs), kAccRegs and kRegs (vector registers an
// accumulator takes and the level has), zero(), load(row, i), madd(acc, w, a)
// (acc + w * a in the type's lane arithmetic), add(acc, acc), reduce(acc),
// vec_dot_sum(acc[64 / kStep]) -> double, tail(sum, w, a, from, n) -> float.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/tile_prefetch.h"

namespace rocmforge::quant::detail {
namespace {

// Splits a tile whose accumulators would not fit in registers: rows first, then columns.
template <template <class, int, int> class Tile, class E, int R, int C, int kChains>
struct FitTile {
  static constexpr bool kFits = R * C * kChains * E::kAccRegs + R + 2 <= E::kRegs || R * C == 1;

  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if constexpr (kFits) {
      Tile<E, R, C>::tile(n, w, ws, a, as, out, os);
    } else if constexpr (R > 1) {
      Tile<E, R / 2, C>::run(n, w, ws, a, as, out, os);
      Tile<E, R - R / 2, C>::run(n, w + (R / 2) * ws, ws, a, as, out + (R / 2) * os, os);
    } else {
      Tile<E, R, C / 2>::run(n, w, ws, a, as, out, os);
      Tile<E, R, C - C / 2>::run(n, w, ws, a + (C / 2) * as, as, out + C / 2, os);
    }
  }
};

// acc[u][r][c] += w[r][i + u * kStep ...] * a[c][...] for u < kChains.
template <class E, int R, int C, int kChains>
[[gnu::always_inline]] inline void float_step(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t i,
                                              typename E::Acc (&acc)[kChains][R][C]) {
  for (int u = 0; u < kChains; ++u) {
    typename E::Vec wv[R];
    for (int r = 0; r < R; ++r) wv[r] = E::load(w + r * ws, i + u * E::kStep);
    for (int c = 0; c < C; ++c) {
      const typename E::Vec av = E::load(a + c * as, i + u * E::kStep);
      for (int r = 0; r < R; ++r) acc[u][r][c] = E::madd(acc[u][r][c], wv[r], av);
    }
  }
}

template <class E, int R, int C>
struct VecDotTile : FitTile<VecDotTile, E, R, C, 64 / E::kStep> {
  static constexpr int kChains = 64 / E::kStep;

  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    typename E::Acc acc[kChains][R][C];
    for (int u = 0; u < kChains; ++u) {
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) acc[u][r][c] = E::zero();
      }
    }
    const int64_t np = n & ~int64_t{63};
    const NextTile<R, C> next(w, ws, np / 64);
    for (int64_t i = 0; i < np; i += 64) {
      next.fetch(i / 64);
      float_step<E, R, C, kChains>(w, ws, a, as, i, acc);
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        typename E::Acc chains[kChains];
        for (int u = 0; u < kChains; ++u) chains[u] = acc[u][r][c];
        out[r * os + c] = E::tail(E::vec_dot_sum(chains), w + r * ws, a + c * as, np, n);
      }
    }
  }
};

template <class E, int R, int C>
struct TinyTile : FitTile<TinyTile, E, R, C, 1> {
  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if (n % E::kStep != 0) return VecDotTile<E, R, C>::run(n, w, ws, a, as, out, os);
    typename E::Acc acc[1][R][C];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) acc[0][r][c] = E::zero();
    }
    for (int64_t i = 0; i < n; i += E::kStep) float_step<E, R, C, 1>(w, ws, a, as, i, acc);
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) out[r * os + c] = E::reduce(acc[0][r][c]);
    }
  }
};

// The kernel sets of the float types (see tile_dispatch.h).
template <class E>
struct FloatSet {
  template <int R, int C>
  using VecDot = VecDotTile<E, R, C>;
  template <int R, int C>
  using Batched = TinyTile<E, R, C>;
  template <int R, int C>
  using Repacked = VecDotTile<E, R, C>;  // never routed: llama.cpp does not repack float weights
};

// ---- the scalar pieces every level shares -----------------------------------

inline float f32_at(const uint8_t* row, int64_t i) {
  float x;
  __builtin_memcpy(&x, row + 4 * i, sizeof(x));
  return x;
}

inline float bits_to_float(uint32_t bits) {
  float x;
  __builtin_memcpy(&x, &bits, sizeof(x));
  return x;
}

inline float bf16_at(const uint8_t* row, int64_t i) {
  uint16_t h;
  __builtin_memcpy(&h, row + 2 * i, sizeof(h));
  return bits_to_float(static_cast<uint32_t>(h) << 16);
}

// ggml_vec_dot_f32's leftovers as GCC 11 built them: products of whole 16-
// and 8-element chunks are rounded before they are added, the last n % 8 fused.
inline float f32_tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
  float s = static_cast<float>(sum);
  const int64_t left = n - from;
  const int64_t sixteens = left >= 16 ? left & ~int64_t{15} : 0;
  const int64_t unfused = sixteens + (left - sixteens >= 8 ? 8 : 0);
  for (int64_t i = from; i < n; ++i) {
    const float x = f32_at(w, i);
    const float y = f32_at(a, i);
    if (i < from + unfused) {
      const float p = x * y;
      s += p;
    } else {
      s = __builtin_fmaf(x, y, s);
    }
  }
  return s;
}

// ggml_vec_dot_f16/bf16's leftovers: float products summed in double.
template <float (*kAt)(const uint8_t*, int64_t)>
float double_tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
  for (int64_t i = from; i < n; ++i) {
    const float p = kAt(w, i) * kAt(a, i);
    sum += static_cast<double>(p);
  }
  return static_cast<float>(sum);
}

}  // namespace
}  // namespace rocmforge::quant::detail
