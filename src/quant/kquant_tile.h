// The tile drivers of the 256-element types (K-quants, IQ4_XS) on 256-bit
// vectors, shared by the AVX2 and AVX-512 files (in an anonymous namespace:
// each file gets its own copy, built with its own flags; see
// tile_dispatch.h). Their float operations are those of dot_scalar_k.cpp,
// which documents each order.
//
// A super-block's integer work is the same for every order: per chunk of 32
// elements, vpmaddubsw of the quants (u8) with the activations (s8) and
// vpmaddwd with the chunk's two 16-element sub-block scales give 8 int32
// lanes of 4 elements each (no saturation: quants < 64, or |quant| <= 127
// with activations' signs applied for signed types). KVecDotTile keeps those
// 8 lanes per output and follows ggml_vec_dot_*_q8_K; KSerialTile reduces the
// lanes of a group into one chain per output, as the repacked gemm/gemv and
// the IQ panel do.
//
// F (format): kBytes; kMin (route.h); kOffsetInSums (Q6_K: -32 through the
// activation sums); kQuant: how quants meet activations (unsigned, signed,
// or stored + 4); load(block) -> Block (its 16 sub-block scales as bytes,
// mins, d, dmin); quants(block, chunk) -> 32 quants.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "quant/blocks_k.h"
#include "quant/quant_tile.h"
#include "quant/route.h"

namespace rocmforge::quant::detail {
namespace {

enum class Quant { kUnsigned, kSigned, kPlus4 };

// A super-block of one weight row, decoded once for all columns.
struct KBlock {
  const uint8_t* p;  // the block's bytes
  __m128i scales;    // the 16 sub-blocks' scales (int8; 32-element scales twice)
  __m128i mins;      // the 16 sub-blocks' mins (Q2_K, Q4_K, Q5_K; 32-element mins twice)
  float d;
  float dmin;
  __m256i by_chunk = _mm256_setzero_si256();  // filled by load_block(): the scales as int16, even
                                              // sub-blocks in the low half, odd ones in the high half
};

// A row's super-block, decoded once for all columns.
template <class F>
[[gnu::always_inline]] inline KBlock load_block(const uint8_t* p) {
  KBlock b = F::load(p);
  const __m128i even_odd = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  b.by_chunk = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(b.scales, even_odd));
  return b;
}

// Q8_K activations: d, then 256 quants, then 16 bsums.
constexpr int kQ8KQuants = 4;
constexpr int kQ8KSums = 4 + 256;

inline float q8k_d(const uint8_t* a) {
  float d;
  __builtin_memcpy(&d, a, sizeof(d));
  return d;
}

// The scales of chunk k as 16-bit lanes: sub-block 2k for lanes 0..7, 2k + 1 for 8..15.
[[gnu::always_inline]] inline __m256i chunk_scales(__m256i by_chunk, int k) {
  return _mm256_shuffle_epi8(by_chunk, _mm256_set1_epi16(static_cast<int16_t>((2 * k) | ((2 * k + 1) << 8))));
}

// Per-column data of one activation chunk: the quants, and for kPlus4 the
// 16-bit pair sums times 4 that the stored quants' +4 adds.
struct KColumn {
  __m256i aq;
  __m256i plus4;
};

template <class F>
[[gnu::always_inline]] inline KColumn k_column(const uint8_t* a, int k) {
  const __m256i aq = load256(a + kQ8KQuants + 32 * k);
  if constexpr (F::kQuant == Quant::kPlus4) return {aq, _mm256_maddubs_epi16(_mm256_set1_epi8(4), aq)};
  return {aq, aq};
}

// 16-bit pair sums of quants times activations.
template <class F>
[[gnu::always_inline]] inline __m256i pair_dots(__m256i wq, const KColumn& col) {
  if constexpr (F::kQuant == Quant::kSigned) {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(col.aq, wq));
  } else if constexpr (F::kQuant == Quant::kPlus4) {
    return _mm256_sub_epi16(_mm256_maddubs_epi16(wq, col.aq), col.plus4);
  }
  return _mm256_maddubs_epi16(wq, col.aq);
}

