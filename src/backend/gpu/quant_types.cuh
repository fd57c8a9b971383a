// Device-side access to weight rows in the layout of weight_layout.h: one
// traits struct WeightType<T> per weight type (the 256-element types in
// kquant_types.cuh). Every type has
//   dequant_half(row, nb, b, h, v): elements [16h, 16h + 16) of unit b, as floats.
// The quantised types add
//   load(row, nb, b) -> Block:  what unit b's kernels read (quants, scales);
//   unpack(blk) -> Unit:        those decoded (a matrix-vector kernel does it
//                               once per row, whatever the number of tokens);
//   dot_q8(unit, aq, ads):      that unit times 32 int8 activations, the
//                               way the CPU's dot of the same pair of types does.
// (The GEMM reads the packed rows itself: gemm_q8_rows.cuh.)
// `row` is the start of a device row, `nb` its number of 32-element units.
// Activations for dot_q8 come as 8 ints of packed int8 quants and a float2:
// (d, sum of quants) for the Q8_0-style types, (d, s = d * sum) for Q8_1-style,
// (d, both 16-element sums as int16 bits) for Q8_K.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/weight_layout.h"
#include "quant/blocks.h"

namespace rocmforge::backend::gpu {

// Which activation quantisation the CPU pairs with each weight type.
enum class ActFormat : int {
  kF32,   // used as is
  kF16,   // rounded to half
  kBF16,  // rounded to bfloat16
  kQ8,    // int8 quants per 32, (d, sum(q)): Q8_0 semantics
  kQ8S,   // int8 quants per 32, (d, d * sum(q)) rounded to half: Q8_1 semantics
  kQ8K,   // int8 quants per 256, Q8_K semantics; per 32: (d, the two int16 sums of 16 as bits)
};

// Whether a format has a float2 per 32 activations beside its quants.
constexpr bool act_has_ds(ActFormat f) { return f == ActFormat::kQ8 || f == ActFormat::kQ8S || f == ActFormat::kQ8K; }

// Activations per quantisation block of a format with a ds part.
constexpr int64_t act_block(ActFormat f) { return f == ActFormat::kQ8K ? kSuperBlock : kQuantBlock; }

// The CPU's pairing (quant::vec_dot_type), known at compile time.
constexpr ActFormat act_format_of(gguf::GgmlType type) {
  switch (type) {
    case gguf::GgmlType::kF16:
      return ActFormat::kF16;
    case gguf::GgmlType::kBF16:
      return ActFormat::kBF16;
    case gguf::GgmlType::kQ4_1:
    case gguf::GgmlType::kQ5_1:
      return ActFormat::kQ8S;
    case gguf::GgmlType::kQ4_0:
    case gguf::GgmlType::kQ5_0:
    case gguf::GgmlType::kQ8_0:
    case gguf::GgmlType::kIQ4_NL:
      return ActFormat::kQ8;
    case gguf::GgmlType::kQ2_K:
    case gguf::GgmlType::kQ3_K:
    case gguf::GgmlType::kQ4_K:
    case gguf::GgmlType::kQ5_K:
    case gguf::GgmlType::kQ6_K:
    case gguf::GgmlType::kIQ4_XS:
      return ActFormat::kQ8K;
    default:
      return ActFormat::kF32;
  }
}

// The two 16-element sums of a Q8_K unit's (d, sums) pair.
__device__ __forceinline__ int2 q8k_sums(float2 ds) {
  const int bits = __float_as_int(ds.y);
  return make_int2(static_cast<int16_t>(bits & 0xFFFF), bits >> 16);
}

namespace detail {

// Weight bytes (evict-first in L2: load_streaming).
__device__ __forceinline__ uint4 load16(const uint8_t* p) { return load_streaming(reinterpret_cast<const uint4*>(p)); }

__device__ __forceinline__ float scale_at(const uint8_t* row, int64_t nb, gguf::GgmlType type, int64_t b, int i) {
  const BlockRegions r = block_regions(type);
  const uint16_t* s = reinterpret_cast<const uint16_t*>(row + row_regions(type, nb).scale + b * r.scale);
  return f16_to_f32(load_streaming(s + i));
}

// Bit 4 of each of 4 bytes, from bits j..j+3 of qh.
__device__ __forceinline__ int high_bit_bytes(uint32_t qh, int j) {
  const uint32_t h = qh >> j;
  return static_cast<int>(((h & 1u) << 4) | ((h & 2u) << 11) | ((h & 4u) << 18) | ((h & 8u) << 25));
}

// IQ4_NL's and IQ4_XS's 16 levels as four little-endian words, for lookup_nibbles16.
inline constexpr uint32_t kIQ4Words[4] = {0xBFAD9881u, 0xF6EADDCFu, 0x26190D01u, 0x71594535u};

constexpr bool iq4_words_match() {
  for (int i = 0; i < 16; ++i) {
    if (static_cast<uint8_t>(kIQ4Words[i / 4] >> (8 * (i % 4))) != static_cast<uint8_t>(quant::kIQ4Values[i])) {
      return false;
    }
  }
  return true;
}
static_assert(iq4_words_match(), "kIQ4Words must hold quant::kIQ4Values");

// The levels of the 8 indices in q4 (see lookup_nibbles16).
__device__ __forceinline__ int2 iq4_levels(uint32_t q4) {
  const uint32_t table[4] = {kIQ4Words[0], kIQ4Words[1], kIQ4Words[2], kIQ4Words[3]};
  return lookup_nibbles16(q4, table);
}

}  // namespace detail

// One block of 32 quants as packed bytes in element order (q[0..3] hold
// elements 0..15, q[4..7] elements 16..31), with its scale and min.
struct QBlock {
  int q[8];
  float d;
  float m;
};

// The 4- and 5-bit types: unsigned quants from nibbles (plus qh), x = d * q + m
// where the symmetric types have m = -8d (q4_0) or -16d (q5_0).
template <gguf::GgmlType T, bool kHigh, bool kMin, int kOffset>
struct NibbleType {
  static constexpr gguf::GgmlType kType = T;
  static constexpr int kSubs = 1;
  static constexpr bool kHasMin = kMin;

