// Scalar dot tiles: llama.cpp's x86 AVX-512 arithmetic written out lane by
// lane, one output at a time. They are the executable description of each
// order of float operations (see dot.h): every SIMD level must give their
// bits, and the tests check them against a double-precision dot.
//
// Integer sums are exact in any order; what matters is which elements each
// 32-bit lane sums before it is converted to float, and the order of the
// float operations after. In the 32-element block types lane i (of 8) holds
// elements 4i..4i+3 of a block.
#include <cstring>

#include "quant/blocks.h"
#include "quant/float_tile.h"
#include "quant/half.h"
#include "quant/isa_kernels.h"
#include "quant/scalar_lanes.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

using gguf::GgmlType;

// ---- float element policies: 16 lanes as arrays ------------------------------

template <int kWidth>
struct Lanes {
  float v[kWidth];
};
using Lanes16 = Lanes<16>;

Lanes16 add16(Lanes16 x, const Lanes16& y) {
  for (int j = 0; j < 16; ++j) x.v[j] += y.v[j];
  return x;
}

// _mm512_reduce_add_ps: lanes j + 8, then j + 4, then (0 + 2) + (1 + 3).
float reduce16(const Lanes16& x) {
  float t[8];
  for (int j = 0; j < 8; ++j) t[j] = x.v[j] + x.v[j + 8];
  float u[4];
  for (int j = 0; j < 4; ++j) u[j] = t[j] + t[j + 4];
  return (u[0] + u[2]) + (u[1] + u[3]);
}

template <float (*kAt)(const uint8_t*, int64_t)>
struct FmaLanes {
  using Vec = Lanes16;
  using Acc = Lanes16;
  static constexpr int kStep = 16, kAccRegs = 1, kRegs = 1 << 20;
  static Acc zero() { return {}; }
  static Vec load(const uint8_t* row, int64_t i) {
    Vec v;
    for (int j = 0; j < 16; ++j) v.v[j] = kAt(row, i + j);
    return v;
  }
  static Acc madd(Acc acc, const Vec& w, const Vec& a) {
    for (int j = 0; j < 16; ++j) acc.v[j] = __builtin_fmaf(w.v[j], a.v[j], acc.v[j]);
    return acc;
  }
  static Acc add(const Acc& x, const Acc& y) { return add16(x, y); }
  static float reduce(const Acc& x) { return reduce16(x); }
  // ggml_vec_dot_f32/f16: (sum0 + sum2) + (sum1 + sum3), then the reduction.
  static double vec_dot_sum(const Acc (&c)[4]) { return reduce16(add16(add16(c[0], c[2]), add16(c[1], c[3]))); }
};

float f16_at(const uint8_t* row, int64_t i) {
  uint16_t h;
  std::memcpy(&h, row + 2 * i, sizeof(h));
  return fp16_to_fp32(h);
}

struct F32Lanes : FmaLanes<f32_at> {
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return f32_tail(sum, w, a, from, n);
  }
};

struct F16Lanes : FmaLanes<f16_at> {
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return double_tail<f16_at>(sum, w, a, from, n);
  }
};

// vdpbf16ps: lane j adds the product of the odd pair 2j + 1, then of the
// even pair 2j (bf16 products are exact in float). Denormal inputs and
// results, which the instruction flushes, are not modelled.
struct BF16Lanes {
  using Vec = Lanes<32>;
  using Acc = Lanes16;
  static constexpr int kStep = 32, kAccRegs = 1, kRegs = 1 << 20;
  static Acc zero() { return {}; }
  static Vec load(const uint8_t* row, int64_t i) {
    Vec v;
    for (int j = 0; j < 32; ++j) v.v[j] = bf16_at(row, i + j);
    return v;
  }
  static Acc madd(Acc acc, const Vec& w, const Vec& a) {
    for (int j = 0; j < 16; ++j) {
      acc.v[j] += w.v[2 * j + 1] * a.v[2 * j + 1];
      acc.v[j] += w.v[2 * j] * a.v[2 * j];
    }
    return acc;
  }
  static Acc add(const Acc& x, const Acc& y) { return add16(x, y); }
  static float reduce(const Acc& x) { return reduce16(x); }
  // ggml_vec_dot_bf16: the two accumulators reduced, then summed in double.
  static double vec_dot_sum(const Acc (&c)[2]) {
    double sum = 0.0;
    sum += static_cast<double>(reduce16(c[0]));
    sum += static_cast<double>(reduce16(c[1]));
    return sum;
  }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return double_tail<bf16_at>(sum, w, a, from, n);
  }
};

