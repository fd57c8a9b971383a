// Scalar dot tiles of the 256-element types (K-quants, IQ4_XS against Q8_K
// activations): llama.cpp's x86 AVX-512 arithmetic written out lane by lane,
// the description every SIMD level must reproduce (see dot_scalar.cpp).
//
// Every x86 kernel builds the same integer lanes: lane i (of 8) of chunk c
// (32 elements) is the dot of elements 32c + 4i .. 32c + 4i + 3, times the
// scale of their 16-element sub-block 2c + i / 4 (32-element scales count
// twice). What differs is what happens in float:
//   ggml_vec_dot_*_q8_K: the 8 lanes summed over a super-block, then
//     acc[i] = fma(dw * da, lane i, acc[i]) and hsum8 at the end, each type
//     adding its mins its own way (Min, route.h); Q6_K takes 32 * (bsums . scales)
//     of lane i's two sub-blocks off lane i.
//   the repacked gemv/gemm (Q2_K, Q4_K) and the IQ panel (IQ4_XS): one chain
//     per output, acc = fma(whole integer dot of a group, dw * da, acc) and
//     accm = fma(its integer min term, dmin * da, accm); out = acc - accm.
//     Groups: a super-block (gemv, panel), 64 (Q4_K gemm) or 128 (Q2_K gemm)
//     elements; gemm serves full groups of 4 tokens, so 4-column tiles.
#include <cstring>

#include "quant/blocks.h"
#include "quant/blocks_k.h"
#include "quant/half.h"
#include "quant/isa_kernels.h"
#include "quant/scalar_lanes.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

using gguf::GgmlType;

// One super-block of weights: quants (unsigned for the types with mins and
// for Q6_K, whose -32 goes through the activation sums), scales and mins of
// the 16-element sub-blocks, d and dmin.
struct Decoded {
  int q[kSuperElems];
  int scale[16];
  int min[16];
  float d;
  float dmin;
};

// Quants of a 2-bit layout (Q2_K, Q3_K): bits 2s of qs[32h + l] for element 128h + 32s + l.
void two_bit_quants(const uint8_t* qs, int* q) {
  for (int e = 0; e < kSuperElems; ++e) q[e] = (qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
}

// F (format): Block, kMin, kOffsetInSums (Q6_K), decode(block, decoded).
struct Q2_KF {
  using Block = BlockQ2_K;
  static constexpr Min kMin = Min::kInLanes;
  static constexpr bool kOffsetInSums = false;
  static void decode(const Block& b, Decoded& out) {
    two_bit_quants(b.qs, out.q);
    for (int s = 0; s < 16; ++s) {
      out.scale[s] = b.scales[s] & 0xF;
      out.min[s] = b.scales[s] >> 4;
    }
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
  }
};

struct Q3_KF {
  using Block = BlockQ3_K;
  static constexpr Min kMin = Min::kNone;
  static constexpr bool kOffsetInSums = false;
  static void decode(const Block& b, Decoded& out) {
    two_bit_quants(b.qs, out.q);
    for (int e = 0; e < kSuperElems; ++e) out.q[e] -= (b.hmask[e % 32] >> (e / 32)) & 1 ? 0 : 4;
    int8_t scales[16];
    scales_q3_k(b.scales, scales);
    for (int s = 0; s < 16; ++s) out.scale[s] = scales[s];
    out.d = fp16_to_fp32(b.d);
  }
};

// Q4_K/Q5_K: 8 sub-blocks of 32, their 6-bit scales and mins each twice.
void k4_scales(const uint8_t* packed, Decoded& out) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc;
    uint8_t m;
    scale_min_k4(j, packed, sc, m);
    out.scale[2 * j] = out.scale[2 * j + 1] = sc;
    out.min[2 * j] = out.min[2 * j + 1] = m;
  }
}

