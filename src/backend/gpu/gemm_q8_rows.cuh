// How the quantised GEMM (gemm_q8_kernel.cuh) stages weight
// rows in shared memory and reads its tensor-core fragments out of them.
//
// A k-step covers kQ8GemmStep elements, 8 32-element units of a row (one
// 256-element block of the K-quants). Each region of the row's device layout
// (weight_layout.h: qs, qh, sub, scale) holds the step's bytes in one run,
// but some regions start only 2- or 4-byte aligned, and cp.async moves 16
// aligned bytes: a region is staged as the 16-byte aligned chunks that cover
// its run (a window) and read at the run's offset inside it. A 16-byte
// aligned chunk that starts before a region's end lies inside the row (rows
// are padded to 16 bytes), so no window reads past the weight.
//
// The weights are the A operand of mma.m16n8k32 (16 rows by 32 elements):
// lane (g = lane / 4, t = lane % 4) holds elements 4t..4t+3 ("group t") and
// 16+4t..16+4t+3 (group t + 4) of rows g and g + 8. Both groups of a unit sit
// in one 32-bit word of each of its bit planes (weight_layout.h), in q4_0's
// nibble word t, or in words t and t + 4 of q8_0, so a lane reads one or two
// words per plane and row. Quants come out as stored (unsigned, the types'
// offset not taken off; IQ4's levels and Q8_0 signed): the kernel takes the
// offset off through the activations' sums.
#pragma once

#include <algorithm>
#include <type_traits>
#include <utility>

#include "backend/gpu/kquant_types.cuh"
#include "backend/gpu/matmul.cuh"

namespace rocmforge::backend::gpu {
namespace detail {

// One region's window in a staged row.
struct Window {
  int before = 0;     // bytes per block of the regions before it: it starts at blocks * before
  int per_block = 0;  // its bytes per block
  int step = 0;       // its bytes per k-step
  int align = 16;     // a power of two (16 at most) dividing every step's first byte
  int first = 0;      // its first 16-byte chunk in the staged row
  int chunks = 0;     // chunks that hold a step's bytes at any of those alignments
};

constexpr int pow2_divisor(int v) {
  int a = 16;
  while (v % a != 0) a /= 2;
  return a;
}

constexpr Window window(int per_block, int before, int blocks_per_step, int first) {
  Window w{before, per_block, per_block * blocks_per_step, 16, first, 0};
  if (per_block == 0) return w;
  w.align = std::min(pow2_divisor(before), pow2_divisor(w.step));
  w.chunks = (w.step + (16 - w.align) % 16 + 15) / 16;
  return w;
}

// The traits WeightType<T> derives from, for their template arguments (declared only, for decltype).
template <class F>
F kquant_format(const KQuantType<F>&);
template <gguf::GgmlType T, bool kHigh, bool kMin, int kOffset>
std::integral_constant<int, kOffset> nibble_offset(const NibbleType<T, kHigh, kMin, kOffset>&);

template <gguf::GgmlType T>
constexpr int quant_offset() {
  if constexpr (block_regions(T).elems == kSuperBlock) {
    return decltype(kquant_format(std::declval<WeightType<T>>()))::kOffset;
  } else if constexpr (T == gguf::GgmlType::kQ8_0 || T == gguf::GgmlType::kIQ4_NL) {
    return 0;
  } else {
    return decltype(nibble_offset(std::declval<WeightType<T>>()))::value;
  }
}

__device__ __forceinline__ uint32_t load_u32(const uint8_t* p) { return *reinterpret_cast<const uint32_t*>(p); }

// 1.5 * 2^23: the float whose bits are kMagicBits + c is kMagic + c for any
// int c in [-2^22, 2^22). Integer sums that start at kMagicBits come out of
// the tensor cores as such floats; small_float converts without the
// quarter-rate int-to-float instruction.
inline constexpr int kMagicBits = 0x4B400000;
inline constexpr float kMagic = 12582912.0f;
__device__ __forceinline__ float small_float(int v) { return __int_as_float(kMagicBits + v) - kMagic; }

}  // namespace detail

template <gguf::GgmlType T>
struct Q8Rows {
  static constexpr BlockRegions kRegions = block_regions(T);
  static constexpr bool kSuper = kRegions.elems == kSuperBlock;
  static constexpr int kUnitsPerBlock = kRegions.elems / static_cast<int>(kQuantBlock);
  static constexpr int kBlocksPerStep = static_cast<int>(kQ8GemmStep / kQuantBlock) / kUnitsPerBlock;
  static_assert(kBlocksPerStep * kUnitsPerBlock * kQuantBlock == kQ8GemmStep, "a step is whole blocks");

