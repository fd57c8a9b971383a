// Writing one activation in a converted format (quant_types.cuh: ActFormat),
// the CPU backend's rounding: the one place act_quant and the kernels that
// convert their own output (RMS norm, gated activations) share.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/quant_types.cuh"

namespace rocmforge::backend::gpu {

// Where a kernel writes the converted copy of its output rows; format kF32: none.
struct ActOut {
  ActFormat format = ActFormat::kF32;
  uint8_t* q = nullptr;   // [rows, q_stride] bytes
  float2* ds = nullptr;   // [rows, cols / 32] (Q8 formats)
  size_t q_stride = 0;
};

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

// Calls fn.template operator()<F>() for the runtime format f.
template <class Fn>
__host__ auto with_act_format(ActFormat f, Fn&& fn) {
  switch (f) {
    case ActFormat::kQ8:
      return fn.template operator()<ActFormat::kQ8>();
    case ActFormat::kQ8S:
      return fn.template operator()<ActFormat::kQ8S>();
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
