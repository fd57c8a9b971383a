// WeightType<T> (quant_types.cuh) for the 256-element types: Q2_K, Q3_K,
// Q4_K, Q5_K, Q6_K and IQ4_XS, read in the layout of weight_layout.h. The
// kernels see them as 32-element units, like the other quantised types:
// unit u is 32-element sub-block u % 8 of block u / 8, with its quants (a
// low and maybe a high plane), the integer scales (and mins) of its two
// 16-element halves (the same twice for the 32-element sub-block types) and
// its block's d (and dmin).
//
// Against Q8_K activations (ActFormat::kQ8K: d per 256, int16 sums per 16)
// dot_q8 computes the CPU's integers exactly: the scaled dot
// sum(sc * q * a) over the unit, with the quant offsets of Q3_K (4) and Q6_K
// (32) taken off through the activation sums as the CPU's x86 kernels do,
// and the min term sum(m * bsum); only the float products and sums that
// combine them come in another order.
#pragma once

#include <cstdint>

#include "backend/gpu/quant_types.cuh"

namespace rocmforge::backend::gpu {
namespace detail {

// Elements 4i .. 4i + 3 of a unit's kBits-bit plane, one per byte (i constant once unrolled).
template <int kBits>
__device__ __forceinline__ uint32_t plane_group(const uint32_t (&w)[kBits], int i) {
  constexpr uint32_t kMask = 0x01010101u * ((1u << kBits) - 1u);
  return (w[i % kBits] >> (kBits * (i / kBits))) & kMask;
}

// kWords aligned little-endian words of a weight at p, in one load (evict-first in L2: load_streaming).
template <int kWords>
__device__ __forceinline__ void load_words(const uint8_t* p, uint32_t (&w)[kWords]) {
  if constexpr (kWords == 4) {
    const uint4 v = load_streaming(reinterpret_cast<const uint4*>(p));
    w[0] = v.x;
    w[1] = v.y;
    w[2] = v.z;
    w[3] = v.w;
  } else if constexpr (kWords == 2) {
    const uint2 v = load_streaming(reinterpret_cast<const uint2*>(p));
    w[0] = v.x;
    w[1] = v.y;
  } else {
    static_assert(kWords == 1);
    w[0] = load_streaming(reinterpret_cast<const uint32_t*>(p));
  }
}

__device__ __forceinline__ uint32_t load_u16(const uint8_t* p) { return *reinterpret_cast<const uint16_t*>(p); }

// Each format: its sub-block scale words (kSubWords, read by load_sub from
// the block's `sub` bytes for unit j) and their decoding into the integer
// scales and mins of the unit's two halves; kSub16: scales per 16 elements
// (else per 32); kOffset: subtracted from every quant; kLevels: quants index kIQ4Values.
template <gguf::GgmlType T, int kWords, bool kPer16, bool kMin, int kQuantOffset, bool kLevelQuants>
struct Format {
  static constexpr gguf::GgmlType kType = T;
  static constexpr int kSubWords = kWords;
  static constexpr bool kSub16 = kPer16;
  static constexpr bool kHasMin = kMin;
  static constexpr int kOffset = kQuantOffset;
  static constexpr bool kLevels = kLevelQuants;
};

// A byte of scale per 16 elements: unit j's two bytes.
template <gguf::GgmlType T, bool kMin, int kQuantOffset>
struct ByteScales : Format<T, 1, true, kMin, kQuantOffset, false> {
  __device__ static void load_sub(const uint8_t* sub, int j, uint32_t (&s)[1]) { s[0] = load_u16(sub + 2 * j); }
};

// The whole 12 bytes of packed 6-bit scales.
template <gguf::GgmlType T, bool kPer16, bool kMin, int kQuantOffset>
struct PackedScales : Format<T, 3, kPer16, kMin, kQuantOffset, false> {
  __device__ static void load_sub(const uint8_t* sub, int, uint32_t (&s)[3]) {
    const auto* w = reinterpret_cast<const uint32_t*>(sub);
    s[0] = w[0];
    s[1] = w[1];
    s[2] = w[2];
  }
};

// Scale in the low nibble, min in the high one.
struct Q2_KFormat : ByteScales<gguf::GgmlType::kQ2_K, true, 0> {
  __device__ static void decode(const uint32_t (&s)[1], int, int (&sc)[2], int (&m)[2]) {
    sc[0] = static_cast<int>(s[0] & 0xF);
    m[0] = static_cast<int>((s[0] >> 4) & 0xF);
    sc[1] = static_cast<int>((s[0] >> 8) & 0xF);
    m[1] = static_cast<int>((s[0] >> 12) & 0xF);
  }
};

// int8 scales.
struct Q6_KFormat : ByteScales<gguf::GgmlType::kQ6_K, false, 32> {
  __device__ static void decode(const uint32_t (&s)[1], int, int (&sc)[2], int (&)[2]) {
    sc[0] = static_cast<int8_t>(s[0] & 0xFF);
    sc[1] = static_cast<int8_t>(s[0] >> 8);
  }
};

// 6-bit scales per 16 elements, stored less 32 (blocks_k.h: scales_q3_k):
// sub-block k's low 4 bits are nibble k / 8 of byte k % 8, its high 2 bits
// bits 2 * (k / 4) of byte 8 + k % 4. Unit j holds k = 2j, 2j + 1.
struct Q3_KFormat : PackedScales<gguf::GgmlType::kQ3_K, true, false, 4> {
  __device__ static void decode(const uint32_t (&s)[3], int j, int (&sc)[2], int (&)[2]) {
    const uint32_t low = ((j % 4) < 2 ? s[0] : s[1]) >> (16 * (j % 2));  // bytes 2 (j % 4), 2 (j % 4) + 1
    const uint32_t high = s[2] >> (16 * (j % 2));                        // bytes 8 + 2 (j % 2), + 1
#pragma unroll
    for (int t = 0; t < 2; ++t) {
      const uint32_t l = (low >> (8 * t + 4 * (j / 4))) & 0xF;
      const uint32_t h = (high >> (8 * t + 2 * (j / 2))) & 3;
      sc[t] = static_cast<int>(l | (h << 4)) - 32;
    }
  }
};

// 6-bit scales and mins per 32 elements (blocks_k.h: scale_min_k4).
template <gguf::GgmlType T>
struct K4Format : PackedScales<T, false, true, 0> {
  __device__ static void decode(const uint32_t (&s)[3], int j, int (&sc)[2], int (&m)[2]) {
    const int shift = 8 * (j % 4);
    const uint32_t b0 = (s[0] >> shift) & 0xFF;  // bytes j % 4, 4 + j % 4, 8 + j % 4
    const uint32_t b1 = (s[1] >> shift) & 0xFF;
    const uint32_t b2 = (s[2] >> shift) & 0xFF;
    const uint32_t scale = j < 4 ? b0 & 63 : (b2 & 0xF) | ((b0 >> 6) << 4);
    const uint32_t min = j < 4 ? b1 & 63 : (b2 >> 4) | ((b1 >> 6) << 4);
    sc[0] = sc[1] = static_cast<int>(scale);
    m[0] = m[1] = static_cast<int>(min);
  }
};

// scales_h (2 bits per 32 elements) then scales_l (4 bits each): scale ls - 32.
struct IQ4_XSFormat : Format<gguf::GgmlType::kIQ4_XS, 2, false, false, 0, true> {
  __device__ static void load_sub(const uint8_t* sub, int j, uint32_t (&s)[2]) {
    s[0] = load_u16(sub);
    s[1] = sub[2 + j / 2];
  }
  __device__ static void decode(const uint32_t (&s)[2], int j, int (&sc)[2], int (&)[2]) {
    const uint32_t ls = ((s[1] >> (4 * (j % 2))) & 0xF) | (((s[0] >> (2 * j)) & 3) << 4);
    sc[0] = sc[1] = static_cast<int>(ls) - 32;
  }
};

}  // namespace detail

template <class F>
struct KQuantType {
  static constexpr gguf::GgmlType kType = F::kType;
  static constexpr int kLo = low_bits(kType);
  static constexpr int kHi = high_bits(kType);
  static constexpr int kSubs = F::kSub16 ? 2 : 1;
  static constexpr bool kHasMin = F::kHasMin;

