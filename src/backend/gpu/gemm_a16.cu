#include "backend/gpu/gemm_a16.cuh"

#include <algorithm>

#include "backend/gpu/gemm_a16_policy.h"
#include "backend/gpu/weight_layout.h"

namespace rocmforge::backend::gpu {

bool gemm_a16_supports(const WeightView& w) {
  return kHasMma && a16_gemm_type(w.type) && w.cols % kQuantBlock == 0 && w.rows > 0;
}

namespace {

int64_t row_tiles(const A16Args& a) {
  int64_t tiles = 0;
  for (int i = 0; i < a.n_parts; ++i) tiles += (a.parts[i].w.rows + kA16Rows - 1) / kA16Rows;
  return tiles;
}

int64_t tiles(const A16Args& a) { return row_tiles(a) * ((a.n_tokens + kA16Tokens - 1) / kA16Tokens); }

}  // namespace

// Enough blocks of one token tile (all the parts' row tiles) to fill the
// GPU in one wave (a partial second wave would wait on the slowest), two a
// multiprocessor: on the H200's 132 multiprocessors Llama-3-8B's Q+K+V
// (48 row tiles) in 5 slices of 7 steps, O (32 tiles) in 8 of 4, gate+up
// (224 tiles) whole, down (32 tiles of 14,336 columns) in 8 of 14. Each
// slice costs its tile's partial sums in and out of L2, so a slice keeps at
// least kMinSteps steps.
int a16_splits(const A16Args& a, int sm_count) {
  constexpr int64_t kBlocksPerSm = 2;
  constexpr int64_t kMaxSplits = 16;
  constexpr int64_t kMinSteps = 2;
  const int64_t steps = (a.parts[0].w.cols + kA16Step - 1) / kA16Step;
  const int64_t most = std::max<int64_t>(1, std::min(kMaxSplits, steps / kMinSteps));
  const int64_t want = std::clamp<int64_t>(kBlocksPerSm * sm_count / row_tiles(a), 1, most);
  // Whole slices of `per` steps, none empty.
  const int64_t per = (steps + want - 1) / want;
  return static_cast<int>((steps + per - 1) / per);
}

size_t a16_partial_bytes(const A16Args& a, int splits) {
  if (splits <= 1) return 0;
  return static_cast<size_t>(tiles(a) * splits * kA16Rows * kA16Tokens) * sizeof(float);
}

size_t a16_counter_bytes(const A16Args& a) { return static_cast<size_t>(tiles(a)) * sizeof(uint32_t); }

Status launch_gemm_a16(const A16Args& args, rt::Stream stream) {
  if (args.n_parts < 1 || args.n_parts > kMaxMatvecParts) {
    return RF_ERROR(kInternal, "{} weights in one GEMM on F16 activations", args.n_parts);
  }
  const WeightView& w = args.parts[0].w;
  for (int i = 0; i < args.n_parts; ++i) {
    const WeightView& p = args.parts[i].w;
    if (!gemm_a16_supports(p) || p.type != w.type || p.cols != w.cols) {
      return RF_ERROR(kInternal, "no GEMM on F16 activations for {} weights of {} columns beside {} of {}",
                      gguf::ggml_type_name(p.type), p.cols, gguf::ggml_type_name(w.type), w.cols);
    }
  }
  if (args.x.format != ActFormat::kF16) return RF_ERROR(kInternal, "the F16 GEMM's activations are not F16");
  if (args.n_tokens == 0) return ok();
  switch (w.type) {
    case gguf::GgmlType::kQ4_0:
      return launch_gemm_a16_t<gguf::GgmlType::kQ4_0>(args, stream);
    case gguf::GgmlType::kQ8_0:
      return launch_gemm_a16_t<gguf::GgmlType::kQ8_0>(args, stream);
    default:
      return RF_ERROR(kInternal, "a16_gemm_type and launch_gemm_a16 disagree on {}", gguf::ggml_type_name(w.type));
  }
}

}  // namespace rocmforge::backend::gpu
