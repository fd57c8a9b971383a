#include "backend/gpu/act_quant.cuh"

#include "backend/gpu/act_store.cuh"
#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;
constexpr int kQ8KBlocksPerCta = 8;

// One thread per element; for Q8_K one warp per 256-element block, kQ8KBlocksPerCta blocks per thread block.
template <ActFormat F>
__global__ void __launch_bounds__(kThreads)
    act_quant_kernel(const float* __restrict__ x,  // [rows, x_stride]
                     int64_t x_stride, int64_t cols,
                     uint8_t* __restrict__ q,  // [rows, q_stride] bytes
                     size_t q_stride,
                     float2* __restrict__ ds)  // [rows, cols / 32]
{
  allow_next_then_wait();
  const int64_t row = blockIdx.y;
  float2* ds_row = nullptr;
  if constexpr (act_has_ds(F)) ds_row = ds + row * (cols / kQuantBlock);
  if constexpr (F == ActFormat::kQ8K) {
    const int64_t first = static_cast<int64_t>(blockIdx.x) * kQ8KBlocksPerCta;
    store_q8k_blocks(x + row * x_stride, first, min(first + kQ8KBlocksPerCta, cols / kSuperBlock), q + row * q_stride,
                     ds_row);
  } else {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (i >= cols) return;  // Q8 rows are whole 32-element blocks: whole blocks return together
    store_act<F>(x[row * x_stride + i], i, q + row * q_stride, ds_row);
  }
}

// Four elements a thread by 16-byte loads, for rows that allow them: one
// element a thread took 12 us a layer converting a 512-token prompt's
// attention output to F16 on the H200, three times its bytes' time
// (bench/RESULTS-gpu-runs-57-68.md, run 59).
template <ActFormat F>
__global__ void __launch_bounds__(kThreads)
    act_quant_vec_kernel(const float* __restrict__ x, int64_t x_stride, int64_t cols, uint8_t* __restrict__ q,
                         size_t q_stride, float2* __restrict__ ds) {
  static_assert(F != ActFormat::kF32 && F != ActFormat::kQ8K, "converted copies 32 elements a block at most");
  allow_next_then_wait();
  const int64_t row = blockIdx.y;
  const int64_t i = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) * 4;
  if (i >= cols) return;  // Q8 rows: cols % 32 == 0, so a block's 8 lanes return together
  float2* ds_row = nullptr;
  if constexpr (act_has_ds(F)) ds_row = ds + row * (cols / kQuantBlock);
  store_act4<F>(*reinterpret_cast<const float4*>(x + row * x_stride + i), i, true, q + row * q_stride, ds_row);
}

}  // namespace

size_t act_row_bytes(ActFormat format, int64_t cols) {
  size_t elem = 4;
  if (format == ActFormat::kF16 || format == ActFormat::kBF16) elem = 2;
  if (act_has_ds(format)) elem = 1;
  return align_row(static_cast<size_t>(cols) * elem);
}

Status launch_act_quant(ActFormat format, const float* x, int64_t x_stride, int64_t rows, int64_t cols, uint8_t* q,
                        float2* ds, rt::Stream stream) {
  if (!act_row_fits(format, cols)) {
    return RF_ERROR(kInternal, "activation width {} is not a multiple of {}", cols, act_block(format));
  }
  if (rows > 65535) return RF_ERROR(kInternal, "{} activation rows in one launch", rows);
  const size_t stride = act_row_bytes(format, cols);
  const bool vec = format != ActFormat::kF32 && format != ActFormat::kQ8K && cols % 4 == 0 && x_stride % 4 == 0 &&
                   aligned16(x) && stride % 8 == 0;
  int64_t per_cta = kThreads;
  if (format == ActFormat::kQ8K) per_cta = kQ8KBlocksPerCta * kSuperBlock;
  if (vec) per_cta = 4 * kThreads;
  const dim3 grid(static_cast<unsigned>((cols + per_cta - 1) / per_cta), static_cast<unsigned>(rows));
  const rt::Error launched = with_act_format(format, [&]<ActFormat F>() {
    if constexpr (F != ActFormat::kF32 && F != ActFormat::kQ8K) {
      if (vec) {
        return rt::launch_overlapped(act_quant_vec_kernel<F>, grid, kThreads, stream, x, x_stride, cols, q, stride,
                                     ds);
      }
    }
    return rt::launch_overlapped(act_quant_kernel<F>, grid, kThreads, stream, x, x_stride, cols, q, stride, ds);
  });
  return check(launched, "act_quant_kernel");
}

}  // namespace rocmforge::backend::gpu