  // What load() reads; decoded where it is used, so the GEMM's loads for
  // the next step stay in flight meanwhile.
  struct Block {
    uint32_t lo[kLo];
    uint32_t hi[kHi > 0 ? kHi : 1];
    uint32_t sub[F::kSubWords];
    uint32_t scale;  // d in the low half, dmin (the types with mins) in the high half
    int j;           // the unit's sub-block in its block
  };

  // Offsets within one row in 32 bits (a row is far below 4 GB): unsigned
  // division by 8 is a shift, and the one-token matvec fits 32 registers.
  __device__ static Block load(const uint8_t* row, int64_t nb, int64_t u) {
    constexpr BlockRegions kRegions = block_regions(kType);
    const auto units = static_cast<uint32_t>(nb);
    const auto unit = static_cast<uint32_t>(u);
    const uint32_t supers = units / kUnitsPerSuper;
    const uint32_t blk = unit / kUnitsPerSuper;
    const uint32_t sub = supers * (kRegions.qs + kRegions.qh);
    const uint32_t scale = sub + supers * kRegions.sub;
    Block b;
    b.j = static_cast<int>(unit % kUnitsPerSuper);
    detail::load_words(row + unit * 4 * kLo, b.lo);
    if constexpr (kHi > 0) detail::load_words(row + supers * kRegions.qs + unit * 4 * kHi, b.hi);
    F::load_sub(row + sub + blk * kRegions.sub, b.j, b.sub);
    if constexpr (kRegions.scale == 4) {
      b.scale = reinterpret_cast<const uint32_t*>(row + scale)[blk];
    } else {
      b.scale = detail::load_u16(row + scale + blk * 2);
    }
    return b;
  }