  static constexpr int kSubs = WeightType<T>::kSubs;  // scales per unit: 1, or 2 of 16 elements
  static constexpr bool kMin = WeightType<T>::kHasMin;
  static constexpr int kOffset = detail::quant_offset<T>();  // taken off every quant
  static_assert(!(kMin && kOffset != 0), "no type has both a min and an offset");

  static constexpr detail::Window kQs = detail::window(kRegions.qs, 0, kBlocksPerStep, 0);
  static constexpr detail::Window kQh =
      detail::window(kRegions.qh, kRegions.qs, kBlocksPerStep, kQs.first + kQs.chunks);
  static constexpr detail::Window kSub =
      detail::window(kRegions.sub, kRegions.qs + kRegions.qh, kBlocksPerStep, kQh.first + kQh.chunks);
  static constexpr detail::Window kScale = detail::window(kRegions.scale, kRegions.qs + kRegions.qh + kRegions.sub,
                                                          kBlocksPerStep, kSub.first + kSub.chunks);
  static_assert(kQs.align == 16 && kQh.align == 16, "the quant planes' windows start aligned");
  // An odd number of chunks a row: rows 16 bytes apart modulo 32 banks, so the
  // 8 rows (g) by 4 words (t) a fragment load reads hit 32 distinct banks.
  static constexpr int kBytes = 16 * ((kScale.first + kScale.chunks) | 1);

  // Where a step's bytes of each region start in a staged row.
  struct Bases {
    int qh;
    int sub;
    int scale;
  };
  template <detail::Window kW>
  __device__ static int base(int64_t blocks, int64_t kt) {
    if constexpr (kW.align == 16) return kW.first * 16;
    return kW.first * 16 + static_cast<int>((blocks * kW.before + kt * kW.step) & 15);
  }
  __device__ static Bases bases(int64_t blocks, int64_t kt) {
    return {base<kQh>(blocks, kt), base<kSub>(blocks, kt), base<kScale>(blocks, kt)};
  }

  // A step's part of a window: the 16-byte aligned chunk its bytes start in,
  // and how many of the window's chunks start before the region's end (the
  // others hold nothing but units past the row's end: not copied).
  struct Span {
    int64_t first;
    int chunks;
  };
  template <detail::Window kW>
  __device__ static Span span(int64_t blocks, int64_t kt) {
    const int64_t start = blocks * kW.before + kt * kW.step;
    const int64_t first = start - (start & 15);
    const int64_t left = blocks * (kW.before + kW.per_block) - first;
    return {first, static_cast<int>(min(static_cast<int64_t>(kW.chunks), (left + 15) / 16))};
  }
  template <detail::Window kW>
  __device__ static void copy_window(uint8_t* dst, const uint8_t* src, const Span& at, int lane) {
#pragma unroll
    for (int k = 0; k < (kW.chunks + kStageLanes - 1) / kStageLanes; ++k) {
      const int q = lane + k * kStageLanes;
      if (q < at.chunks) cp_async_16(dst + (kW.first + q) * 16, src + at.first + 16 * q);
    }
  }

  // Queues the copies of step kt of a block's rows by its kThreads threads.
  // kStageLanes threads take a row, so that a warp reads 128 contiguous bytes
  // of each of 4 rows; a thread's rows are kThreads / kStageLanes apart: dst
  // and src point at its first, `rows` counts the block's rows from it.
  static constexpr int kStageLanes = 8;
  template <int kThreads, int kRows>
  __device__ static void stage(uint8_t* dst, const uint8_t* src, size_t w_stride, int rows, int64_t blocks, int64_t kt,
                               int lane) {
    constexpr int kPass = kThreads / kStageLanes;
    static_assert(kRows % kPass == 0, "whole passes");
    const Span qs = span<kQs>(blocks, kt);
    const Span qh = span<kQh>(blocks, kt);
    const Span sub = span<kSub>(blocks, kt);
    const Span scale = span<kScale>(blocks, kt);
#pragma unroll
    for (int p = 0; p < kRows / kPass; ++p) {
      if (p * kPass < rows) {
        uint8_t* d = dst + p * kPass * kBytes;
        const uint8_t* s = src + p * kPass * w_stride;
        copy_window<kQs>(d, s, qs, lane);
        if constexpr (kQh.chunks > 0) copy_window<kQh>(d, s, qh, lane);
        if constexpr (kSub.chunks > 0) copy_window<kSub>(d, s, sub, lane);
        copy_window<kScale>(d, s, scale, lane);
      }
    }
  }

