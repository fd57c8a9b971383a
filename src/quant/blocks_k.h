// ggml's super-block layouts (ggml-common.h), byte for byte: K-quants, their
// Q8_K activations and IQ4_XS, each block holding kSuperElems = 256 elements.
// Scales are IEEE halves stored as raw bits (Q8_K's d is a float).
//
// Element order (what the reference code and every kernel rely on):
//   Q2_K: 16 sub-blocks of 16 with 4-bit scale (low nibble of scales[i]) and
//     min (high nibble); element 128h + 32s + l (l < 32) is bits 2s..2s+1 of
//     qs[32h + l], in sub-block 8h + 2s + l / 16. x = d * sc * q - dmin * m.
//   Q3_K: the same 2-bit layout in qs, plus bit 4h + s of hmask[l] (the 3rd
//     bit, set for q >= 4); x = d * (sc - 32) * (q - 4), 6-bit scales packed
//     in 12 bytes (scale_q3_k() unpacks them).
//   Q4_K/Q5_K: 8 sub-blocks of 32; element 64h + l (l < 32) is the low nibble
//     of qs[32h + l], element 64h + 32 + l its high nibble; Q5_K adds bit
//     2h (resp. 2h + 1) of qh[l] as bit 4. x = d * sc * q - dmin * m with
//     6-bit scales and mins packed in 12 bytes (scale_min_k4() unpacks them).
//   Q6_K: 16 sub-blocks of 16 (int8 scales); element 128h + 32s + l has its
//     low 4 bits in ql[64h + 32 * (s & 1) + l] (low nibble for s < 2, high
//     for s >= 2) and its high 2 bits at bits 2s..2s+1 of qh[32h + l];
//     x = d * sc * (q - 32).
//   IQ4_XS: 8 sub-blocks of 32 in IQ4_NL's nibble layout (element 32b + j is
//     the low nibble of qs[16b + j] for j < 16, the high one of qs[16b + j - 16]
//     after), 6-bit scale ls = low/high nibble of scales_l[b / 2] | 2 bits of
//     scales_h << 4; x = d * (ls - 32) * kIQ4Values[q].
//   Q8_K: element j is qs[j]; bsums[i] = sum of qs[16i .. 16i + 15].
#pragma once

#include <cstddef>
#include <cstdint>

namespace rocmforge::quant {

inline constexpr int kSuperElems = 256;

struct BlockQ2_K {
  uint8_t scales[16];  // low nibble: scale, high nibble: min
  uint8_t qs[64];
  uint16_t d;
  uint16_t dmin;
};

struct BlockQ3_K {
  uint8_t hmask[32];
  uint8_t qs[64];
  uint8_t scales[12];
  uint16_t d;
};

struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[128];
};

struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};

struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};

struct BlockQ8_K {
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};

struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[4];
  uint8_t qs[128];
};

static_assert(sizeof(BlockQ2_K) == 84 && offsetof(BlockQ2_K, d) == 80);
static_assert(sizeof(BlockQ3_K) == 110 && offsetof(BlockQ3_K, scales) == 96 && offsetof(BlockQ3_K, d) == 108);
static_assert(sizeof(BlockQ4_K) == 144 && offsetof(BlockQ4_K, qs) == 16);
static_assert(sizeof(BlockQ5_K) == 176 && offsetof(BlockQ5_K, qh) == 16 && offsetof(BlockQ5_K, qs) == 48);
static_assert(sizeof(BlockQ6_K) == 210 && offsetof(BlockQ6_K, scales) == 192 && offsetof(BlockQ6_K, d) == 208);
static_assert(sizeof(BlockQ8_K) == 292 && offsetof(BlockQ8_K, bsums) == 260);
static_assert(sizeof(BlockIQ4_XS) == 136 && offsetof(BlockIQ4_XS, qs) == 8);

// The helpers are always inlined: an out-of-line copy made in a file built
// with -mavx512f could otherwise be the one the linker keeps.

// The j-th (j < 8) 6-bit scale and min of a Q4_K/Q5_K block (ggml's get_scale_min_k4).
[[gnu::always_inline]] inline void scale_min_k4(int j, const uint8_t* q, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// The 16 signed scales (-32..31) of a Q3_K block.
[[gnu::always_inline]] inline void scales_q3_k(const uint8_t* packed, int8_t* scales) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

}  // namespace rocmforge::quant
