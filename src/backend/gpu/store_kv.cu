#include "backend/gpu/store_kv.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// One block per token; threads over the K row then the V row.
template <bool kF16>
__global__ void __launch_bounds__(kThreads)
    store_kv_kernel(const float* __restrict__ k, int64_t k_stride,  // [n_tokens, k_width]
                    const float* __restrict__ v, int64_t v_stride,  // [n_tokens, v_width]
                    const int32_t* __restrict__ slots,              // [n_tokens]
                    int64_t n_slots, int64_t k_width, int64_t v_width,
                    void* __restrict__ k_cache,  // [n_slots, k_width]
                    void* __restrict__ v_cache,  // [n_slots, v_width]
                    uint32_t* error_flag) {
  const int64_t t = blockIdx.x;
  const int64_t slot = slots[t];
  if (slot < 0 || slot >= n_slots) {
    if (threadIdx.x == 0) raise_device_error(error_flag, DeviceError::kSlotOutOfRange);
    return;
  }
  for (int64_t i = threadIdx.x; i < k_width + v_width; i += kThreads) {
    const bool is_k = i < k_width;
    const float value = is_k ? k[t * k_stride + i] : v[t * v_stride + (i - k_width)];
    const int64_t dst = is_k ? slot * k_width + i : slot * v_width + (i - k_width);
    void* cache = is_k ? k_cache : v_cache;
    if constexpr (kF16) {
      static_cast<uint16_t*>(cache)[dst] = f32_to_f16(value);
    } else {
      static_cast<float*>(cache)[dst] = value;
    }
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
  if (layout.type == gguf::GgmlType::kF16) {
    store_kv_kernel<true><<<grid, kThreads, 0, stream>>>(k, k_stride, v, v_stride, slots, layout.slots(), k_width,
                                                         v_width, kv.k, kv.v, error_flag);
  } else {
    store_kv_kernel<false><<<grid, kThreads, 0, stream>>>(k, k_stride, v, v_stride, slots, layout.slots(), k_width,
                                                          v_width, kv.k, kv.v, error_flag);
  }
  return check_launch("store_kv_kernel");
}

}  // namespace rocmforge::backend::gpu