// sumi[r][c] += the scaled lanes of chunk k.
template <class L, class F, int R, int C>
[[gnu::always_inline]] inline void k_chunk(const KBlock (&wb)[R], const uint8_t* a, size_t as, int k,
                                           __m256i (&sumi)[R][C]) {
  __m256i wq[R];
  __m256i sc[R];
  for (int r = 0; r < R; ++r) {
    wq[r] = F::quants(wb[r], k);
    sc[r] = chunk_scales(wb[r].by_chunk, k);
  }
  for (int c = 0; c < C; ++c) {
    const KColumn col = k_column<F>(a + c * as, k);
    for (int r = 0; r < R; ++r) sumi[r][c] = L::scaled_sum(sumi[r][c], pair_dots<F>(wq[r], col), sc[r]);
  }
}

// The mins times the activations' 16-element sums, 2 sub-blocks a lane.
inline __m256i min_lanes(__m128i mins, const uint8_t* a) {
  return _mm256_madd_epi16(_mm256_cvtepi8_epi16(mins), load256(a + kQ8KSums));
}

template <class L, class F, int R, int C>
struct KVecDotTile {
  static constexpr int kMaxAcc = L::kMaxAcc;

  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if constexpr (R * C > kMaxAcc && R > 1) {
      KVecDotTile<L, F, R / 2, C>::run(n, w, ws, a, as, out, os);
      KVecDotTile<L, F, R - R / 2, C>::run(n, w + (R / 2) * ws, ws, a, as, out + (R / 2) * os, os);
    } else if constexpr (R * C > kMaxAcc) {
      KVecDotTile<L, F, R, C / 2>::run(n, w, ws, a, as, out, os);
      KVecDotTile<L, F, R, C - C / 2>::run(n, w, ws, a + (C / 2) * as, as, out + C / 2, os);
    } else {
      tile(n, w, ws, a, as, out, os);
    }
  }

  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    alignas(32) float acc[R][C][8] = {};
    __m128 accm[R][C];  // Q4_K's 4 lanes of mins
    float summs[R][C] = {};
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) accm[r][c] = _mm_setzero_ps();
    }
    const NextTile<R, C> next(w, ws, n / kSuperElems);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
      next.fetch(b);
      KBlock wb[R];
      for (int r = 0; r < R; ++r) wb[r] = load_block<F>(w + r * ws + b * F::kBytes);
      const uint8_t* ab = a + b * static_cast<int64_t>(sizeof(BlockQ8_K));
      __m256i sumi[R][C];
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) sumi[r][c] = _mm256_setzero_si256();
      }
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) k_chunk<L, F, R, C>(wb, ab, as, k, sumi);
      for (int c = 0; c < C; ++c) {
        const uint8_t* ac = ab + c * as;
        for (int r = 0; r < R; ++r) finish_block(wb[r], ac, sumi[r][c], acc[r][c], accm[r][c], summs[r][c]);
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        float s = hsum(_mm256_load_ps(acc[r][c]));
        if constexpr (F::kMin == Min::kFour) {
          __m128 m = _mm_add_ps(accm[r][c], _mm_movehl_ps(accm[r][c], accm[r][c]));
          s += _mm_cvtss_f32(_mm_add_ss(m, _mm_movehdup_ps(m)));
        }
        if constexpr (F::kMin == Min::kScalar) s += summs[r][c];
        out[r * os + c] = s;
      }
    }
  }

  // One super-block's float work for one output (see dot_scalar_k.cpp).
  [[gnu::always_inline]] static void finish_block(const KBlock& wb, const uint8_t* a, __m256i sumi, float (&acc)[8],
                                                  __m128& accm, float& summs) {
    const float da = q8k_d(a);
    __m256 lanes = _mm256_load_ps(acc);
    if constexpr (F::kMin != Min::kNone) {
      const float dmin = -da * wb.dmin;
      const __m256i prod = min_lanes(wb.mins, a);
      if constexpr (F::kMin == Min::kInLanes) {
        lanes = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(prod), lanes);
      } else {
        // Lane j of prod holds sub-block j's min times its 32-element sum: pairs of lanes make llama.cpp's 4.
        const __m128i four = _mm_hadd_epi32(_mm256_castsi256_si128(prod), _mm256_extracti128_si256(prod, 1));
        if constexpr (F::kMin == Min::kFour) {
          accm = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(four), accm);
        } else {
          const __m128i two = _mm_hadd_epi32(four, four);
          const int total = _mm_cvtsi128_si32(_mm_hadd_epi32(two, two));
          summs = __builtin_fmaf(static_cast<float>(total), dmin, summs);
        }
      }
    }
    if constexpr (F::kOffsetInSums) {
      const __m256i sums = load256(a + kQ8KSums);
      sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(_mm256_madd_epi16(sums, _mm256_cvtepi8_epi16(wb.scales)), 5));
    }
    lanes = _mm256_fmadd_ps(_mm256_set1_ps(da * wb.d), _mm256_cvtepi32_ps(sumi), lanes);
    _mm256_store_ps(acc, lanes);
  }
};

