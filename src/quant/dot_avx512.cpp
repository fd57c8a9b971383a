// AVX-512 dot tiles: F/BW/VL + VNNI, built with those flags (see isa_kernels.h
// for what this file may include).
//
// Block types use 256-bit vectors, one 32-element block per vector (the
// driver is quant_tile.h): 512-bit integer and convert uops issue on two ports
// of current Intel cores against three for 256-bit ones, and a per-block scale
// would cost a shuffle per 512-bit step. AVX-512 brings vpdpbusd (u8 x s8 ->
// s32), masked byte ops and 32 registers (a 4x4 tile keeps its 16
// accumulators). Float types stream 512-bit vectors. Same bits as every
// other level (see dot.h).
#include <immintrin.h>

#include "quant/avx512_common.h"
#include "quant/blocks.h"
#include "quant/float_tile.h"
#include "quant/isa_kernels.h"
#include "quant/quant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

using gguf::GgmlType;

constexpr int kMaxAcc = 16;  // 32 registers: a 4x4 tile keeps all its sums

// ---- weight formats -------------------------------------------------------
//
// quants() gives the 32 quants as unsigned bytes in the activations' element
// order. Biased formats store quant + bias: each column starts its sums at
// -bias * sum(a) and vpdpbusd adds quant * a. The nibble trick takes 4-bit
// quants as (byte & 0x0F) for elements 0..15 and (byte & 0xF0) = 16 x quant
// for elements 16..31, saving a shift: lanes 4..7 of the sums are then 16x
// (the bias there is 16 x 8), which the driver divides out at the end.

struct Vnni {
  static __m256i dot(__m256i column, __m256i wq, __m256i aq) { return _mm256_dpbusd_epi32(column, wq, aq); }
};

__m256i start_sums(__m256i bias, __m256i aq) {
  const __m256i zero = _mm256_setzero_si256();
  return _mm256_sub_epi32(zero, _mm256_dpbusd_epi32(zero, bias, aq));
}

__m256i nibbles16(const uint8_t* qs) {
  const __m256i v = _mm256_broadcastsi128_si256(load128(qs));
  return _mm256_and_si256(v, _mm256_set_m128i(_mm_set1_epi8(static_cast<char>(0xF0)), _mm_set1_epi8(0x0F)));
}

// Nibbles plus bit j of qh as bit 4 of element j (byte j of the vector).
__m256i quants5(const uint8_t* qs, const uint8_t* qh) {
  __m256i v = _mm256_broadcastsi128_si256(load128(qs));
  v = _mm256_and_si256(_mm256_mask_srli_epi16(v, 0xFF00, v, 4), _mm256_set1_epi8(0x0F));
  uint32_t bits;
  __builtin_memcpy(&bits, qh, sizeof(bits));
  return _mm256_mask_add_epi8(v, bits, v, _mm256_set1_epi8(16));
}

__m256i unbiased(__m256i) { return _mm256_setzero_si256(); }

struct Q4_0W : Vnni {
  static constexpr int kBytes = sizeof(BlockQ4_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = true;
  static __m256i quants(const uint8_t* b) { return nibbles16(b + 2); }
  static __m256i column(__m256i aq) {
    return start_sums(_mm256_set_m128i(_mm_set1_epi8(static_cast<char>(128)), _mm_set1_epi8(8)), aq);
  }
};

struct Q4_1W : Vnni {
  static constexpr int kBytes = sizeof(BlockQ4_1), kScale = 0, kMin = 2;
  static constexpr bool kNibbleTrick = true;
  static __m256i quants(const uint8_t* b) { return nibbles16(b + 4); }
  static __m256i column(__m256i aq) { return unbiased(aq); }
};

struct Q5_0W : Vnni {
  static constexpr int kBytes = sizeof(BlockQ5_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return quants5(b + 6, b + 2); }
  static __m256i column(__m256i aq) { return start_sums(_mm256_set1_epi8(16), aq); }
};

struct Q5_1W : Vnni {
  static constexpr int kBytes = sizeof(BlockQ5_1), kScale = 0, kMin = 2;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return quants5(b + 8, b + 4); }
  static __m256i column(__m256i aq) { return unbiased(aq); }
};

struct Q8_0W : Vnni {  // signed quants, biased to unsigned by flipping the sign bit
  static constexpr int kBytes = sizeof(BlockQ8_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) {
    return _mm256_xor_si256(load256(b + 2), _mm256_set1_epi8(static_cast<char>(0x80)));
  }
  static __m256i column(__m256i aq) { return start_sums(_mm256_set1_epi8(static_cast<char>(128)), aq); }
};

// Whole-block dots need plain quants: Q4_0 without the nibble trick.
struct Q4_0PlainW : Vnni {
  static constexpr int kBytes = sizeof(BlockQ4_0), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) { return nibbles(b + 2); }
  static __m256i column(__m256i aq) { return start_sums(_mm256_set1_epi8(8), aq); }
};