  // A unit decoded: its quants, 4 per int in element order (unsigned, the
  // offset not yet taken off, or IQ4_XS's signed levels), the integer scales
  // and mins of its two halves, d and dmin.
  struct Unit {
    int q[8];
    int sc[2];
    int m[2];
    float d;
    float dmin;
  };

  __device__ static Unit unpack(const Block& b) {
    Unit u;
    if constexpr (F::kLevels) {
#pragma unroll
      for (int g = 0; g < 4; ++g) {
        const int2 v = detail::iq4_levels(b.lo[g]);
        u.q[g] = v.x;
        u.q[g + 4] = v.y;
      }
    } else {
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        uint32_t v = detail::plane_group<kLo>(b.lo, i);
        if constexpr (kHi > 0) v |= detail::plane_group<kHi>(b.hi, i) << kLo;
        u.q[i] = static_cast<int>(v);
      }
    }
    u.m[0] = u.m[1] = 0;  // the formats with mins overwrite them
    F::decode(b.sub, b.j, u.sc, u.m);
    u.d = f16_to_f32(static_cast<uint16_t>(b.scale & 0xFFFF));
    u.dmin = kHasMin ? f16_to_f32(static_cast<uint16_t>(b.scale >> 16)) : 0.0f;
    return u;
  }

  __device__ static float dot_q8(const Unit& w, const int (&a)[8], float2 ads) {
    int s0 = 0;
    int s1 = 0;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      s0 = dp4a(w.q[i], a[i], s0);
      s1 = dp4a(w.q[i + 4], a[i + 4], s1);
    }
    const int2 bsum = q8k_sums(ads);
    if constexpr (F::kOffset != 0) {
      s0 -= F::kOffset * bsum.x;
      s1 -= F::kOffset * bsum.y;
    }
    float r = w.d * ads.x * static_cast<float>(w.sc[0] * s0 + w.sc[1] * s1);
    if constexpr (kHasMin) r -= w.dmin * ads.x * static_cast<float>(w.m[0] * bsum.x + w.m[1] * bsum.y);
    return r;
  }

  // The CPU's dequantisation: (d * sc) * (q - offset) - dmin * m, whose
  // products are exact in float, so every element has the CPU's bits.
  __device__ static void dequant_half(const uint8_t* row, int64_t nb, int64_t u, int h, float (&v)[16]) {
    const Unit w = unpack(load(row, nb, u));
    const float d1 = w.d * static_cast<float>(h != 0 ? w.sc[1] : w.sc[0]);  // constant indices keep them in registers
    const float m1 = w.dmin * static_cast<float>(h != 0 ? w.m[1] : w.m[0]);
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      const int word = h != 0 ? w.q[4 + i / 4] : w.q[i / 4];
      const int byte = (word >> (8 * (i % 4))) & 0xFF;
      const int value = F::kLevels ? static_cast<int8_t>(byte) : byte - F::kOffset;
      v[i] = d1 * static_cast<float>(value);
      if constexpr (kHasMin) v[i] -= m1;
    }
  }
};

template <>
struct WeightType<gguf::GgmlType::kQ2_K> : KQuantType<detail::Q2_KFormat> {};
template <>
struct WeightType<gguf::GgmlType::kQ3_K> : KQuantType<detail::Q3_KFormat> {};
template <>
struct WeightType<gguf::GgmlType::kQ4_K> : KQuantType<detail::K4Format<gguf::GgmlType::kQ4_K>> {};
template <>
struct WeightType<gguf::GgmlType::kQ5_K> : KQuantType<detail::K4Format<gguf::GgmlType::kQ5_K>> {};
template <>
struct WeightType<gguf::GgmlType::kQ6_K> : KQuantType<detail::Q6_KFormat> {};
template <>
struct WeightType<gguf::GgmlType::kIQ4_XS> : KQuantType<detail::IQ4_XSFormat> {};

}  // namespace rocmforge::backend::gpu
