// IEEE half (fp16) and bfloat16 <-> fp32 conversions.
//
// The scalar conversions are integer-only so they give the same bits in every
// translation unit whatever its compiler flags: fp32 -> fp16 rounds to nearest
// even exactly as the F16C instruction (vcvtps2ph, imm 0) does, NaNs included;
// fp32 -> bf16 is ggml's GGML_FP32_TO_BF16 (round to nearest even, NaNs made
// quiet, subnormals kept). They are always inlined: an out-of-line copy made in
// a file built with -mavx512f could otherwise be the one the linker keeps.
#pragma once

#include <bit>
#include <cstdint>

namespace rocmforge::quant {

[[gnu::always_inline]] constexpr uint16_t fp32_to_fp16(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));  // quiet NaN
  if (ax >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520 rounds to infinity
  if (ax >= 0x38800000u) {                                              // a normal half
    const uint32_t rebiased = ax - 0x38000000u;                         // exponent bias 127 -> 15
    return static_cast<uint16_t>(sign | ((rebiased + 0x0FFFu + ((rebiased >> 13) & 1u)) >> 13));
  }
  if (ax < 0x33000000u) return static_cast<uint16_t>(sign);  // <= 2^-25 rounds to zero
  // A subnormal half: count units of 2^-24, rounding the dropped bits to even.
  const uint32_t mantissa = (ax & 0x7FFFFFu) | 0x800000u;
  const uint32_t shift = 126u - (ax >> 23);
  const uint32_t half_unit = 1u << (shift - 1);
  const uint32_t rest = mantissa & ((half_unit << 1) - 1);
  uint32_t q = mantissa >> shift;
  if (rest > half_unit || (rest == half_unit && (q & 1u))) ++q;
  return static_cast<uint16_t>(sign | q);
}

[[gnu::always_inline]] constexpr float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;  // exact: zero or a subnormal half
  return sign ? -magnitude : magnitude;
}

[[gnu::always_inline]] constexpr uint16_t fp32_to_bf16(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 64u);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

[[gnu::always_inline]] constexpr float bf16_to_fp32(uint16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

// Bulk conversions with F16C where the CPU has it (same bits as the scalar ones).
void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n);
void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n);
void convert_f32_to_bf16(const float* src, uint16_t* dst, int64_t n);

}  // namespace rocmforge::quant
