// Writes each new token's K and V rows into its slot of the paged cache
// (layout: backend/kv_layout.h), converting to the cache types (F32, F16 or
// Q8_0 with the CPU backend's rounding, so both hold the same bytes).
#pragma once

#include <cstdint>

#include "backend/batch.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// A slot outside the pool raises kSlotOutOfRange.
Status launch_store_kv(const float* k, int64_t k_stride,  // [n_tokens, n_head_kv * head_dim]
                       const float* v, int64_t v_stride,  // [n_tokens, n_head_kv * head_dim_v]
                       int64_t n_tokens,
                       const int32_t* slots,  // [n_tokens] device
                       const KvLayerView& kv, const KvLayout& layout, uint32_t* error_flag, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