// ---- the 32-element block types ---------------------------------------------

uint16_t u16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return h;
}

// Weight formats: quants(block, q) writes the 32 quants (bias removed, or
// unsigned for the types with a min); d and m are byte offsets of the halves.
struct Q4_0W {
  static constexpr int kBytes = sizeof(BlockQ4_0), kD = 0, kM = -1;
  static void quants(const uint8_t* b, int* q) {
    for (int j = 0; j < 16; ++j) {
      q[j] = (b[2 + j] & 0x0F) - 8;
      q[j + 16] = (b[2 + j] >> 4) - 8;
    }
  }
};

struct Q4_1W {
  static constexpr int kBytes = sizeof(BlockQ4_1), kD = 0, kM = 2;
  static void quants(const uint8_t* b, int* q) {
    for (int j = 0; j < 16; ++j) {
      q[j] = b[4 + j] & 0x0F;
      q[j + 16] = b[4 + j] >> 4;
    }
  }
};

void quants5(const uint8_t* qh_bytes, const uint8_t* qs, int bias, int* q) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, sizeof(qh));
  for (int j = 0; j < 16; ++j) {
    q[j] = ((qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1) << 4)) - bias;
    q[j + 16] = ((qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4)) - bias;
  }
}

struct Q5_0W {
  static constexpr int kBytes = sizeof(BlockQ5_0), kD = 0, kM = -1;
  static void quants(const uint8_t* b, int* q) { quants5(b + 2, b + 6, 16, q); }
};

struct Q5_1W {
  static constexpr int kBytes = sizeof(BlockQ5_1), kD = 0, kM = 2;
  static void quants(const uint8_t* b, int* q) { quants5(b + 4, b + 8, 0, q); }
};

struct Q8_0W {
  static constexpr int kBytes = sizeof(BlockQ8_0), kD = 0, kM = -1;
  static void quants(const uint8_t* b, int* q) {
    for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(b[2 + j]);
  }
};

struct IQ4_NLW {
  static constexpr int kBytes = sizeof(BlockIQ4_NL), kD = 0, kM = -1;
  static void quants(const uint8_t* b, int* q) {
    for (int j = 0; j < 16; ++j) {
      q[j] = kIQ4Values[b[2 + j] & 0x0F];
      q[j + 16] = kIQ4Values[b[2 + j] >> 4];
    }
  }
};

// Activations: Q8_1 (with s) for the types with a min, else Q8_0.
template <class W>
struct Act {
  static constexpr int kBytes = W::kM >= 0 ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
  static constexpr int kQuants = W::kM >= 0 ? 4 : 2;
};

// The integer dot of block b of rows w and a, as 8 lanes of 4 elements.
template <class W>
void block_lanes(const uint8_t* w, const uint8_t* a, int64_t b, int (&lane)[8]) {
  int q[32];
  W::quants(w + b * W::kBytes, q);
  const auto* qa = reinterpret_cast<const int8_t*>(a + b * Act<W>::kBytes + Act<W>::kQuants);
  for (int i = 0; i < 8; ++i) {
    lane[i] = 0;
    for (int t = 0; t < 4; ++t) lane[i] += q[4 * i + t] * qa[4 * i + t];
  }
}

template <class W>
float block_scale(const uint8_t* w, const uint8_t* a, int64_t b) {
  return fp16_to_fp32(u16_at(w + b * W::kBytes + W::kD)) * fp16_to_fp32(u16_at(a + b * Act<W>::kBytes));
}