struct Q4_KF {
  using Block = BlockQ4_K;
  static constexpr Min kMin = Min::kFour;
  static constexpr bool kOffsetInSums = false;
  static void decode(const Block& b, Decoded& out) {
    for (int e = 0; e < kSuperElems; ++e) out.q[e] = (b.qs[32 * (e / 64) + e % 32] >> (4 * ((e / 32) % 2))) & 0xF;
    k4_scales(b.scales, out);
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
  }
};

struct Q5_KF {
  using Block = BlockQ5_K;
  static constexpr Min kMin = Min::kScalar;
  static constexpr bool kOffsetInSums = false;
  static void decode(const Block& b, Decoded& out) {
    for (int e = 0; e < kSuperElems; ++e) {
      const int low = (b.qs[32 * (e / 64) + e % 32] >> (4 * ((e / 32) % 2))) & 0xF;
      out.q[e] = low | (((b.qh[e % 32] >> (e / 32)) & 1) << 4);
    }
    k4_scales(b.scales, out);
    out.d = fp16_to_fp32(b.d);
    out.dmin = fp16_to_fp32(b.dmin);
  }
};

struct Q6_KF {
  using Block = BlockQ6_K;
  static constexpr Min kMin = Min::kNone;
  static constexpr bool kOffsetInSums = true;
  static void decode(const Block& b, Decoded& out) {
    for (int e = 0; e < kSuperElems; ++e) {
      const int h = e / 128;
      const int s = (e / 32) % 4;
      const int l = e % 32;
      const int low = (b.ql[64 * h + 32 * (s & 1) + l] >> (4 * (s / 2))) & 0xF;
      out.q[e] = low | (((b.qh[32 * h + l] >> (2 * s)) & 3) << 4);
    }
    for (int s = 0; s < 16; ++s) out.scale[s] = b.scales[s];
    out.d = fp16_to_fp32(b.d);
  }
};

struct IQ4_XSF {
  using Block = BlockIQ4_XS;
  static constexpr Min kMin = Min::kNone;
  static constexpr bool kOffsetInSums = false;
  static void decode(const Block& b, Decoded& out) {
    for (int e = 0; e < kSuperElems; ++e) {
      const int j = e % 32;
      out.q[e] = kIQ4Values[(b.qs[16 * (e / 32) + j % 16] >> (j < 16 ? 0 : 4)) & 0xF];
    }
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((b.scales_h >> (2 * ib)) & 3) << 4);
      out.scale[2 * ib] = out.scale[2 * ib + 1] = ls - 32;
    }
    out.d = fp16_to_fp32(b.d);
  }
};

template <class F>
void decode_at(const uint8_t* w, int64_t b, Decoded& out) {
  typename F::Block block;
  std::memcpy(&block, w + b * sizeof(block), sizeof(block));
  F::decode(block, out);
}

BlockQ8_K act_at(const uint8_t* a, int64_t b) {
  BlockQ8_K block;
  std::memcpy(&block, a + b * sizeof(block), sizeof(block));
  return block;
}

// The scaled integer dot of elements [from, to) (whole 4-element groups).
int scaled_dot(const Decoded& w, const BlockQ8_K& a, int from, int to) {
  int sum = 0;
  for (int e = from; e < to; ++e) sum += w.scale[e / 16] * w.q[e] * a.qs[e];
  return sum;
}