// kGroup elements per float step: 256 (gemv, panel), 64 or 128 (gemm).
template <class L, class F, int kGroup, int R, int C>
struct KSerialTile {
  static constexpr int kChunks = kGroup / 32;
  static constexpr int kMaxAcc = L::kMaxAcc;

  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    if constexpr (R * C > kMaxAcc && R > 1) {
      KSerialTile<L, F, kGroup, R / 2, C>::run(n, w, ws, a, as, out, os);
      KSerialTile<L, F, kGroup, R - R / 2, C>::run(n, w + (R / 2) * ws, ws, a, as, out + (R / 2) * os, os);
    } else if constexpr (R * C > kMaxAcc) {
      KSerialTile<L, F, kGroup, R, C / 2>::run(n, w, ws, a, as, out, os);
      KSerialTile<L, F, kGroup, R, C - C / 2>::run(n, w, ws, a + (C / 2) * as, as, out + C / 2, os);
    } else {
      tile(n, w, ws, a, as, out, os);
    }
  }

  static constexpr int kGroups = kSuperElems / kGroup;

  static void tile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    __m128 acc[C];   // rows in lanes
    __m128 accm[C];  // the min chain
    for (int c = 0; c < C; ++c) acc[c] = accm[c] = _mm_setzero_ps();
    const NextTile<R, C> next(w, ws, n / kSuperElems);
    for (int64_t b = 0; b < n / kSuperElems; ++b) {
      next.fetch(b);
      KBlock wb[R];
      for (int r = 0; r < R; ++r) wb[r] = load_block<F>(w + r * ws + b * F::kBytes);
      const uint8_t* ab = a + b * static_cast<int64_t>(sizeof(BlockQ8_K));
      __m128 scale[C];                // dw * da, rows in lanes
      __m128 min_scale[C];            // dmin * da
      __m128i group_mins[C][kGroups];  // the integer min term of each group
      for (int c = 0; c < C; ++c) column_setup(wb, ab + c * as, scale[c], min_scale[c], group_mins[c]);
      for (int g = 0; g < kGroups; ++g) {
        __m256i sumi[R][C];
        for (int r = 0; r < R; ++r) {
          for (int c = 0; c < C; ++c) sumi[r][c] = _mm256_setzero_si256();
        }
#pragma GCC unroll 8
        for (int k = 0; k < kChunks; ++k) k_chunk<L, F, R, C>(wb, ab, as, g * kChunks + k, sumi);
        for (int c = 0; c < C; ++c) {
          __m256i dots[4];
          for (int r = 0; r < 4; ++r) dots[r] = r < R ? sumi[r][c] : _mm256_setzero_si256();
          acc[c] = _mm_fmadd_ps(_mm_cvtepi32_ps(reduce4(dots)), scale[c], acc[c]);
          if constexpr (F::kMin != Min::kNone) {
            accm[c] = _mm_fmadd_ps(_mm_cvtepi32_ps(group_mins[c][g]), min_scale[c], accm[c]);
          }
        }
      }
    }
    for (int c = 0; c < C; ++c) {
      alignas(16) float v[4];
      _mm_store_ps(v, _mm_sub_ps(acc[c], accm[c]));
      for (int r = 0; r < R; ++r) out[r * os + c] = v[r];
    }
  }

  // One column's float scales and the min term of every group, rows in lanes.
  [[gnu::always_inline]] static void column_setup(const KBlock (&wb)[R], const uint8_t* a, __m128& scale,
                                                  __m128& min_scale, __m128i (&group_mins)[kGroups]) {
    alignas(16) float d[4] = {};
    alignas(16) float dmin[4] = {};
    __m256i mins[4];  // lane l: sub-blocks 2l and 2l + 1
    for (int r = 0; r < 4; ++r) mins[r] = _mm256_setzero_si256();
    for (int r = 0; r < R; ++r) {
      d[r] = wb[r].d;
      dmin[r] = wb[r].dmin;
      if constexpr (F::kMin != Min::kNone) mins[r] = min_lanes(wb[r].mins, a);
    }
    const __m128 da = _mm_set1_ps(q8k_d(a));
    scale = _mm_mul_ps(_mm_load_ps(d), da);
    min_scale = _mm_mul_ps(_mm_load_ps(dmin), da);
    if constexpr (F::kMin == Min::kNone) return;
    if constexpr (kGroups == 1) {
      group_mins[0] = reduce4(mins);
    } else if constexpr (kGroups == 2) {  // lanes 0..3 and 4..7
      const __m256i x = _mm256_add_epi32(_mm256_unpacklo_epi32(mins[0], mins[1]), _mm256_unpackhi_epi32(mins[0], mins[1]));
      const __m256i y = _mm256_add_epi32(_mm256_unpacklo_epi32(mins[2], mins[3]), _mm256_unpackhi_epi32(mins[2], mins[3]));
      const __m256i z = _mm256_add_epi32(_mm256_unpacklo_epi64(x, y), _mm256_unpackhi_epi64(x, y));
      group_mins[0] = _mm256_castsi256_si128(z);
      group_mins[1] = _mm256_extracti128_si256(z, 1);
    } else {  // 4 groups: pairs of lanes
      const __m256 x = _mm256_castsi256_ps(_mm256_hadd_epi32(mins[0], mins[1]));
      const __m256 y = _mm256_castsi256_ps(_mm256_hadd_epi32(mins[2], mins[3]));
      const __m256i even = _mm256_castps_si256(_mm256_shuffle_ps(x, y, 0x88));  // groups 0 | 2
      const __m256i odd = _mm256_castps_si256(_mm256_shuffle_ps(x, y, 0xDD));   // groups 1 | 3
      group_mins[0] = _mm256_castsi256_si128(even);
      group_mins[1] = _mm256_castsi256_si128(odd);
      group_mins[2] = _mm256_extracti128_si256(even, 1);
      group_mins[3] = _mm256_extracti128_si256(odd, 1);
    }
  }
};

