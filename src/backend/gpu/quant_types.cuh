// Device-side access to weight rows in the layout of weight_layout.h: one
// traits struct WeightType<T> per weight type. Every type has
//   dequant_half(row, nb, b, h, v): elements [16h, 16h + 16) of block b, as floats.
// The quantised types add
//   load(row, nb, b) -> QBlock:   block b's quants, scale and min;
//   dot_q8(blk, aq, ads):         that block times 32 int8 activations, the
//                                 way the CPU's dot of the same pair of types does.
// `row` is the start of a device row, `nb` its number of 32-element blocks.
// Activations for dot_q8 come as 8 ints of packed int8 quants and a float2:
// (d, sum of quants) for the Q8_0-style types, (d, s = d * sum) for Q8_1-style.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/weight_layout.h"

namespace rocmforge::backend::gpu {

// Which activation quantisation the CPU pairs with each weight type.
enum class ActFormat : int {
  kF32,   // used as is
  kF16,   // rounded to half
  kBF16,  // rounded to bfloat16
  kQ8,    // int8 quants per 32, (d, sum(q)): Q8_0 semantics
  kQ8S,   // int8 quants per 32, (d, d * sum(q)) rounded to half: Q8_1 semantics
};

namespace detail {

__device__ __forceinline__ uint4 load16(const uint8_t* p) { return *reinterpret_cast<const uint4*>(p); }

__device__ __forceinline__ float scale_at(const uint8_t* row, int64_t nb, gguf::GgmlType type, int64_t b, int i) {
  const BlockRegions r = block_regions(type);
  const uint16_t* s = reinterpret_cast<const uint16_t*>(row + row_regions(type, nb).scale + b * r.scale);
  return f16_to_f32(s[i]);
}

// Bit 4 of each of 4 bytes, from bits j..j+3 of qh.
__device__ __forceinline__ int high_bit_bytes(uint32_t qh, int j) {
  const uint32_t h = qh >> j;
  return static_cast<int>(((h & 1u) << 4) | ((h & 2u) << 11) | ((h & 4u) << 18) | ((h & 8u) << 25));
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
    const QBlock blk = load(row, nb, b);
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      const int word = h != 0 ? blk.q[4 + i / 4] : blk.q[i / 4];
      v[i] = blk.d * static_cast<float>(static_cast<int8_t>((word >> (8 * (i % 4))) & 0xFF));
    }
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
    halves_to_floats<kBf16>(load16(a), y);
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
