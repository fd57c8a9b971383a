// How the GEMM on F16 activations (gemm_a16_kernel.cuh) turns a staged
// weight row's quants into tensor-core A fragments of F16 weights.
//
// mma.m16n8k16's A fragment (16 rows by 16 k): lane (g = lane / 4, t =
// lane % 4) holds the k pairs 2t, 2t + 1 and 2t + 8, 2t + 9 of rows g and
// g + 8, each pair one f16x2 word. A 32-element unit is two such k-chunks,
// elements 0..15 and 16..31 in their order (the activations' ldmatrix reads
// them so), and a lane's four pairs of a unit come from bytes 2t, 2t + 1 and
// 8 + 2t, 9 + 2t of its quants: q4_0 keeps element j in the low nibble of
// byte j and element j + 16 in its high nibble (weight_layout.h), q8_0 one
// signed byte per element.
//
// Each weight comes out as the F16 copy holds it (dequant_f16.cu rounds the
// exact f32 product d * (q - offset) to half once): the bytes are placed in
// the mantissa of 1024.0 (0x6400, whose ulp is 1), so a half subtraction
// (or an exact FMA for nibbles left 4 bits up) gives q - offset exactly, and
// one half multiplication by d rounds the exact product once, to nearest even,
// subnormals kept, as __float2half_rn does, zeros' signs included.
#pragma once

#include <cstdint>
#include <cstring>

#include "backend/gpu/compat.cuh"
#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {
namespace detail {

__device__ __forceinline__ __half2 h2_bits(uint32_t u) {
  __half2 h;
  memcpy(&h, &u, sizeof(h));
  return h;
}
__device__ __forceinline__ uint32_t bits_h2(__half2 h) {
  uint32_t u;
  memcpy(&u, &h, sizeof(u));
  return u;
}

// Half constants as bits (both halves).
inline constexpr uint32_t kHalf1024 = 0x64006400u;      // 1024: a byte or low nibble ORed in is 1024 + q
inline constexpr uint32_t kHalfQ4Low = 0x64086408u;     // 1032: 1024 + q4_0's offset 8
inline constexpr uint32_t kHalfSixteenth = 0x2C002C00u;  // 1 / 16
inline constexpr uint32_t kHalfQ4High = 0xD480D480u;    // -72: (1024 + 16 q) / 16 - 72 = q - 8
inline constexpr uint32_t kHalfQ8 = 0x64806480u;        // 1152: 1024 + q8_0's byte offset 128

}  // namespace detail

// A16Unpack<T>::unit(qs, d2, t, f): unit quants `qs` (kQsBytes staged bytes)
// with scale d2 (the f16 bits of d in both halves) to lane t's words:
// f[c][0] holds elements 16c + 2t, +1, f[c][1] elements 16c + 8 + 2t, +1.
template <gguf::GgmlType T>
struct A16Unpack;

template <>
struct A16Unpack<gguf::GgmlType::kQ4_0> {
  static constexpr int kQsBytes = 16;
  __device__ static void unit(const uint8_t* qs, uint32_t d2, int t, uint32_t (&f)[2][2]) {
    // Bytes 2t, 2t + 1 sit in word t / 2, bytes 8 + 2t, 9 + 2t in word 2 + t / 2, both at half t % 2.
    const uint32_t lo = *reinterpret_cast<const uint32_t*>(qs + 4 * (t / 2));
    const uint32_t hi = *reinterpret_cast<const uint32_t*>(qs + 8 + 4 * (t / 2));
    // r = bytes [2t, 8 + 2t, 2t + 1, 9 + 2t]: the pairs' nibbles at bits 0 and 16, or 8 and 24.
    const uint32_t r = __byte_perm(lo, hi, t % 2 != 0 ? 0x7362 : 0x5140);
    const __half2 d = detail::h2_bits(d2);
    const __half2 low_offset = detail::h2_bits(detail::kHalfQ4Low);
    const __half2 sixteenth = detail::h2_bits(detail::kHalfSixteenth);
    const __half2 high_offset = detail::h2_bits(detail::kHalfQ4High);
    // The copy's d * q + (-8 d) is +0 for q = 8, where d * (q - 8) would be
    // -0 for a negative d: + 0 makes it +0 and changes nothing else.
    const __half2 zero = detail::h2_bits(0u);
    const uint32_t pairs[2] = {r, r >> 8};
#pragma unroll
    for (int s = 0; s < 2; ++s) {
      const __half2 low = detail::h2_bits((pairs[s] & 0x000F000Fu) | detail::kHalf1024);
      const __half2 high = detail::h2_bits((pairs[s] & 0x00F000F0u) | detail::kHalf1024);
      f[0][s] = detail::bits_h2(__hfma2(__hsub2(low, low_offset), d, zero));
      f[1][s] = detail::bits_h2(__hfma2(__hfma2(high, sixteenth, high_offset), d, zero));
    }
  }
};

template <>
struct A16Unpack<gguf::GgmlType::kQ8_0> {
  static constexpr int kQsBytes = 32;
  __device__ static void unit(const uint8_t* qs, uint32_t d2, int t, uint32_t (&f)[2][2]) {
    // A pair's two bytes sit in one word, at its half t % 2: they go under
    // 0x64 bytes, their sign bits flipped, for 1024 + (q + 128). The copy's
    // d * q is -0 for q = 0 and a negative d, as the half product is.
    const uint32_t select = t % 2 != 0 ? 0x4342 : 0x4140;
    const __half2 d = detail::h2_bits(d2);
    const __half2 offset = detail::h2_bits(detail::kHalfQ8);
#pragma unroll
    for (int c = 0; c < 2; ++c) {
#pragma unroll
      for (int s = 0; s < 2; ++s) {
        const uint32_t word = *reinterpret_cast<const uint32_t*>(qs + 16 * c + 8 * s + 4 * (t / 2));
        const __half2 q = detail::h2_bits(__byte_perm(word, 0x64u, select) ^ 0x00800080u);
        f[c][s] = detail::bits_h2(__hmul2(__hsub2(q, offset), d));
      }
    }
  }
};

}  // namespace rocmforge::backend::gpu
