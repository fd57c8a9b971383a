#include "backend/gpu/matmul.cuh"

#include "backend/gpu/type_dispatch.cuh"
#include "backend/gpu/weight_layout.h"

namespace rocmforge::backend::gpu {
namespace {

using gguf::GgmlType;

template <GgmlType T>
struct Matvec {
  static Status run(const MatvecArgs& args, rt::Stream s) { return launch_matvec_t<T>(args, s); }
};

template <GgmlType T>
struct Gemm {
  static Status run(const WeightView& w, const ActView& x, int64_t n, float* out, int64_t stride, rt::Stream s) {
    return launch_gemm_t<T>(w, x, n, out, stride, s);
  }
};

}  // namespace

ActFormat act_format(GgmlType type) {
  switch (type) {
    case GgmlType::kF16:
      return ActFormat::kF16;
    case GgmlType::kBF16:
      return ActFormat::kBF16;
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
      return ActFormat::kQ8S;
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ8_0:
      return ActFormat::kQ8;
    default:
      return ActFormat::kF32;
  }
}

bool gemm_on_tensor_cores(const WeightView& w) {
  return kHasMma && w.type != GgmlType::kF32 && w.cols % kQuantBlock == 0;
}

Status launch_matvec(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens, rt::Stream stream,
                     const ExpertSelect& experts) {
  if (parts.empty() || parts.size() > kMaxMatvecParts) return RF_ERROR(kInternal, "{} matvec parts", parts.size());
  if (experts.ids != nullptr && (n_tokens != 1 || parts.size() != 1 || experts.n_slots > 65535)) {
    return RF_ERROR(kInternal, "expert matvec over {} slots of {} tokens", experts.n_slots, n_tokens);
  }
  MatvecArgs args;
  for (size_t i = 0; i < parts.size(); ++i) {
    const MatvecPart& p = parts[i];
    if (p.w.type != parts[0].w.type || p.w.cols != parts[0].w.cols) {
      return RF_ERROR(kInternal, "matvec parts of different types or widths");
    }
    args.parts[i] = {p.w.data, p.w.stride, p.w.rows, p.out, p.out_stride, 0};
  }
  args.n_parts = static_cast<int>(parts.size());
  args.cols = parts[0].w.cols;
  args.xq = x.q;
  args.xds = x.ds;
  args.x_stride = x.stride;
  args.n_tok = n_tokens;
  args.experts = experts;
  return dispatch_weight_type<Matvec>(parts[0].w.type, "matmul", args, stream);
}

Status launch_gemm(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride,
                   rt::Stream stream) {
  if (n_tokens > 65535 * 64) return RF_ERROR(kInternal, "{} tokens in one GEMM", n_tokens);
  return dispatch_weight_type<Gemm>(w.type, "matmul", w, x, n_tokens, out, out_stride, stream);
}

}  // namespace rocmforge::backend::gpu
