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
    if (i % kQuantBlock == 0) {
      const float d = amax / 127.0f;
      // Q8_0 keeps the integer sum; Q8_1's s is d * sum rounded to half.
      const float second = F == ActFormat::kQ8 ? static_cast<float>(sum)
                                               : f16_to_f32(f32_to_f16(d * static_cast<float>(sum)));
      ds_row[i / kQuantBlock] = make_float2(f16_to_f32(f32_to_f16(d)), second);
    }
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
