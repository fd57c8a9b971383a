#include "backend/gpu/embed.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kquant_types.cuh"
#include "backend/gpu/type_dispatch.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// One block per id. Quantised rows: a thread per half unit (16 elements);
// float rows: a thread per element.
template <gguf::GgmlType T>
__global__ void __launch_bounds__(kThreads)
    embed_kernel(const uint8_t* __restrict__ table, size_t table_stride, int64_t table_rows,  // [rows, cols]
                 int64_t cols,
                 const int32_t* __restrict__ ids,  // [n]
                 float* __restrict__ out, int64_t out_stride,  // [n, cols]
                 uint32_t* error_flag) {
  wait_for_previous_kernel();
  allow_next_kernel();
  using W = WeightType<T>;
  const int32_t id = ids[blockIdx.x];
  if (id < 0 || id >= table_rows) {
    if (threadIdx.x == 0) raise_device_error(error_flag, DeviceError::kTokenOutOfRange);
    return;
  }
  const uint8_t* row = table + static_cast<int64_t>(id) * table_stride;
  float* dst = out + static_cast<int64_t>(blockIdx.x) * out_stride;
  if constexpr (block_regions(T).qs != 0) {
    const int64_t nb = cols / kQuantBlock;
    for (int64_t hb = threadIdx.x; hb < 2 * nb; hb += kThreads) {
      float v[16];
      W::dequant_half(row, nb, hb / 2, static_cast<int>(hb % 2), v);
#pragma unroll
      for (int i = 0; i < 16; ++i) dst[hb * 16 + i] = v[i];
    }
  } else {
    for (int64_t i = threadIdx.x; i < cols; i += kThreads) dst[i] = W::elem(row, i);
  }
}

template <gguf::GgmlType T>
struct Embed {
  static Status run(const uint8_t* table, size_t table_stride, int64_t table_rows, int64_t cols, const int32_t* ids,
                    int64_t n, float* out, int64_t out_stride, uint32_t* error_flag, rt::Stream stream) {
    return check(rt::launch_overlapped(embed_kernel<T>, dim3(static_cast<unsigned>(n)), kThreads, stream, table,
                                       table_stride, table_rows, cols, ids, out, out_stride, error_flag),
                 "embed_kernel");
  }
};

}  // namespace

Status launch_embed(const uint8_t* table, gguf::GgmlType type, size_t table_stride, int64_t table_rows, int64_t cols,
                    const int32_t* ids, int64_t n, float* out, int64_t out_stride, uint32_t* error_flag,
                    rt::Stream stream) {
  if (n == 0) return ok();
  return dispatch_weight_type<Embed>(type, "embedding lookup", table, table_stride, table_rows, cols, ids, n, out,
                                     out_stride, error_flag, stream);
}

}  // namespace rocmforge::backend::gpu
