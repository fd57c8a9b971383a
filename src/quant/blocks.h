// ggml's block layouts (ggml-common.h), byte for byte. Every block type holds
// kBlockElems = 32 elements; scales are IEEE halves stored as raw bits.
//
// Element order inside a block (what the reference code and every kernel rely on):
//   Q4_*: element j (j < 16) is the low nibble of qs[j], element j + 16 its high nibble.
//   Q5_*: the same nibbles, plus bit j of the little-endian 32-bit qh as bit 4 of element j.
//   Q8_*: element j is qs[j].
//   IQ4_NL: as Q4_*, each nibble an index into kIQ4Values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rocmforge::quant {

inline constexpr int kBlockElems = 32;

struct BlockQ4_0 {  // x = d * (q - 8)
  uint16_t d;
  uint8_t qs[16];
};

struct BlockQ4_1 {  // x = d * q + m
  uint16_t d;
  uint16_t m;
  uint8_t qs[16];
};

struct BlockQ5_0 {  // x = d * (q - 16)
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[16];
};

struct BlockQ5_1 {  // x = d * q + m
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[16];
};

struct BlockQ8_0 {  // x = d * q
  uint16_t d;
  int8_t qs[32];
};

struct BlockQ8_1 {  // x = d * q; s = d * sum(q), used by the Q4_1/Q5_1 dot products
  uint16_t d;
  uint16_t s;
  int8_t qs[32];
};

struct BlockIQ4_NL {  // x = d * kIQ4Values[q], the nibbles as in Q4_0
  uint16_t d;
  uint8_t qs[16];
};

// IQ4_NL's and IQ4_XS's 16 non-linear levels (ggml's kvalues_iq4nl).
inline constexpr int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

static_assert(sizeof(BlockQ4_0) == 18 && offsetof(BlockQ4_0, qs) == 2);
static_assert(sizeof(BlockQ4_1) == 20 && offsetof(BlockQ4_1, qs) == 4);
static_assert(sizeof(BlockQ5_0) == 22 && offsetof(BlockQ5_0, qh) == 2 && offsetof(BlockQ5_0, qs) == 6);
static_assert(sizeof(BlockQ5_1) == 24 && offsetof(BlockQ5_1, qh) == 4 && offsetof(BlockQ5_1, qs) == 8);
static_assert(sizeof(BlockQ8_0) == 34 && offsetof(BlockQ8_0, qs) == 2);
static_assert(sizeof(BlockQ8_1) == 36 && offsetof(BlockQ8_1, qs) == 4);
static_assert(sizeof(BlockIQ4_NL) == 18 && offsetof(BlockIQ4_NL, qs) == 2);

}  // namespace rocmforge::quant
