#include "backend/gpu/gemm_a16.cuh"

#include <algorithm>

#include "backend/gpu/gemm_a16_policy.h"
#include "backend/gpu/weight_layout.h"

namespace rocmforge::backend::gpu {

bool gemm_a16_supports(const WeightView& w) {
  return kHasMma && a16_gemm_type(w.type) && w.cols % kQuantBlock == 0 && w.rows > 0;
}

// Enough blocks of one token tile to fill the GPU in one wave (a partial
// second wave would wait on the slowest), two a multiprocessor, as the
// kernel's shared memory allows on sm_90: Llama-3-8B's 4096 x 4096 in 8
// slices of 512 (256 blocks on the H200's 132 multiprocessors), 1024 x 4096
// in 16 of 256, 14336 x 4096 in 2, 4096 x 14336 in 8 of 1792. Each slice
// costs 64 tokens' partial sums in and out of L2 (a fifth of Q4_0's
// 4096 x 4096 bytes per slice), so a slice keeps at least kMinSteps steps.
int a16_splits(const WeightView& w, int sm_count) {
  constexpr int64_t kBlocksPerSm = 2;
  constexpr int64_t kMaxSplits = 16;
  constexpr int64_t kMinSteps = 2;
  const int64_t steps = (w.cols + kA16Step - 1) / kA16Step;
  const int64_t row_tiles = (w.rows + kA16Rows - 1) / kA16Rows;
  const int64_t most = std::max<int64_t>(1, std::min(kMaxSplits, steps / kMinSteps));
  const int64_t want = std::clamp<int64_t>(kBlocksPerSm * sm_count / row_tiles, 1, most);
  // Whole slices of `per` steps, none empty.
  const int64_t per = (steps + want - 1) / want;
  return static_cast<int>((steps + per - 1) / per);
}

size_t a16_partial_bytes(const WeightView& w, int64_t n_tokens, int splits) {
  if (splits <= 1) return 0;
  const int64_t tiles = ((w.rows + kA16Rows - 1) / kA16Rows) * ((n_tokens + kA16Tokens - 1) / kA16Tokens);
  return static_cast<size_t>(tiles * splits * kA16Rows * kA16Tokens) * sizeof(float);
}

size_t a16_counter_bytes(const WeightView& w, int64_t n_tokens) {
  const int64_t tiles = ((w.rows + kA16Rows - 1) / kA16Rows) * ((n_tokens + kA16Tokens - 1) / kA16Tokens);
  return static_cast<size_t>(tiles) * sizeof(uint32_t);
}

Status launch_gemm_a16(const A16Args& args, rt::Stream stream) {
  if (!gemm_a16_supports(args.w)) {
    return RF_ERROR(kInternal, "no GEMM on F16 activations for {} weights", gguf::ggml_type_name(args.w.type));
  }
  if (args.x.format != ActFormat::kF16) return RF_ERROR(kInternal, "the F16 GEMM's activations are not F16");
  if (args.n_tokens == 0) return ok();
  switch (args.w.type) {
    case gguf::GgmlType::kQ4_0:
      return launch_gemm_a16_t<gguf::GgmlType::kQ4_0>(args, stream);
    case gguf::GgmlType::kQ8_0:
      return launch_gemm_a16_t<gguf::GgmlType::kQ8_0>(args, stream);
    default:
      return RF_ERROR(kInternal, "a16_gemm_type and launch_gemm_a16 disagree on {}", gguf::ggml_type_name(args.w.type));
  }
}

}  // namespace rocmforge::backend::gpu
