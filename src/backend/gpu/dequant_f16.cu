#include "backend/gpu/dequant_f16.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/kquant_types.cuh"
#include "backend/gpu/type_dispatch.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// One thread per 16 elements (half a quant block): dequant_half, then two 16-byte stores.
template <gguf::GgmlType T>
__global__ void __launch_bounds__(kThreads)
    dequant_f16_kernel(const uint8_t* __restrict__ w, size_t w_stride, int64_t rows, int64_t cols,
                       uint16_t* __restrict__ dst) {
  const int64_t halves = cols / 16;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= rows * halves) return;
  const int64_t r = i / halves;
  const int64_t k = i % halves;
  float v[16];
  WeightType<T>::dequant_half(w + r * w_stride, cols / kQuantBlock, k / 2, static_cast<int>(k % 2), v);
  uint32_t packed[8];
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    packed[j] = static_cast<uint32_t>(f32_to_f16(v[2 * j])) | (static_cast<uint32_t>(f32_to_f16(v[2 * j + 1])) << 16);
  }
  uint4* out = reinterpret_cast<uint4*>(dst + r * cols + k * 16);
  out[0] = make_uint4(packed[0], packed[1], packed[2], packed[3]);
  out[1] = make_uint4(packed[4], packed[5], packed[6], packed[7]);
}

template <gguf::GgmlType T>
struct Dequant {
  static Status run(const WeightView& w, uint16_t* dst, rt::Stream stream) {
    const int64_t threads = w.rows * (w.cols / 16);
    dequant_f16_kernel<T><<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
        w.data, w.stride, w.rows, w.cols, dst);
    return check_launch("dequant_f16_kernel");
  }
};

}  // namespace

bool dequant_f16_supported(gguf::GgmlType type) { return block_regions(type).qs != 0; }

Status launch_dequant_f16(const WeightView& w, uint16_t* dst, rt::Stream stream) {
  if (!dequant_f16_supported(w.type) || w.cols % kQuantBlock != 0) {
    return RF_ERROR(kInternal, "no F16 dequantisation of {} rows of {} elements", gguf::ggml_type_name(w.type),
                    w.cols);
  }
  if (w.rows * (w.cols / 16) > int64_t{kThreads} * 0x7FFFFFFF) {
    return RF_ERROR(kInternal, "{} x {} weight too large to dequantise in one launch", w.rows, w.cols);
  }
  return dispatch_weight_type<Dequant>(w.type, "dequantisation", w, dst, stream);
}

}  // namespace rocmforge::backend::gpu