// ---- formats ------------------------------------------------------------------

inline __m256i nibble_chunk(const uint8_t* qs, int k) {  // Q4_K/Q5_K: chunk k's 4 low bits
  const __m256i v = load256(qs + 32 * (k / 2));
  return _mm256_and_si256(k % 2 == 0 ? v : _mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F));
}

inline __m256i crumb_chunk(const uint8_t* qs, int k) {  // Q2_K/Q3_K: chunk k's 2 low bits
  return _mm256_and_si256(_mm256_srli_epi16(load256(qs + 32 * (k / 4)), 2 * (k % 4)), _mm256_set1_epi8(3));
}

inline __m256i bit_chunk(const uint8_t* bits, int k, int shift) {  // bit k of 32 bytes, moved to `shift`
  return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(load256(bits), k), _mm256_set1_epi8(1)), shift);
}

inline uint32_t u32_at(const uint8_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

// Q4_K/Q5_K: 8 scales and 8 mins (6 bits, packed in 12 bytes), each doubled to 16.
inline void k4_scales(const uint8_t* packed, KBlock& blk) {
  constexpr uint32_t kLow6 = 0x3F3F3F3F, kLow4 = 0x0F0F0F0F, kLow2 = 0x03030303;
  const uint32_t q0 = u32_at(packed), q1 = u32_at(packed + 4), q2 = u32_at(packed + 8);
  const __m128i sm = _mm_setr_epi32(static_cast<int>(q0 & kLow6),
                                    static_cast<int>((q2 & kLow4) | (((q0 >> 6) & kLow2) << 4)),
                                    static_cast<int>(q1 & kLow6),
                                    static_cast<int>(((q2 >> 4) & kLow4) | (((q1 >> 6) & kLow2) << 4)));
  blk.scales = _mm_unpacklo_epi8(sm, sm);
  blk.mins = _mm_unpackhi_epi8(sm, sm);
}

struct Q2_KS {
  static constexpr int kBytes = sizeof(BlockQ2_K);
  static constexpr Min kMin = Min::kInLanes;
  static constexpr bool kOffsetInSums = false;
  static constexpr Quant kQuant = Quant::kUnsigned;
  static KBlock load(const uint8_t* p) {
    const __m128i packed = load128(p);
    return {p, _mm_and_si128(packed, _mm_set1_epi8(0x0F)), _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)),
            half_at(p + 80), half_at(p + 82)};
  }
  static __m256i quants(const KBlock& b, int k) { return crumb_chunk(b.p + 16, k); }
};

