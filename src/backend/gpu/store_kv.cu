#include "backend/gpu/store_kv.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kv_elem.cuh"

namespace rocmforge::backend::gpu {
namespace {

// A multiple of 32, so that the 32 lanes of a Q8_0 block take one step together.
constexpr int kThreads = 256;

// One block per token; threads over the K row then the V row (widths whole
// Q8_0 blocks for a Q8_0 cache: backend/kv_layout.h).
template <KvElem kK, KvElem kV>
__global__ void __launch_bounds__(kThreads)
    store_kv_kernel(const float* __restrict__ k, int64_t k_stride,  // [n_tokens, k_width]
                    const float* __restrict__ v, int64_t v_stride,  // [n_tokens, v_width]
                    const int32_t* __restrict__ slots,              // [n_tokens]
                    int64_t n_slots, int64_t k_width, int64_t v_width,
                    uint8_t* __restrict__ k_cache, size_t k_row_bytes,  // [n_slots, k_row_bytes]
                    uint8_t* __restrict__ v_cache, size_t v_row_bytes,  // [n_slots, v_row_bytes]
                    uint32_t* error_flag) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t t = blockIdx.x;
  const int64_t slot = slots[t];
  if (slot < 0 || slot >= n_slots) {
    if (threadIdx.x == 0) raise_device_error(error_flag, DeviceError::kSlotOutOfRange);
    return;
  }
  for (int64_t i = threadIdx.x; i < k_width; i += kThreads) {
    store_kv_elem<kK>(k_cache + slot * k_row_bytes, i, k[t * k_stride + i]);
  }
  for (int64_t i = threadIdx.x; i < v_width; i += kThreads) {
    store_kv_elem<kV>(v_cache + slot * v_row_bytes, i, v[t * v_stride + i]);
  }
}

}  // namespace

Status launch_store_kv(const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_tokens,
                       const int32_t* slots, const KvLayerView& kv, const KvLayout& layout, uint32_t* error_flag,
                       rt::Stream stream) {
  if (n_tokens == 0) return ok();
  const int64_t k_width = layout.n_head_kv * layout.head_dim;
  const int64_t v_width = layout.n_head_kv * layout.head_dim_v;
  const auto grid = static_cast<unsigned>(n_tokens);
  return with_kv_elems(layout.types, [&]<KvElem kK, KvElem kV>() {
    return check(rt::launch_overlapped(store_kv_kernel<kK, kV>, dim3(grid), kThreads, stream, k, k_stride, v, v_stride,
                                       slots, layout.slots(), k_width, v_width, static_cast<uint8_t*>(kv.k),
                                       layout.k_row_bytes(), static_cast<uint8_t*>(kv.v), layout.v_row_bytes(),
                                       error_flag),
                 "store_kv_kernel");
  });
}

}  // namespace rocmforge::backend::gpu
