// The 16-bit KV cache types (F16, BF16) on tensor cores, for the attention
// kernels that take either (attention_mma.cu, attention_decode_mma.cu; CUDA
// builds with kHasMma only).
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/kv_elem.cuh"

namespace rocmforge::backend::gpu {

// Whether K and V are one 16-bit type, which the tensor-core kernels take.
inline bool kv_on_tensor_cores(KvTypes types) {
  return types.k == types.v && (types.k == gguf::GgmlType::kF16 || types.k == gguf::GgmlType::kBF16);
}

// pack_kv16x2: two floats as the type's pair (lo in the low half);
// mma_kv16: D += A B over 16x8x16 tiles of the type.
template <KvElem E>
__device__ __forceinline__ uint32_t pack_kv16x2(float lo, float hi) {
  static_assert(E == KvElem::kF16 || E == KvElem::kBF16, "16-bit cache types only");
  if constexpr (E == KvElem::kF16) {
    return pack_f16x2(lo, hi);
  } else {
    return pack_bf16x2(lo, hi);
  }
}
template <KvElem E>
__device__ __forceinline__ void mma_kv16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  if constexpr (E == KvElem::kF16) {
    mma_f16_16x8x16(d, a, b);
  } else {
    mma_bf16_16x8x16(d, a, b);
  }
}

// Softmax weights for P.V as pairs of the V type, in kWeightParts parts
// whose products the kernels add. BF16 keeps 8 bits of a weight, so it
// goes in two: the rounded weights and what rounding left, about 16 bits
// together, nearer the CPU's F32 weights than F16's 11 in one.
template <KvElem E>
inline constexpr int kWeightParts = E == KvElem::kBF16 ? 2 : 1;
struct PackedWeights {
  uint32_t part[2];  // the first kWeightParts hold the pair
};
template <KvElem E>
__device__ __forceinline__ PackedWeights pack_weights(float x0, float x1) {
  if constexpr (E == KvElem::kF16) {
    return {{pack_f16x2(x0, x1), 0u}};
  } else {
    const uint32_t hi = pack_bf16x2(x0, x1);
    const float r0 = x0 - bf16_to_f32(static_cast<uint16_t>(hi & 0xFFFFu));
    const float r1 = x1 - bf16_to_f32(static_cast<uint16_t>(hi >> 16));
    return {{hi, pack_bf16x2(r0, r1)}};
  }
}

}  // namespace rocmforge::backend::gpu