// IQ4_NL's levels plus 128, unsigned, biased back like Q8_0's quants.
struct IQ4_NLW : Vnni {
  static constexpr int kBytes = sizeof(BlockIQ4_NL), kScale = 0, kMin = -1;
  static constexpr bool kNibbleTrick = false;
  static __m256i quants(const uint8_t* b) {
    const __m256i levels = _mm256_xor_si256(
        _mm256_broadcastsi128_si256(load128(reinterpret_cast<const uint8_t*>(kIQ4Values))),
        _mm256_set1_epi8(static_cast<char>(0x80)));
    return _mm256_shuffle_epi8(levels, nibbles(b + 2));
  }
  static __m256i column(__m256i aq) { return start_sums(_mm256_set1_epi8(static_cast<char>(128)), aq); }
};

// ---- float element policies (512-bit) ----------------------------------------

struct FmaZmm {
  using Vec = __m512;
  using Acc = __m512;
  static constexpr int kStep = 16, kAccRegs = 1, kRegs = 32;
  static Acc zero() { return _mm512_setzero_ps(); }
  static Acc madd(Acc acc, Vec w, Vec a) { return _mm512_fmadd_ps(w, a, acc); }
  static Acc add(Acc x, Acc y) { return _mm512_add_ps(x, y); }
  static float reduce(Acc acc) { return hsum16(acc); }
  static double vec_dot_sum(const Acc (&c)[4]) {
    return hsum16(_mm512_add_ps(_mm512_add_ps(c[0], c[2]), _mm512_add_ps(c[1], c[3])));
  }
};

struct F32x16 : FmaZmm {
  static Vec load(const uint8_t* row, int64_t i) { return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + i); }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return f32_tail(sum, w, a, from, n);
  }
};

struct F16x16 : FmaZmm {
  // The zero-masked vcvtph2ps: GCC 12's plain intrinsic trips -Wmaybe-uninitialized.
  static Vec load(const uint8_t* row, int64_t i) { return _mm512_maskz_cvtph_ps(0xFFFF, load256(row + 2 * i)); }
  static float f16_at(const uint8_t* row, int64_t i) { return half_at(row + 2 * i); }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return double_tail<f16_at>(sum, w, a, from, n);
  }
};

// vdpbf16ps emulated (see dot_scalar.cpp), for CPUs without AVX512_BF16.
struct BF16x32 {
  using Vec = __m512i;
  using Acc = __m512;
  static constexpr int kStep = 32, kAccRegs = 1, kRegs = 32;
  static Acc zero() { return _mm512_setzero_ps(); }
  static Vec load(const uint8_t* row, int64_t i) { return _mm512_loadu_si512(row + 2 * i); }
  // In GCC vector arithmetic: GCC 12's shift intrinsic trips -Wmaybe-uninitialized.
  static Acc madd(Acc acc, Vec w, Vec a) {
    const auto wv = reinterpret_cast<__v16su>(w);
    const auto av = reinterpret_cast<__v16su>(a);
    acc = _mm512_add_ps(acc, _mm512_mul_ps(reinterpret_cast<__m512>(wv & 0xFFFF0000u),
                                           reinterpret_cast<__m512>(av & 0xFFFF0000u)));
    return _mm512_add_ps(acc, _mm512_mul_ps(reinterpret_cast<__m512>(wv << 16), reinterpret_cast<__m512>(av << 16)));
  }
  static Acc add(Acc x, Acc y) { return _mm512_add_ps(x, y); }
  static float reduce(Acc acc) { return hsum16(acc); }
  static double vec_dot_sum(const Acc (&c)[2]) { return bf16_vec_dot_sum(c); }
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
  using Repacked = SerialTile<Q4_0PlainW, Q8_0A, R, C>;
};

struct IQ4_NLSet : LegacySet<IQ4_NLW, Q8_0A> {
  template <int R, int C>
  using VecDot = Lanes8Tile<kMaxAcc, IQ4_NLW, Q8_0A, R, C, true>;
  template <int R, int C>
  using Repacked = SerialTile<IQ4_NLW, Q8_0A, R, C>;
};

struct Sets {
  using F32 = FloatSet<F32x16>;
  using F16 = FloatSet<F16x16>;
  using BF16 = FloatSet<BF16x32>;
  using Q4_0 = Q4_0Set;
  using Q4_1 = LegacySet<Q4_1W, Q8_1A>;
  using Q5_0 = LegacySet<Q5_0W, Q8_0A>;
  using Q5_1 = LegacySet<Q5_1W, Q8_1A>;
  using Q8_0 = LegacySet<Q8_0W, Q8_0A>;
  using IQ4_NL = IQ4_NLSet;
};

}  // namespace

DotTileFn avx512_dot_tile(GgmlType weight_type, Routes routes) {
  return tile_for_block_type<Sets>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
