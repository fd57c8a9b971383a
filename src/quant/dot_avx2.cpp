// AVX2 dot tiles (AVX2 + FMA + F16C, built with those flags; see isa_kernels.h
// for what this file may include).
//
// The plan of dot_avx512.cpp on AVX2, with the same bits: vpmaddubsw +
// vpmaddwd for the u8 x s8 products (16-bit pair sums: the nibble trick would
// overflow them), at most 8 accumulators a block tile (16 registers), so
// larger tiles run as two halves of rows; the float types' 16-lane
// accumulators are pairs of 256-bit vectors.
#include <immintrin.h>

#include <cstring>

#include "quant/blocks.h"
#include "quant/float_tile.h"
#include "quant/isa_kernels.h"
#include "quant/quant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

using gguf::GgmlType;

constexpr int kMaxAcc = 8;  // 16 registers

// Bit j of the 32-bit qh as 0x10 in byte j.
__m256i high_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof(bits));
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

__m256i pair_sums(__m256i pairs) { return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)); }

// Unsigned quants stored plus a bias: the column holds bias * (a[2i] + a[2i+1])
// as 16-bit pairs, taken off each product's pairs (no saturation: quants < 32).
template <int kBias>
struct Biased {
  static constexpr bool kNibbleTrick = false;
  static __m256i column(__m256i aq) { return _mm256_maddubs_epi16(_mm256_set1_epi8(kBias), aq); }
  static __m256i dot(__m256i column, __m256i wq, __m256i aq) {
    return pair_sums(_mm256_sub_epi16(_mm256_maddubs_epi16(wq, aq), column));
  }
};

struct Unbiased {
  static constexpr bool kNibbleTrick = false;
  static __m256i column(__m256i aq) { return aq; }
  static __m256i dot(__m256i, __m256i wq, __m256i aq) { return pair_sums(_mm256_maddubs_epi16(wq, aq)); }
};

// Signed quants: |w| times a with w's sign (|w| <= 128, so pairs fit 16 bits).
struct Signed {
  static constexpr bool kNibbleTrick = false;
  static __m256i column(__m256i aq) { return aq; }
  static __m256i dot(__m256i, __m256i wq, __m256i aq) {
    return pair_sums(_mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq)));
  }
};

struct Q4_0W : Biased<8> {
  static constexpr int kBytes = sizeof(BlockQ4_0), kScale = 0, kMin = -1;
  static __m256i quants(const uint8_t* b) { return nibbles(b + 2); }
};

struct Q4_1W : Unbiased {
  static constexpr int kBytes = sizeof(BlockQ4_1), kScale = 0, kMin = 2;
  static __m256i quants(const uint8_t* b) { return nibbles(b + 4); }
};

struct Q5_0W : Biased<16> {
  static constexpr int kBytes = sizeof(BlockQ5_0), kScale = 0, kMin = -1;
  static __m256i quants(const uint8_t* b) { return _mm256_or_si256(nibbles(b + 6), high_bits(b + 2)); }
};

struct Q5_1W : Unbiased {
  static constexpr int kBytes = sizeof(BlockQ5_1), kScale = 0, kMin = 2;
  static __m256i quants(const uint8_t* b) { return _mm256_or_si256(nibbles(b + 8), high_bits(b + 4)); }
};

struct Q8_0W : Signed {
  static constexpr int kBytes = sizeof(BlockQ8_0), kScale = 0, kMin = -1;
  static __m256i quants(const uint8_t* b) { return load256(b + 2); }
};

struct IQ4_NLW : Signed {
  static constexpr int kBytes = sizeof(BlockIQ4_NL), kScale = 0, kMin = -1;
  static __m256i quants(const uint8_t* b) {
    const __m256i levels = _mm256_broadcastsi128_si256(load128(reinterpret_cast<const uint8_t*>(kIQ4Values)));
    return _mm256_shuffle_epi8(levels, nibbles(b + 2));
  }
};

// ---- float element policies: 16 lanes as two 256-bit vectors -------------------

struct Pair {
  __m256 lo, hi;
};

Pair add_pair(Pair x, Pair y) { return {_mm256_add_ps(x.lo, y.lo), _mm256_add_ps(x.hi, y.hi)}; }

// _mm512_reduce_add_ps's order: lanes i + 8 first.
float reduce_pair(Pair x) { return hsum(_mm256_add_ps(x.lo, x.hi)); }

