// AVX2 dot tiles (AVX2 + FMA + F16C, built with those flags; see isa_kernels.h
// for what this file may include).
//
// The plan of dot_avx512.cpp on AVX2: vpmaddubsw + vpmaddwd for the u8 x s8
// products (16-bit pair sums: the nibble trick would overflow them), and at
// most 8 accumulators a tile (16 registers), so larger tiles run as two
// halves of rows.
#include <immintrin.h>

#include <cstring>

#include "quant/blocks.h"
#include "quant/float_tile.h"
#include "quant/isa_kernels.h"
#include "quant/quant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

constexpr int kMaxAcc = 8;  // 16 registers

// Nibbles in activation order: low nibbles (elements 0..15), then high ones.
__m256i nibbles(const uint8_t* qs) {
  const __m128i v = load128(qs);
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
}

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
  static __m256i column(__m256i aq) { return _mm256_maddubs_epi16(_mm256_set1_epi8(kBias), aq); }
  static __m256i dot(__m256i column, __m256i wq, __m256i aq) {
    return pair_sums(_mm256_sub_epi16(_mm256_maddubs_epi16(wq, aq), column));
  }
};

struct Unbiased {
  static __m256i column(__m256i aq) { return aq; }
  static __m256i dot(__m256i, __m256i wq, __m256i aq) { return pair_sums(_mm256_maddubs_epi16(wq, aq)); }
};

struct Q4_0W : Biased<8> {
  static constexpr int kBytes = sizeof(BlockQ4_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return nibbles(b + 2); }
};

struct Q4_1W : Unbiased {
  static constexpr int kBytes = sizeof(BlockQ4_1), kScale = 0, kMin = 2;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return nibbles(b + 4); }
};

struct Q5_0W : Biased<16> {
  static constexpr int kBytes = sizeof(BlockQ5_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return _mm256_or_si256(nibbles(b + 6), high_bits(b + 2)); }
};

struct Q5_1W : Unbiased {
  static constexpr int kBytes = sizeof(BlockQ5_1), kScale = 0, kMin = 2;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return _mm256_or_si256(nibbles(b + 8), high_bits(b + 4)); }
};

// Signed quants: |w| times a with w's sign (|w| <= 128, so pairs fit 16 bits).
struct Q8_0W {
  static constexpr int kBytes = sizeof(BlockQ8_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return load256(b + 2); }
  static __m256i column(__m256i aq) { return aq; }
  static __m256i dot(__m256i, __m256i wq, __m256i aq) {
    return pair_sums(_mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(aq, wq)));
  }
};

// ---- float element policies (256-bit) ------------------------------------------

// Loads `count` (< 8) elements of `bytes` each, zero-padded to a full vector.
template <int kBytes>
__m256i load_padded(const uint8_t* p, int64_t count) {
  alignas(32) uint8_t buffer[32] = {};
  std::memcpy(buffer, p, static_cast<size_t>(count) * kBytes);
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(buffer));
}

struct F32x8 {
  using Vec = __m256;
  using Acc = __m256;
  static constexpr int kWidth = 8, kMaxAcc = 8;
  static Acc zero() { return _mm256_setzero_ps(); }
  static Vec load(const uint8_t* row, int64_t i) { return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i); }
  static Vec load_partial(const uint8_t* row, int64_t i, int64_t count) {
    return _mm256_castsi256_ps(load_padded<4>(row + 4 * i, count));
  }
  static Acc fma(Acc acc, Vec w, Vec a) { return _mm256_fmadd_ps(w, a, acc); }
  static Acc add(Acc x, Acc y) { return _mm256_add_ps(x, y); }
  static float sum(Acc acc) { return hsum(acc); }
};

struct F16x8 : F32x8 {
  static Vec load(const uint8_t* row, int64_t i) { return _mm256_cvtph_ps(load128(row + 2 * i)); }
  static Vec load_partial(const uint8_t* row, int64_t i, int64_t count) {
    return _mm256_cvtph_ps(_mm256_castsi256_si128(load_padded<2>(row + 2 * i, count)));
  }
};

struct BF16x8 : F32x8 {
  static Vec widen(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
  static Vec load(const uint8_t* row, int64_t i) { return widen(load128(row + 2 * i)); }
  static Vec load_partial(const uint8_t* row, int64_t i, int64_t count) {
    return widen(_mm256_castsi256_si128(load_padded<2>(row + 2 * i, count)));
  }
};

struct Kernels {
  template <int R, int C>
  using F32 = FloatTile<F32x8, R, C>;
  template <int R, int C>
  using F16 = FloatTile<F16x8, R, C>;
  template <int R, int C>
  using BF16 = FloatTile<BF16x8, R, C>;
  template <int R, int C>
  using Q4_0 = QuantTile<kMaxAcc, Q4_0W, Q8_0A, R, C>;
  template <int R, int C>
  using Q4_1 = QuantTile<kMaxAcc, Q4_1W, Q8_1A, R, C>;
  template <int R, int C>
  using Q5_0 = QuantTile<kMaxAcc, Q5_0W, Q8_0A, R, C>;
  template <int R, int C>
  using Q5_1 = QuantTile<kMaxAcc, Q5_1W, Q8_1A, R, C>;
  template <int R, int C>
  using Q8_0 = QuantTile<kMaxAcc, Q8_0W, Q8_0A, R, C>;
};

}  // namespace

DotTileFn avx2_dot_tile(gguf::GgmlType weight_type) { return tile_for_type<Kernels>(weight_type); }

}  // namespace rocmforge::quant::detail