struct Q3_KS {
  static constexpr int kBytes = sizeof(BlockQ3_K);
  static constexpr Min kMin = Min::kNone;
  static constexpr bool kOffsetInSums = false;
  static constexpr Quant kQuant = Quant::kPlus4;
  static KBlock load(const uint8_t* p) {
    constexpr uint32_t kLow4 = 0x0F0F0F0F, kLow2 = 0x03030303;
    const uint32_t a0 = u32_at(p + 96), a1 = u32_at(p + 100), a2 = u32_at(p + 104);
    const __m128i scales = _mm_setr_epi32(static_cast<int>((a0 & kLow4) | ((a2 & kLow2) << 4)),
                                          static_cast<int>((a1 & kLow4) | (((a2 >> 2) & kLow2) << 4)),
                                          static_cast<int>(((a0 >> 4) & kLow4) | (((a2 >> 4) & kLow2) << 4)),
                                          static_cast<int>(((a1 >> 4) & kLow4) | (((a2 >> 6) & kLow2) << 4)));
    return {p, _mm_sub_epi8(scales, _mm_set1_epi8(32)), _mm_setzero_si128(), half_at(p + 108), 0.0f};
  }
  // The stored 2 bits plus 4 where the high bit is set: the quant + 4.
  static __m256i quants(const KBlock& b, int k) { return _mm256_or_si256(crumb_chunk(b.p + 32, k), bit_chunk(b.p, k, 2)); }
};

struct Q4_KS {
  static constexpr int kBytes = sizeof(BlockQ4_K);
  static constexpr Min kMin = Min::kFour;
  static constexpr bool kOffsetInSums = false;
  static constexpr Quant kQuant = Quant::kUnsigned;
  static KBlock load(const uint8_t* p) {
    KBlock b{p, {}, {}, half_at(p), half_at(p + 2)};
    k4_scales(p + 4, b);
    return b;
  }
  static __m256i quants(const KBlock& b, int k) { return nibble_chunk(b.p + 16, k); }
};

struct Q5_KS : Q4_KS {
  static constexpr int kBytes = sizeof(BlockQ5_K);
  static constexpr Min kMin = Min::kScalar;
  static __m256i quants(const KBlock& b, int k) {
    return _mm256_or_si256(nibble_chunk(b.p + 48, k), bit_chunk(b.p + 16, k, 4));
  }
};