  __device__ static const QBlock& unpack(const QBlock& b) { return b; }  // load() decodes

  __device__ static QBlock load(const uint8_t* row, int64_t nb, int64_t b) {
    const uint4 raw = detail::load16(row + b * 16);
    const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
    QBlock blk;
    uint32_t qh = 0;
    if constexpr (kHigh) qh = *reinterpret_cast<const uint32_t*>(row + row_regions(T, nb).qh + b * 4);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      blk.q[i] = static_cast<int>(words[i] & 0x0F0F0F0Fu);
      blk.q[i + 4] = static_cast<int>((words[i] >> 4) & 0x0F0F0F0Fu);
      if constexpr (kHigh) {
        blk.q[i] |= detail::high_bit_bytes(qh, 4 * i);
        blk.q[i + 4] |= detail::high_bit_bytes(qh, 16 + 4 * i);
      }
    }
    blk.d = detail::scale_at(row, nb, T, b, 0);
    blk.m = kMin ? detail::scale_at(row, nb, T, b, 1) : -static_cast<float>(kOffset) * blk.d;
    return blk;
  }

  // The CPU's q4_0 . q8_0 is d_w * d_a * sum((q - 8) * a); q4_1 . q8_1 is d_w * d_a * sum(q * a) + m_w * s_a.
  __device__ static float dot_q8(const QBlock& w, const int (&a)[8], float2 ads) {
    int sum = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) sum = dp4a(w.q[i], a[i], sum);
    if constexpr (kMin) {
      return w.d * ads.x * static_cast<float>(sum) + w.m * ads.y;
    } else {
      return w.d * ads.x * static_cast<float>(sum - kOffset * static_cast<int>(ads.y));
    }
  }

  __device__ static void dequant_half(const uint8_t* row, int64_t nb, int64_t b, int h, float (&v)[16]) {
    const QBlock blk = load(row, nb, b);
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      const int word = h != 0 ? blk.q[4 + i / 4] : blk.q[i / 4];  // constant indices keep blk in registers
      v[i] = blk.d * static_cast<float>((word >> (8 * (i % 4))) & 0xFF) + blk.m;
    }
  }
};

