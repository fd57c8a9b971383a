// The tile driver of the float types (F32, F16, BF16), shared by the SIMD
// files (in an anonymous namespace: each file gets its own copy, built with its
// own flags; see tile_dispatch.h). Rows of any length: the last partial vector
// is loaded zero-padded, so it adds nothing.
//
// E (element policy): Vec (what a load gives), Acc (an accumulator), kWidth
// (elements per load), kMaxAcc (accumulators a tile may keep; larger tiles run
// as two halves of rows), zero(), load(row, i), load_partial(row, i, count),
// fma(acc, w, a) -> acc + w * a lane-wise, add(acc, acc), sum(acc) -> float.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rocmforge::quant::detail {
namespace {

template <class E, int R, int C>
struct FloatTile {
  using Acc = typename E::Acc;
  using Vec = typename E::Vec;
  // Small tiles are latency-bound on one accumulator each: give them two.
  static constexpr int kChains = R * C <= 2 ? 2 : 1;

  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if constexpr (R * C > E::kMaxAcc) {
      FloatTile<E, R / 2, C>::run(n, w, ws, a, as, out, os);
      FloatTile<E, R - R / 2, C>::run(n, w + (R / 2) * ws, ws, a, as, out + (R / 2) * os, os);
    } else {
      tile(n, w, ws, a, as, out, os);
    }
  }

  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    Acc acc[kChains][R][C];
    for (int u = 0; u < kChains; ++u) {
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) acc[u][r][c] = E::zero();
      }
    }
    int64_t i = 0;
    for (; i + E::kWidth * kChains <= n; i += E::kWidth * kChains) {
      for (int u = 0; u < kChains; ++u) {
        const int64_t at = i + E::kWidth * u;
        step(w, ws, a, as, acc[u], [at](const uint8_t* row) { return E::load(row, at); });
      }
    }
    for (; i < n; i += E::kWidth) {
      const int64_t count = n - i < E::kWidth ? n - i : E::kWidth;
      step(w, ws, a, as, acc[0], [i, count](const uint8_t* row) { return E::load_partial(row, i, count); });
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        Acc s = acc[0][r][c];
        for (int u = 1; u < kChains; ++u) s = E::add(s, acc[u][r][c]);
        out[r * os + c] = E::sum(s);
      }
    }
  }

  template <class Load>
  [[gnu::always_inline]] static void step(const uint8_t* w, size_t ws, const uint8_t* a, size_t as,
                                          Acc (&acc)[R][C], Load load) {
    Vec wv[R];
    for (int r = 0; r < R; ++r) wv[r] = load(w + r * ws);
    for (int c = 0; c < C; ++c) {
      const Vec av = load(a + c * as);
      for (int r = 0; r < R; ++r) acc[r][c] = E::fma(acc[r][c], wv[r], av);
    }
  }
};

}  // namespace
}  // namespace rocmforge::quant::detail