template <class F>
float vec_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  Lanes8 acc{};  // float lanes
  float accm[4] = {};
  float summs = 0;
  Decoded dw;
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    decode_at<F>(w, b, dw);
    const BlockQ8_K da = act_at(a, b);
    int lane[8] = {};
    for (int c = 0; c < 8; ++c) {
      for (int i = 0; i < 8; ++i) lane[i] += scaled_dot(dw, da, 32 * c + 4 * i, 32 * c + 4 * i + 4);
    }
    if constexpr (F::kOffsetInSums) {
      for (int i = 0; i < 8; ++i) {
        lane[i] -= 32 * (da.bsums[2 * i] * dw.scale[2 * i] + da.bsums[2 * i + 1] * dw.scale[2 * i + 1]);
      }
    }
    const float dmin = F::kMin == Min::kNone ? 0.0f : -da.d * dw.dmin;
    int sums32[8];  // activation sums of the 32-element sub-blocks
    for (int j = 0; j < 8; ++j) sums32[j] = da.bsums[2 * j] + da.bsums[2 * j + 1];
    if constexpr (F::kMin == Min::kInLanes) {
      for (int i = 0; i < 8; ++i) {
        const int prod = dw.min[2 * i] * da.bsums[2 * i] + dw.min[2 * i + 1] * da.bsums[2 * i + 1];
        acc.v[i] = __builtin_fmaf(dmin, static_cast<float>(prod), acc.v[i]);
      }
    } else if constexpr (F::kMin == Min::kFour) {
      for (int l = 0; l < 4; ++l) {
        const int prod = dw.min[4 * l] * sums32[2 * l] + dw.min[4 * l + 2] * sums32[2 * l + 1];
        accm[l] = __builtin_fmaf(dmin, static_cast<float>(prod), accm[l]);
      }
    } else if constexpr (F::kMin == Min::kScalar) {
      int prod = 0;
      for (int j = 0; j < 8; ++j) prod += dw.min[2 * j] * sums32[j];
      summs = __builtin_fmaf(static_cast<float>(prod), dmin, summs);
    }
    const float d = da.d * dw.d;
    for (int i = 0; i < 8; ++i) acc.v[i] = __builtin_fmaf(d, static_cast<float>(lane[i]), acc.v[i]);
  }
  float out = hsum8(acc.v);
  if constexpr (F::kMin == Min::kFour) out += (accm[0] + accm[2]) + (accm[1] + accm[3]);
  if constexpr (F::kMin == Min::kScalar) out += summs;
  return out;
}

template <class F, int kGroup>
float serial_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  float acc = 0;
  float accm = 0;
  Decoded dw;
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    decode_at<F>(w, b, dw);
    const BlockQ8_K da = act_at(a, b);
    for (int g = 0; g < kSuperElems; g += kGroup) {
      acc = __builtin_fmaf(static_cast<float>(scaled_dot(dw, da, g, g + kGroup)), dw.d * da.d, acc);
      if constexpr (F::kMin != Min::kNone) {
        int imin = 0;
        for (int s = g / 16; s < (g + kGroup) / 16; ++s) imin += dw.min[s] * da.bsums[s];
        accm = __builtin_fmaf(static_cast<float>(imin), dw.dmin * da.d, accm);
      }
    }
  }
  return acc - accm;
}

// Kernel sets (see tile_dispatch.h).
template <class F>
struct VecDotSet {
  template <int R, int C>
  using VecDot = PairwiseTile<vec_dot<F>, R, C>;
  template <int R, int C>
  using Batched = VecDot<R, C>;
  template <int R, int C>
  using Repacked = VecDot<R, C>;
};

// The repacked gemm (4-column tiles: full token groups) and gemv.
template <class F, int kGemmGroup>
struct RepackedSet : VecDotSet<F> {
  template <int R, int C>
  using Repacked = PairwiseTile<C == kMaxTile ? serial_dot<F, kGemmGroup> : serial_dot<F, kSuperElems>, R, C>;
};

struct IQ4_XSSet : VecDotSet<IQ4_XSF> {
  template <int R, int C>
  using Repacked = PairwiseTile<serial_dot<IQ4_XSF, kSuperElems>, R, C>;
};

struct Sets {
  using Q2_K = RepackedSet<Q2_KF, 128>;
  using Q3_K = VecDotSet<Q3_KF>;
  using Q4_K = RepackedSet<Q4_KF, 64>;
  using Q5_K = VecDotSet<Q5_KF>;
  using Q6_K = VecDotSet<Q6_KF>;
  using IQ4_XS = IQ4_XSSet;
};

}  // namespace

DotTileFn scalar_k_dot_tile(GgmlType weight_type, Routes routes) { return tile_for_k_type<Sets>(weight_type, routes); }

}  // namespace rocmforge::quant::detail
