// RoPE of a layer's Q and K and the store of its new K and V rows into the
// paged cache in one launch: what launch_rope then launch_store_kv do, with
// the same arithmetic, so the tensors and the cache hold the same bits; a
// decode layer saves a kernel boundary (2-3 us on the H200). For F32 and F16
// caches only: a Q8_0 block needs the 32 lanes that hold it together, which
// store_kv.cu's thread layout gives and RoPE's does not.
#pragma once

#include <cstdint>
#include <span>

#include "backend/backend.h"
#include "backend/batch.h"
#include "backend/gpu/compat.cuh"
#include "backend/gpu/rope.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Whether launch_rope_store takes a cache of the layout's K and V types.
bool rope_store_supports(const KvLayout& layout);

// Rotates the targets as launch_rope does; the last one is K: its
// layout.n_head_kv heads of layout.head_dim (params.head_dim) go, rotated,
// into each token's slot of the K cache, and v's rows into the V cache, as
// launch_store_kv stores them. A slot outside the pool raises
// kSlotOutOfRange (its token is rotated all the same).
Status launch_rope_store(std::span<const RopeTarget> targets, int64_t n_tokens,
                         const int32_t* positions,  // [n_tokens] device
                         const RopeParams& params,
                         const float* v, int64_t v_stride,  // [n_tokens, n_head_kv * head_dim_v]
                         const int32_t* slots,              // [n_tokens] device
                         const KvLayerView& kv, const KvLayout& layout, uint32_t* error_flag, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