template <gguf::GgmlType T>
struct WeightType;

template <>
struct WeightType<gguf::GgmlType::kQ4_0> : NibbleType<gguf::GgmlType::kQ4_0, false, false, 8> {};
template <>
struct WeightType<gguf::GgmlType::kQ4_1> : NibbleType<gguf::GgmlType::kQ4_1, false, true, 0> {};
template <>
struct WeightType<gguf::GgmlType::kQ5_0> : NibbleType<gguf::GgmlType::kQ5_0, true, false, 16> {};
template <>
struct WeightType<gguf::GgmlType::kQ5_1> : NibbleType<gguf::GgmlType::kQ5_1, true, true, 0> {};

template <>
struct WeightType<gguf::GgmlType::kQ8_0> {
  static constexpr gguf::GgmlType kType = gguf::GgmlType::kQ8_0;
  static constexpr int kSubs = 1;
  static constexpr bool kHasMin = false;

  __device__ static const QBlock& unpack(const QBlock& b) { return b; }

  __device__ static QBlock load(const uint8_t* row, int64_t nb, int64_t b) {
    const uint4 w0 = detail::load16(row + b * 32);
    const uint4 w1 = detail::load16(row + b * 32 + 16);
    return {{static_cast<int>(w0.x), static_cast<int>(w0.y), static_cast<int>(w0.z), static_cast<int>(w0.w),
             static_cast<int>(w1.x), static_cast<int>(w1.y), static_cast<int>(w1.z), static_cast<int>(w1.w)},
            detail::scale_at(row, nb, kType, b, 0),
            0.0f};
  }
  __device__ static float dot_q8(const QBlock& w, const int (&a)[8], float2 ads) {
    int sum = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) sum = dp4a(w.q[i], a[i], sum);
    return w.d * ads.x * static_cast<float>(sum);
  }
  __device__ static void dequant_half(const uint8_t* row, int64_t nb, int64_t b, int h, float (&v)[16]) {
    signed_half(load(row, nb, b), h, v);
  }
  // Elements [16h, 16h + 16) of a unit of signed quants: d * q.
  __device__ static void signed_half(const QBlock& blk, int h, float (&v)[16]) {
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      const int word = h != 0 ? blk.q[4 + i / 4] : blk.q[i / 4];
      v[i] = blk.d * static_cast<float>(static_cast<int8_t>((word >> (8 * (i % 4))) & 0xFF));
    }
  }
};

// IQ4_NL: q4_0's nibbles, each an index into 16 non-linear int8 levels, x =
// d * level: once unpacked, a Q8_0 unit of levels (the CPU's iq4_nl . q8_0
// is d_w * d_a * sum(level * a)). Block keeps the raw nibbles, so the lookup
// waits for them only where they are used.
template <>
struct WeightType<gguf::GgmlType::kIQ4_NL> : WeightType<gguf::GgmlType::kQ8_0> {
  static constexpr gguf::GgmlType kType = gguf::GgmlType::kIQ4_NL;

