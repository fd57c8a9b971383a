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

template <GluKind kKind>
__device__ __forceinline__ float activate(float g) {
  return kKind == GluKind::kSilu ? g / (1.0f + expf(-g)) : gelu(g);
}

// Inputs in F32, or in F16 (In = uint16_t: the BLAS's F16 sums, launch_glu_f16_in).
__device__ __forceinline__ float load_in(const float* p) { return *p; }
__device__ __forceinline__ float load_in(const uint16_t* p) { return f16_to_f32(*p); }
__device__ __forceinline__ float4 load_in4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ float4 load_in4(const uint16_t* p) {
  const uint2 h = *reinterpret_cast<const uint2*>(p);
  return make_float4(f16_to_f32(static_cast<uint16_t>(h.x)), f16_to_f32(static_cast<uint16_t>(h.x >> 16)),
                     f16_to_f32(static_cast<uint16_t>(h.y)), f16_to_f32(static_cast<uint16_t>(h.y >> 16)));
}

template <GluKind kKind, ActFormat F, class In>
__global__ void __launch_bounds__(kThreads)
    glu_kernel(const In* gate, int64_t gate_stride,  // [rows, cols]
               const In* up, int64_t up_stride,      // [rows, cols]
               float* out, int64_t out_stride,       // [rows, cols]
               int64_t cols, ActOut act) {
  allow_next_then_wait();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= cols) return;  // quantised copies need whole blocks (32, 256 = kThreads): they leave together
  const int64_t r = blockIdx.y;
  const float g = load_in(gate + r * gate_stride + i);
  const float v = activate<kKind>(g) * load_in(up + r * up_stride + i);
  if (out != nullptr) out[r * out_stride + i] = v;
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

// Four elements a thread by 16-byte loads and stores, for rows that allow
// them: one element a thread left a 512-token prompt's GLU at 39 us a layer
// on the H200, against 24 for its bytes (bench/RESULTS-gpu-runs-57-68.md, run 58).
template <GluKind kKind, ActFormat F, class In>
__global__ void __launch_bounds__(kThreads)
    glu_vec_kernel(const In* gate, int64_t gate_stride, const In* up, int64_t up_stride, float* out,
                   int64_t out_stride, int64_t cols, ActOut act) {
  static_assert(F != ActFormat::kQ8K, "Q8_K copies go 256 at a time: glu_kernel");
  allow_next_then_wait();
  const int64_t i = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) * 4;
  if (i >= cols) return;  // Q8 copies: cols % 32 == 0, so a quant block's 8 lanes leave together
  const int64_t r = blockIdx.y;
  const float4 g = load_in4(gate + r * gate_stride + i);
  const float4 u = load_in4(up + r * up_stride + i);
  const float4 v = make_float4(activate<kKind>(g.x) * u.x, activate<kKind>(g.y) * u.y, activate<kKind>(g.z) * u.z,
                               activate<kKind>(g.w) * u.w);
  if (out != nullptr) *reinterpret_cast<float4*>(out + r * out_stride + i) = v;
  if constexpr (F != ActFormat::kF32) {
    float2* ds_row = nullptr;
    if constexpr (act_has_ds(F)) ds_row = act.ds + r * (cols / kQuantBlock);
    store_act4<F>(v, i, true, act.q + r * act.q_stride, ds_row);
  }
}

template <class In>
Status launch_glu_in(GluKind kind, const In* gate, int64_t gate_stride, const In* up, int64_t up_stride, float* out,
                     int64_t out_stride, int64_t rows, int64_t cols, const ActOut& act, rt::Stream stream) {
  if (rows == 0) return ok();
  if (rows > 65535) return RF_ERROR(kInternal, "{} rows in one glu", rows);
  if (!act_row_fits(act.format, cols)) return RF_ERROR(kInternal, "a quantised copy of rows of {} elements", cols);
  if (out == nullptr && !act_out_only(act.format)) {
    return RF_ERROR(kInternal, "a gated activation without its F32 output and no copy it can write alone");
  }
  const auto aligned4 = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % (4 * sizeof(In)) == 0; };
  const bool vec = act.format != ActFormat::kQ8K && cols % 4 == 0 && gate_stride % 4 == 0 && up_stride % 4 == 0 &&
                   out_stride % 4 == 0 && aligned4(gate) && aligned4(up) && aligned16(out) &&
                   (act.format == ActFormat::kF32 || act.q_stride % 8 == 0);
  const int64_t per_thread = vec ? 4 : 1;
  const dim3 grid(static_cast<unsigned>((cols + kThreads * per_thread - 1) / (kThreads * per_thread)),
                  static_cast<unsigned>(rows));
  const rt::Error launched = with_act_format(act.format, [&]<ActFormat F>() {
    auto kernel = kind == GluKind::kSilu ? glu_kernel<GluKind::kSilu, F, In> : glu_kernel<GluKind::kGelu, F, In>;
    if constexpr (F != ActFormat::kQ8K) {
      if (vec) {
        kernel = kind == GluKind::kSilu ? glu_vec_kernel<GluKind::kSilu, F, In> : glu_vec_kernel<GluKind::kGelu, F, In>;
      }
    }
    return rt::launch_overlapped(kernel, grid, kThreads, stream, gate, gate_stride, up, up_stride, out, out_stride,
                                 cols, act);
  });
  return check(launched, "glu_kernel");
}

}  // namespace

Status launch_glu(GluKind kind, const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* out,
                  int64_t out_stride, int64_t rows, int64_t cols, const ActOut& act, rt::Stream stream) {
  return launch_glu_in(kind, gate, gate_stride, up, up_stride, out, out_stride, rows, cols, act, stream);
}

Status launch_glu_f16_in(GluKind kind, const uint16_t* gate, int64_t gate_stride, const uint16_t* up,
                         int64_t up_stride, float* out, int64_t out_stride, int64_t rows, int64_t cols,
                         const ActOut& act, rt::Stream stream) {
  return launch_glu_in(kind, gate, gate_stride, up, up_stride, out, out_stride, rows, cols, act, stream);
}

}  // namespace rocmforge::backend::gpu