// ggml_vec_dot_q*_q8_* and tinyBLAS_Q0_AVX: acc[i] = fma(dw * da, lane i, acc[i])
// block by block, then hsum8; the Q*_1 types add summs = fma(m, s, summs).
template <class W>
float lanes8_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  Lanes8 acc{};
  float summs = 0.0f;
  for (int64_t b = 0; b < n / kBlockElems; ++b) {
    int lane[8];
    block_lanes<W>(w, a, b, lane);
    const float d = block_scale<W>(w, a, b);
    for (int i = 0; i < 8; ++i) acc.v[i] = __builtin_fmaf(d, static_cast<float>(lane[i]), acc.v[i]);
    if constexpr (W::kM >= 0) {
      const float m = fp16_to_fp32(u16_at(w + b * W::kBytes + W::kM));
      summs = __builtin_fmaf(m, fp16_to_fp32(u16_at(a + b * Act<W>::kBytes + 2)), summs);
    }
  }
  return hsum8(acc.v) + summs;
}

// ggml_vec_dot_iq4_nl_q8_0: blocks in pairs, even ones in one accumulator and
// odd ones in another, summed before hsum8; a last unpaired block is added as
// fma(its integer dot, dw * da, sum).
float iq4_nl_pairs_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  const int64_t nb = n / kBlockElems;
  Lanes8 acc[2] = {};
  for (int64_t b = 0; b + 1 < nb; b += 2) {
    for (int u = 0; u < 2; ++u) {
      int lane[8];
      block_lanes<IQ4_NLW>(w, a, b + u, lane);
      const float d = block_scale<IQ4_NLW>(w, a, b + u);
      for (int i = 0; i < 8; ++i) acc[u].v[i] = __builtin_fmaf(d, static_cast<float>(lane[i]), acc[u].v[i]);
    }
  }
  for (int i = 0; i < 8; ++i) acc[0].v[i] += acc[1].v[i];
  float sum = hsum8(acc[0].v);
  if (nb % 2 == 1) {
    int lane[8];
    block_lanes<IQ4_NLW>(w, a, nb - 1, lane);
    int total = 0;
    for (int l : lane) total += l;
    sum = __builtin_fmaf(static_cast<float>(total), block_scale<IQ4_NLW>(w, a, nb - 1), sum);
  }
  return sum;
}

// The repacked gemv/gemm of Q4_0 and IQ4_NL: one scalar chain per output,
// acc = fma(whole-block integer dot, dw * da, acc).
template <class W>
float serial_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  float acc = 0.0f;
  for (int64_t b = 0; b < n / kBlockElems; ++b) {
    int lane[8];
    block_lanes<W>(w, a, b, lane);
    int total = 0;
    for (int l : lane) total += l;
    acc = __builtin_fmaf(static_cast<float>(total), block_scale<W>(w, a, b), acc);
  }
  return acc;
}

// Kernel sets (see tile_dispatch.h); only Q4_0 and IQ4_NL weights are repacked.
template <class W>
struct LegacySet {
  template <int R, int C>
  using VecDot = PairwiseTile<lanes8_dot<W>, R, C>;
  template <int R, int C>
  using Batched = VecDot<R, C>;
  template <int R, int C>
  using Repacked = VecDot<R, C>;
};

struct Q4_0Set : LegacySet<Q4_0W> {
  template <int R, int C>
  using Repacked = PairwiseTile<serial_dot<Q4_0W>, R, C>;
};

struct IQ4_NLSet : LegacySet<IQ4_NLW> {
  template <int R, int C>
  using VecDot = PairwiseTile<iq4_nl_pairs_dot, R, C>;
  template <int R, int C>
  using Repacked = PairwiseTile<serial_dot<IQ4_NLW>, R, C>;
};

struct Sets {
  using F32 = FloatSet<F32Lanes>;
  using F16 = FloatSet<F16Lanes>;
  using BF16 = FloatSet<BF16Lanes>;
  using Q4_0 = Q4_0Set;
  using Q4_1 = LegacySet<Q4_1W>;
  using Q5_0 = LegacySet<Q5_0W>;
  using Q5_1 = LegacySet<Q5_1W>;
  using Q8_0 = LegacySet<Q8_0W>;
  using IQ4_NL = IQ4_NLSet;
};

}  // namespace

DotTileFn scalar_dot_tile(GgmlType weight_type, Routes routes) {
  return tile_for_block_type<Sets>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