  // Groups t and t + 4 of unit u (of the step) of a staged row.
  __device__ static uint2 quants(const uint8_t* row, const Bases& at, int u, int t) {
    if constexpr (T == gguf::GgmlType::kQ8_0) {
      return make_uint2(detail::load_u32(row + u * 32 + 4 * t), detail::load_u32(row + u * 32 + 16 + 4 * t));
    } else if constexpr (!kSuper) {
      const uint32_t lo = detail::load_u32(row + u * 16 + 4 * t);  // q4_0's nibbles: element j and j + 16 in byte j
      if constexpr (T == gguf::GgmlType::kIQ4_NL) {
        const int2 v = detail::iq4_levels(lo);
        return make_uint2(static_cast<uint32_t>(v.x), static_cast<uint32_t>(v.y));
      } else {
        uint2 q = make_uint2(lo & 0x0F0F0F0Fu, (lo >> 4) & 0x0F0F0F0Fu);
        if constexpr (kRegions.qh != 0) {  // q5: bit j of qh is element j's fifth bit
          const uint32_t qh = detail::load_u32(row + at.qh + u * 4);
          q.x |= static_cast<uint32_t>(detail::high_bit_bytes(qh, 4 * t));
          q.y |= static_cast<uint32_t>(detail::high_bit_bytes(qh, 16 + 4 * t));
        }
        return q;
      }
    } else {
      // Group i of a b-bit plane: word i % b, bits b * (i / b) up; i = t and t + 4 share the word.
      constexpr int kLo = low_bits(T);
      constexpr int kHi = high_bits(T);
      const uint32_t lo = detail::load_u32(row + u * 4 * kLo + 4 * (t % kLo));
      if constexpr (decltype(detail::kquant_format(std::declval<WeightType<T>>()))::kLevels) {
        const int2 v = detail::iq4_levels(lo);  // kLo == 4: the word's low and high nibbles
        return make_uint2(static_cast<uint32_t>(v.x), static_cast<uint32_t>(v.y));
      } else {
        constexpr uint32_t kLoMask = 0x01010101u * ((1u << kLo) - 1u);
        const int shift = kLo * (t / kLo);
        uint2 q = make_uint2((lo >> shift) & kLoMask, (lo >> (shift + 4)) & kLoMask);
        if constexpr (kHi > 0) {
          constexpr uint32_t kHiMask = 0x01010101u * ((1u << kHi) - 1u);
          const uint32_t hi = detail::load_u32(row + at.qh + u * 4 * kHi + 4 * (t % kHi));
          const int hshift = kHi * (t / kHi);
          q.x |= ((hi >> hshift) & kHiMask) << kLo;
          q.y |= ((hi >> (hshift + 4)) & kHiMask) << kLo;
        }
        return q;
      }
    }
  }

  // What a step's units share in a row: the K-quants' d and dmin.
  struct Block {
    float d;
    float dmin;
  };
  __device__ static Block block(const uint8_t* row, const Bases& at) {
    if constexpr (kSuper) {
      const uint32_t bits = kRegions.scale == 4 ? detail::load_u32(row + at.scale) : detail::load_u16(row + at.scale);
      return {f16_to_f32(static_cast<uint16_t>(bits & 0xFFFFu)),
              kMin ? f16_to_f32(static_cast<uint16_t>(bits >> 16)) : 0.0f};
    } else {
      return {0.0f, 0.0f};
    }
  }

  // Unit u's (sub-block) scales and mins: the unit's dot with
  // activations d_a * q_a is sum over sub-blocks of d_a * (ws * (q . q_a) + wm * sum(q_a)),
  // q less the offset.
  __device__ static void scales(const uint8_t* row, const Bases& at, const Block& b, int u, float (&ws)[kSubs],
                                float (&wm)[kSubs]) {
    if constexpr (kSuper) {
      using F = decltype(detail::kquant_format(std::declval<WeightType<T>>()));
      uint32_t s[F::kSubWords];
      F::load_sub(row + at.sub, u, s);
      int sc[2];
      int m[2] = {0, 0};
      F::decode(s, u, sc, m);
#pragma unroll
      for (int h = 0; h < kSubs; ++h) {
        ws[h] = b.d * detail::small_float(sc[h]);
        wm[h] = -(b.dmin * detail::small_float(m[h]));
      }
    } else if constexpr (kMin) {
      const uint32_t dm = detail::load_u32(row + at.scale + 4 * u);
      ws[0] = f16_to_f32(static_cast<uint16_t>(dm & 0xFFFFu));
      wm[0] = f16_to_f32(static_cast<uint16_t>(dm >> 16));
    } else {
      ws[0] = f16_to_f32(static_cast<uint16_t>(detail::load_u16(row + at.scale + 2 * u)));
      wm[0] = 0.0f;
    }
  }
};

}  // namespace rocmforge::backend::gpu
