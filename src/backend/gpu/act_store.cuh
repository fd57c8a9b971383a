// Writing activations in a converted format (quant_types.cuh: ActFormat),
// the CPU backend's rounding: the one place act_quant and the kernels that
// convert their own output (RMS norm, gated activations) share. Q8_K's
// scale spans 256 elements, more than a warp holds one per lane, so it is
// written 256 at a time (store_q8k) from rows already in memory.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/quant_types.cuh"

namespace rocmforge::backend::gpu {

// Where a kernel writes the converted copy of its output rows; format kF32: none.
struct ActOut {
  ActFormat format = ActFormat::kF32;
  uint8_t* q = nullptr;  // [rows, q_stride] bytes
  float2* ds = nullptr;  // [rows, cols / 32] (act_has_ds formats)
  size_t q_stride = 0;
};

// Whether a kernel may write a copy in `format` without its F32 output: not
// for kF32 (the copy is none) nor for kQ8K (made from the F32 rows in memory).
inline bool act_out_only(ActFormat format) { return format != ActFormat::kF32 && format != ActFormat::kQ8K; }

// A kernel that writes kQ8K copies launches with rows of whole 256-element blocks.
inline bool act_row_fits(ActFormat format, int64_t cols) {
  return !act_has_ds(format) || cols % act_block(format) == 0;
}

namespace detail {

// A Q8 block's (d, sum) or (d, s) from its max and quant sum: Q8_0 keeps the
// integer sum; Q8_1's s is d * sum rounded to half.
template <ActFormat F>
__device__ __forceinline__ float2 q8_scales(float amax, int sum) {
  const float d = amax / 127.0f;
  const float second =
      F == ActFormat::kQ8 ? static_cast<float>(sum) : f16_to_f32(f32_to_f16(d * static_cast<float>(sum)));
  return make_float2(f16_to_f32(f32_to_f16(d)), second);
}

}  // namespace detail

// Element i of a row, v, into q_row (and ds_row). For the Q8 formats all 32
// lanes holding one 32-element block must call this together: the block's
// max and sum are reduced across them (xor masks below 32 stay inside the
// block on 32- and 64-wide warps alike).
template <ActFormat F>
__device__ __forceinline__ void store_act(float v, int64_t i, uint8_t* q_row, float2* ds_row) {
  static_assert(kWarpSize >= kQuantBlock, "a quant block must fit in one warp");
  static_assert(F != ActFormat::kQ8K, "Q8_K goes 256 at a time: store_q8k");
  if constexpr (F == ActFormat::kF32) {
    reinterpret_cast<float*>(q_row)[i] = v;
  } else if constexpr (F == ActFormat::kF16 || F == ActFormat::kBF16) {
    reinterpret_cast<uint16_t*>(q_row)[i] = F == ActFormat::kF16 ? f32_to_f16(v) : f32_to_bf16(v);
  } else {
    // d = amax / 127, q = round_half_even(v * (127 / amax)), as the CPU's x86 path.
    float amax = fabsf(v);
    for (int mask = kQuantBlock / 2; mask > 0; mask >>= 1) amax = fmaxf(amax, shfl_xor(amax, mask));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const int qi = __float2int_rn(v * id);
    int sum = qi;
    for (int mask = kQuantBlock / 2; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
    reinterpret_cast<int8_t*>(q_row)[i] = static_cast<int8_t>(qi);
    if (i % kQuantBlock == 0) ds_row[i / kQuantBlock] = detail::q8_scales<F>(amax, sum);
  }
}

// Elements i..i+3 of a row (i a multiple of 4), v, into q_row (and ds_row):
// store_act for a thread that holds four consecutive elements, so eight
// neighbouring lanes hold one 32-element block and reduce its max and sum
// among themselves. Every lane of the warp must call this together; lanes
// past the row pass active = false (they take part in the reduction only).
template <ActFormat F>
__device__ __forceinline__ void store_act4(float4 v, int64_t i, bool active, uint8_t* q_row, float2* ds_row) {
  constexpr int kLanesPerBlock = kQuantBlock / 4;
  static_assert(kWarpSize % kLanesPerBlock == 0, "a quant block's lanes must share a warp");
  static_assert(F != ActFormat::kF32, "F32 activations need no converted copy");
  static_assert(F != ActFormat::kQ8K, "Q8_K goes 256 at a time: store_q8k");
  if constexpr (F == ActFormat::kF16 || F == ActFormat::kBF16) {
    auto h = [](float x) -> uint32_t { return F == ActFormat::kF16 ? f32_to_f16(x) : f32_to_bf16(x); };
    if (active) {
      *reinterpret_cast<uint2*>(reinterpret_cast<uint16_t*>(q_row) + i) =
          make_uint2(h(v.x) | (h(v.y) << 16), h(v.z) | (h(v.w) << 16));
    }
  } else {
    float amax = active ? fmaxf(fmaxf(fabsf(v.x), fabsf(v.y)), fmaxf(fabsf(v.z), fabsf(v.w))) : 0.0f;
    for (int mask = kLanesPerBlock / 2; mask > 0; mask >>= 1) amax = fmaxf(amax, shfl_xor(amax, mask));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const int q[4] = {__float2int_rn(v.x * id), __float2int_rn(v.y * id), __float2int_rn(v.z * id),
                      __float2int_rn(v.w * id)};
    int sum = q[0] + q[1] + q[2] + q[3];
    for (int mask = kLanesPerBlock / 2; mask > 0; mask >>= 1) sum += shfl_xor(sum, mask);
    if (!active) return;
    *reinterpret_cast<uint32_t*>(q_row + i) =
        (static_cast<uint32_t>(q[0]) & 0xFFu) | ((static_cast<uint32_t>(q[1]) & 0xFFu) << 8) |
        ((static_cast<uint32_t>(q[2]) & 0xFFu) << 16) | (static_cast<uint32_t>(q[3]) << 24);
    if (i % kQuantBlock == 0) ds_row[i / kQuantBlock] = detail::q8_scales<F>(amax, sum);
  }
}

// quantize_row_q8_K_ref on x[0, 256) by one whole warp (every lane calls):
// the element of largest magnitude, the first on ties, maps to -127; q =
// min(127, round_half_even(x * (-127 / max))), d = 1 / (-127 / max); zeros
// give d = 0. Each lane holds kSuperBlock / kWarpSize consecutive elements,
// so lane order is element order when ties are broken.
__device__ __forceinline__ void store_q8k(const float* x, int8_t* q, float2* ds) {
  constexpr int kPer = static_cast<int>(kSuperBlock) / kWarpSize;  // 8 or 4
  constexpr int kLanesPer16 = 16 / kPer;
  const int lane = threadIdx.x % kWarpSize;
  float v[kPer];
  float amax = 0.0f;
  float max = 0.0f;
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    v[i] = x[lane * kPer + i];
    if (fabsf(v[i]) > amax) {
      amax = fabsf(v[i]);
      max = v[i];
    }
  }
  int from = lane;
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) {
    const float other_amax = shfl_xor(amax, mask);
    const float other_max = shfl_xor(max, mask);
    const int other_from = shfl_xor(from, mask);
    if (other_amax > amax || (other_amax == amax && other_from < from)) {
      amax = other_amax;
      max = other_max;
      from = other_from;
    }
  }
  const float iscale = amax != 0.0f ? -127.0f / max : 0.0f;
  uint32_t packed[kPer / 4] = {};
  int sum = 0;
#pragma unroll
  for (int i = 0; i < kPer; ++i) {
    const int qi = min(127, __float2int_rn(iscale * v[i]));
    packed[i / 4] |= static_cast<uint32_t>(qi & 0xFF) << (8 * (i % 4));
    sum += qi;
  }
  if constexpr (kPer == 8) {
    reinterpret_cast<uint2*>(q)[lane] = make_uint2(packed[0], packed[1]);
  } else {
    reinterpret_cast<uint32_t*>(q)[lane] = packed[0];
  }
  for (int mask = 1; mask < kLanesPer16; mask <<= 1) sum += shfl_xor(sum, mask);  // the sum of 16
  const int next = shfl_xor(sum, kLanesPer16);                                    // the other 16 of the 32
  if (lane % (2 * kLanesPer16) == 0) {
    const float d = amax != 0.0f ? 1.0f / iscale : 0.0f;
    const uint32_t sums = (static_cast<uint32_t>(sum) & 0xFFFFu) | (static_cast<uint32_t>(next) << 16);
    ds[lane / (2 * kLanesPer16)] = make_float2(d, __int_as_float(static_cast<int>(sums)));
  }
}