  struct Block {
    uint4 qs;
    float d;
  };
  __device__ static Block load(const uint8_t* row, int64_t nb, int64_t b) {
    return {detail::load16(row + b * 16), detail::scale_at(row, nb, kType, b, 0)};
  }
  // Element order as QBlock's: words 0..3 hold elements 0..15, 4..7 elements 16..31.
  __device__ static QBlock unpack(const Block& w) {
    const uint32_t words[4] = {w.qs.x, w.qs.y, w.qs.z, w.qs.w};
    QBlock u;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int2 v = detail::iq4_levels(words[i]);
      u.q[i] = v.x;
      u.q[i + 4] = v.y;
    }
    u.d = w.d;
    u.m = 0.0f;
    return u;
  }
  __device__ static void dequant_half(const uint8_t* row, int64_t nb, int64_t b, int h, float (&v)[16]) {
    signed_half(unpack(load(row, nb, b)), h, v);
  }
};

// The float types. dequant_half reads the row as stored; dot_chunk
// multiplies 16 bytes of weight by 16 bytes of activations of the same type
// (kChunkElems elements); elem reads one element (for row tails).
namespace detail {

// 8 halves (f16 or bf16 bits) as floats.
template <bool kBf16>
__device__ __forceinline__ void halves_to_floats(uint4 raw, float (&v)[8]) {
  const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const uint16_t lo = static_cast<uint16_t>(words[i] & 0xFFFFu);
    const uint16_t hi = static_cast<uint16_t>(words[i] >> 16);
    v[2 * i] = kBf16 ? bf16_to_f32(lo) : f16_to_f32(lo);
    v[2 * i + 1] = kBf16 ? bf16_to_f32(hi) : f16_to_f32(hi);
  }
}

template <gguf::GgmlType T, bool kBf16>
struct HalfWeight {
  static constexpr gguf::GgmlType kType = T;
  static constexpr int kChunkElems = 8;
  __device__ static void dequant_half(const uint8_t* row, int64_t, int64_t b, int h, float (&v)[16]) {
    const uint8_t* p = row + (b * 32 + h * 16) * 2;
    float a[8];
    float c[8];
    halves_to_floats<kBf16>(load16(p), a);
    halves_to_floats<kBf16>(load16(p + 16), c);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      v[i] = a[i];
      v[8 + i] = c[i];
    }
  }
  __device__ static float dot_chunk(const uint8_t* w, const uint8_t* a) {
    float x[8];
    float y[8];
    halves_to_floats<kBf16>(load16(w), x);
    halves_to_floats<kBf16>(*reinterpret_cast<const uint4*>(a), y);  // the activations: read by every block
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; ++i) s += x[i] * y[i];
    return s;
  }
  __device__ static float elem(const uint8_t* row, int64_t k) {
    const uint16_t bits = reinterpret_cast<const uint16_t*>(row)[k];
    return kBf16 ? bf16_to_f32(bits) : f16_to_f32(bits);
  }
};

}  // namespace detail

template <>
struct WeightType<gguf::GgmlType::kF16> : detail::HalfWeight<gguf::GgmlType::kF16, false> {};

template <>
struct WeightType<gguf::GgmlType::kBF16> : detail::HalfWeight<gguf::GgmlType::kBF16, true> {};

template <>
struct WeightType<gguf::GgmlType::kF32> {
  static constexpr gguf::GgmlType kType = gguf::GgmlType::kF32;
  static constexpr int kChunkElems = 4;
  __device__ static void dequant_half(const uint8_t* row, int64_t, int64_t b, int h, float (&v)[16]) {
    const float4* p = reinterpret_cast<const float4*>(row) + b * 8 + h * 4;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float4 f = p[i];
      v[4 * i] = f.x;
      v[4 * i + 1] = f.y;
      v[4 * i + 2] = f.z;
      v[4 * i + 3] = f.w;
    }
  }
  __device__ static float dot_chunk(const uint8_t* w, const uint8_t* a) {
    const float4 x = *reinterpret_cast<const float4*>(w);
    const float4 y = *reinterpret_cast<const float4*>(a);
    return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
  }
  __device__ static float elem(const uint8_t* row, int64_t k) { return reinterpret_cast<const float*>(row)[k]; }
};

}  // namespace rocmforge::backend::gpu