struct Q6_KS {
  static constexpr int kBytes = sizeof(BlockQ6_K);
  static constexpr Min kMin = Min::kNone;
  static constexpr bool kOffsetInSums = true;
  static constexpr Quant kQuant = Quant::kUnsigned;
  static KBlock load(const uint8_t* p) { return {p, load128(p + 192), _mm_setzero_si128(), half_at(p + 208), 0.0f}; }
  static __m256i quants(const KBlock& b, int k) {
    const int h = k / 4;
    const int s = k % 4;
    const __m256i ql = load256(b.p + 64 * h + 32 * (s & 1));
    const __m256i low = _mm256_and_si256(s < 2 ? ql : _mm256_srli_epi16(ql, 4), _mm256_set1_epi8(0x0F));
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(load256(b.p + 128 + 32 * h), 2 * s), _mm256_set1_epi8(3));
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
  }
};

struct IQ4_XSS {
  static constexpr int kBytes = sizeof(BlockIQ4_XS);
  static constexpr Min kMin = Min::kNone;
  static constexpr bool kOffsetInSums = false;
  static constexpr Quant kQuant = Quant::kSigned;
  static KBlock load(const uint8_t* p) {
    // ls = nibble ib of scales_l | bits 2ib.. of scales_h << 4, for ib < 8; each twice.
    const __m128i low_bytes = _mm_cvtsi32_si128(static_cast<int>(u32_at(p + 4)));
    const __m128i low = _mm_and_si128(_mm_unpacklo_epi8(low_bytes, _mm_srli_epi16(low_bytes, 4)), _mm_set1_epi8(0x0F));
    const __m256i high32 = _mm256_and_si256(
        _mm256_srlv_epi32(_mm256_set1_epi32(p[2] | (p[3] << 8)), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
        _mm256_set1_epi32(3));
    const __m128i high16 = _mm_packus_epi32(_mm256_castsi256_si128(high32), _mm256_extracti128_si256(high32, 1));
    const __m128i high = _mm_packus_epi16(high16, high16);
    const __m128i ls = _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(high, 4)), _mm_set1_epi8(32));
    return {p, _mm_unpacklo_epi8(ls, ls), _mm_setzero_si128(), half_at(p), 0.0f};
  }
  static __m256i quants(const KBlock& b, int k) {
    const __m256i levels = _mm256_broadcastsi128_si256(load128(reinterpret_cast<const uint8_t*>(kIQ4Values)));
    return _mm256_shuffle_epi8(levels, nibbles(b.p + 8 + 16 * k));
  }
};

// Kernel sets (see tile_dispatch.h): vec_dot for every route but the repacked one.
template <class L, class F>
struct KVecDotSet {
  template <int R, int C>
  using VecDot = KVecDotTile<L, F, R, C>;
  template <int R, int C>
  using Batched = VecDot<R, C>;
  template <int R, int C>
  using Repacked = VecDot<R, C>;
};

// The repacked gemm (4-column tiles: full token groups) and gemv.
template <class L, class F, int kGemmGroup>
struct KRepackedSet : KVecDotSet<L, F> {
  template <int R, int C>
  using Repacked = KSerialTile<L, F, C == kMaxTile ? kGemmGroup : kSuperElems, R, C>;
};

// L (level): kMaxAcc (integer accumulators a tile may keep), scaled_sum(acc,
// pairs, scales) -> acc + the 16-bit pairs times the scales, pairwise summed.
template <class L>
struct KSets {
  using Q2_K = KRepackedSet<L, Q2_KS, 128>;
  using Q3_K = KVecDotSet<L, Q3_KS>;
  using Q4_K = KRepackedSet<L, Q4_KS, 64>;
  using Q5_K = KVecDotSet<L, Q5_KS>;
  using Q6_K = KVecDotSet<L, Q6_KS>;
  using IQ4_XS = KRepackedSet<L, IQ4_XSS, kSuperElems>;
};

}  // namespace
}  // namespace rocmforge::quant::detail