// The Q8_K copies of 256-element blocks [first, end) of `row`, the calling
// thread block's warps taking one block each in turn. Every thread of the
// block calls: a barrier first makes what the block wrote to `row` visible.
__device__ __forceinline__ void store_q8k_blocks(const float* row, int64_t first, int64_t end, uint8_t* q_row,
                                                 float2* ds_row) {
  __syncthreads();
  const int n_warps = static_cast<int>(blockDim.x) / kWarpSize;
  for (int64_t b = first + threadIdx.x / kWarpSize; b < end; b += n_warps) {
    store_q8k(row + b * kSuperBlock, reinterpret_cast<int8_t*>(q_row) + b * kSuperBlock, ds_row + b * kUnitsPerSuper);
  }
}

// Calls fn.template operator()<F>() for the runtime format f.
template <class Fn>
__host__ auto with_act_format(ActFormat f, Fn&& fn) {
  switch (f) {
    case ActFormat::kQ8:
      return fn.template operator()<ActFormat::kQ8>();
    case ActFormat::kQ8S:
      return fn.template operator()<ActFormat::kQ8S>();
    case ActFormat::kQ8K:
      return fn.template operator()<ActFormat::kQ8K>();
    case ActFormat::kF16:
      return fn.template operator()<ActFormat::kF16>();
    case ActFormat::kBF16:
      return fn.template operator()<ActFormat::kBF16>();
    case ActFormat::kF32:
      break;
  }
  return fn.template operator()<ActFormat::kF32>();
}

}  // namespace rocmforge::backend::gpu
