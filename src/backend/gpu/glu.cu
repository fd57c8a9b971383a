#include "backend/gpu/glu.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// ggml's GELU: the input rounded to F16, the tanh formula, the result rounded
// to F16 (its table), linear beyond +-10.
__device__ __forceinline__ float gelu(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  constexpr float kCoef = 0.044715f;
  const float v = f16_to_f32(f32_to_f16(x));
  return f16_to_f32(f32_to_f16(0.5f * v * (1.0f + tanhf(kSqrt2OverPi * v * (1.0f + kCoef * v * v)))));
}

template <GluKind kKind, ActFormat F>
__global__ void __launch_bounds__(kThreads)
    glu_kernel(const float* gate, int64_t gate_stride,  // [rows, cols]
               const float* up, int64_t up_stride,      // [rows, cols]
               float* out, int64_t out_stride,          // [rows, cols]
               int64_t cols, ActOut act) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= cols) return;  // quantised copies need whole blocks (32, 256 = kThreads): they leave together
  const int64_t r = blockIdx.y;
  const float g = gate[r * gate_stride + i];
  const float v = (kKind == GluKind::kSilu ? g / (1.0f + expf(-g)) : gelu(g)) * up[r * up_stride + i];
  out[r * out_stride + i] = v;
  if constexpr (F != ActFormat::kF32) {
    float2* ds_row = nullptr;
    if constexpr (act_has_ds(F)) ds_row = act.ds + r * (cols / kQuantBlock);
    if constexpr (F == ActFormat::kQ8K) {
      static_assert(kThreads == kSuperBlock, "one thread block per 256-element block");
      store_q8k_blocks(out + r * out_stride, blockIdx.x, blockIdx.x + 1, act.q + r * act.q_stride, ds_row);
    } else {
      store_act<F>(v, i, act.q + r * act.q_stride, ds_row);
    }
  }
}

}  // namespace

Status launch_glu(GluKind kind, const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* out,
                  int64_t out_stride, int64_t rows, int64_t cols, const ActOut& act, rt::Stream stream) {
  if (rows == 0) return ok();
  if (rows > 65535) return RF_ERROR(kInternal, "{} rows in one glu", rows);
  if (!act_row_fits(act.format, cols)) return RF_ERROR(kInternal, "a quantised copy of rows of {} elements", cols);
  const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(rows));
  const rt::Error launched = with_act_format(act.format, [&]<ActFormat F>() {
    return rt::launch_overlapped(kind == GluKind::kSilu ? glu_kernel<GluKind::kSilu, F> : glu_kernel<GluKind::kGelu, F>,
                                 grid, kThreads, stream, gate, gate_stride, up, up_stride, out, out_stride, cols, act);
  });
  return check(launched, "glu_kernel");
}

}  // namespace rocmforge::backend::gpu