struct FmaPair {
  using Vec = Pair;
  using Acc = Pair;
  static constexpr int kStep = 16, kAccRegs = 2, kRegs = 16;
  static Acc zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static Acc madd(Acc acc, Vec w, Vec a) { return {_mm256_fmadd_ps(w.lo, a.lo, acc.lo), _mm256_fmadd_ps(w.hi, a.hi, acc.hi)}; }
  static Acc add(Acc x, Acc y) { return add_pair(x, y); }
  static float reduce(Acc x) { return reduce_pair(x); }
  static double vec_dot_sum(const Acc (&c)[4]) { return reduce_pair(add_pair(add_pair(c[0], c[2]), add_pair(c[1], c[3]))); }
};

struct F32Pair : FmaPair {
  static Vec load(const uint8_t* row, int64_t i) {
    const auto* p = reinterpret_cast<const float*>(row) + i;
    return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
  }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return f32_tail(sum, w, a, from, n);
  }
};

struct F16Pair : FmaPair {
  static Vec load(const uint8_t* row, int64_t i) {
    return {_mm256_cvtph_ps(load128(row + 2 * i)), _mm256_cvtph_ps(load128(row + 2 * i + 16))};
  }
  static float f16_at(const uint8_t* row, int64_t i) { return half_at(row + 2 * i); }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return double_tail<f16_at>(sum, w, a, from, n);
  }
};

// vdpbf16ps emulated (see dot_scalar.cpp): the odd pair's product, then the even one's.
struct BF16Pair {
  struct Vec {
    __m256i lo, hi;  // 16 bf16 each
  };
  using Acc = Pair;
  static constexpr int kStep = 32, kAccRegs = 2, kRegs = 16;
  static Acc zero() { return FmaPair::zero(); }
  static Vec load(const uint8_t* row, int64_t i) { return {load256(row + 2 * i), load256(row + 2 * i + 32)}; }
  static __m256 dp(__m256 acc, __m256i w, __m256i a) {
    const __m256i odd = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_castsi256_ps(_mm256_and_si256(w, odd)),
                                           _mm256_castsi256_ps(_mm256_and_si256(a, odd))));
    return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(w, 16)),
                                            _mm256_castsi256_ps(_mm256_slli_epi32(a, 16))));
  }
  static Acc madd(Acc acc, Vec w, Vec a) { return {dp(acc.lo, w.lo, a.lo), dp(acc.hi, w.hi, a.hi)}; }
  static Acc add(Acc x, Acc y) { return add_pair(x, y); }
  static float reduce(Acc x) { return reduce_pair(x); }
  static double vec_dot_sum(const Acc (&c)[2]) {
    double sum = 0.0;
    sum += static_cast<double>(reduce_pair(c[0]));
    sum += static_cast<double>(reduce_pair(c[1]));
    return sum;
  }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return double_tail<bf16_at>(sum, w, a, from, n);
  }
};

// Kernel sets (see tile_dispatch.h); only Q4_0 and IQ4_NL weights are repacked.
template <class W, class A>
struct LegacySet {
  template <int R, int C>
  using VecDot = Lanes8Tile<kMaxAcc, W, A, R, C>;
  template <int R, int C>
  using Batched = VecDot<R, C>;
  template <int R, int C>
  using Repacked = VecDot<R, C>;
};

struct Q4_0Set : LegacySet<Q4_0W, Q8_0A> {
  template <int R, int C>
  using Repacked = SerialTile<Q4_0W, Q8_0A, R, C>;
};

struct IQ4_NLSet : LegacySet<IQ4_NLW, Q8_0A> {
  template <int R, int C>
  using VecDot = Lanes8Tile<kMaxAcc, IQ4_NLW, Q8_0A, R, C, true>;
  template <int R, int C>
  using Repacked = SerialTile<IQ4_NLW, Q8_0A, R, C>;
};

struct Sets {
  using F32 = FloatSet<F32Pair>;
  using F16 = FloatSet<F16Pair>;
  using BF16 = FloatSet<BF16Pair>;
  using Q4_0 = Q4_0Set;
  using Q4_1 = LegacySet<Q4_1W, Q8_1A>;
  using Q5_0 = LegacySet<Q5_0W, Q8_0A>;
  using Q5_1 = LegacySet<Q5_1W, Q8_1A>;
  using Q8_0 = LegacySet<Q8_0W, Q8_0A>;
  using IQ4_NL = IQ4_NLSet;
};

}  // namespace

DotTileFn avx2_dot_tile(GgmlType weight_type, Routes routes) {
  return tile_for_block_type<Sets>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
