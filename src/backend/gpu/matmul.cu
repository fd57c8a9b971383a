#include "backend/gpu/matmul.cuh"

#include <algorithm>

#include "backend/gpu/check.cuh"
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
  static Status run(const GemmArgs& args, rt::Stream s) { return launch_gemm_t<T>(args, s); }
};

constexpr int kReduceThreads = 256;

// out[m, n] = sum over s of partial[s, m, n], s in order.
__global__ void __launch_bounds__(kReduceThreads)
    gemm_reduce_kernel(const float* __restrict__ partial,  // [splits, m, n]
                       int splits, int64_t m, int64_t n,
                       float* __restrict__ out,  // [m, out_stride]
                       int64_t out_stride) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kReduceThreads + threadIdx.x;
  if (i >= m * n) return;
  float sum = partial[i];
  for (int s = 1; s < splits; ++s) sum += partial[static_cast<int64_t>(s) * m * n + i];
  out[(i / n) * out_stride + i % n] = sum;
}

// k-steps of a row: gemm_q8_kernel's kQ8GemmStep elements for quantised
// weights, gemm_half_kernel's 128 bytes (64 halves) for the others.
int64_t row_steps(const WeightView& w) {
  constexpr int64_t kHalfStepBytes = 128;
  if (block_regions(w.type).qs != 0) return (w.cols + kQ8GemmStep - 1) / kQ8GemmStep;
  return (w.cols * 2 + kHalfStepBytes - 1) / kHalfStepBytes;
}

// Splits into slices of `per` steps, none empty.
int64_t whole_slices(int64_t steps, int64_t splits) {
  const int64_t per = (steps + splits - 1) / splits;
  return (steps + per - 1) / per;
}

Status launch_matvec_with(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens, rt::Stream stream,
                          const ExpertSelect& experts, const MatvecRopeStore& rope, bool four_rows = false) {
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
  args.rope = rope;
  args.four_rows = four_rows;
  return dispatch_weight_type<Matvec>(parts[0].w.type, "matmul", args, stream);
}

bool quantised(const WeightView& w) { return block_regions(w.type).qs != 0; }

// Row tiles of a's parts, each part's from a fresh tile, for blocks of `rows` rows.
int64_t row_tiles(const GemmArgs& a, int64_t rows) {
  int64_t tiles = 0;
  for (int i = 0; i < a.n_parts; ++i) tiles += (a.parts[i].w.rows + rows - 1) / rows;
  return tiles;
}

}  // namespace

ActFormat act_format(GgmlType type) { return act_format_of(type); }

bool gemm_on_tensor_cores(const WeightView& w) {
  return kHasMma && w.type != GgmlType::kF32 && w.cols % kQuantBlock == 0;
}

Status launch_matvec(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens, rt::Stream stream,
                     const ExpertSelect& experts) {
  return launch_matvec_with(parts, x, n_tokens, stream, experts, MatvecRopeStore{});
}

Status launch_matvec_rope_store(std::span<const MatvecPart, 3> parts, const ActView& x, int64_t n_tokens,
                                const MatvecRopeStore& rope, int sm_count, rt::Stream stream) {
  if (rope.k_cache == nullptr || n_tokens > kMatvecRopeStoreTokens || rope.n_rot % 2 != 0 ||
      rope.n_rot > rope.head_dim || rope.head_dim % 2 != 0 || parts[0].w.rows % rope.head_dim != 0 ||
      parts[1].w.rows % rope.head_dim != 0 || parts[2].w.rows % 2 != 0) {
    return RF_ERROR(kInternal, "Q, K and V products of {} tokens with RoPE over {} of {} dims", n_tokens, rope.n_rot,
                    rope.head_dim);
  }
  const int64_t rows = parts[0].w.rows + parts[1].w.rows + parts[2].w.rows;
  constexpr int64_t kRows = kMatvecRowsPerBlock<1>;
  const bool four_rows = n_tokens == 1 && matvec_qkv_four_rows(parts[0].w.type) &&
                         (rows + kRows - 1) / kRows > int64_t{kMatvecOneTokenBlocksPerSm} * sm_count;
  return launch_matvec_with(parts, x, n_tokens, stream, ExpertSelect{}, rope, four_rows);
}

Status launch_matvec_chunks(const MatvecPart& part, const ActView& x, int64_t n_tokens, rt::Stream stream) {
  for (int64_t t = 0; t < n_tokens; t += kMatvecMaxTokens) {
    const ActView chunk{x.format, x.q + t * static_cast<int64_t>(x.stride),
                        x.ds != nullptr ? x.ds + t * (part.w.cols / kQuantBlock) : nullptr, x.stride};
    const MatvecPart out{part.w, part.out + t * part.out_stride, part.out_stride};
    const int64_t n = std::min(kMatvecMaxTokens, n_tokens - t);
    RF_TRY(launch_matvec(std::span<const MatvecPart>(&out, 1), chunk, n, stream));
  }
  return ok();
}

int gemm_splits(const GemmArgs& a, int64_t n_tokens, int sm_count) {
  const WeightView& w = a.parts[0].w;
  if (!gemm_on_tensor_cores(w)) return 1;
  constexpr int64_t kMaxSplits = 8;
  constexpr int64_t kMinSteps = 4;  // k-steps per slice
  const int64_t steps = row_steps(w);
  if (quantised(w)) {
    // gemm_q8_kernel streams weights: a grid of fewer blocks than
    // multiprocessors is split to fill up to the blocks a multiprocessor
    // holds, no more (a partial last wave would wait on the slowest), at the
    // cost of summing the partial products.
    const int64_t tokens = q8_gemm_tokens(n_tokens);
    const int64_t tiles = row_tiles(a, q8_gemm_rows(tokens)) * ((n_tokens + tokens - 1) / tokens);
    if (tiles >= sm_count) return 1;
    const int64_t want = q8_gemm_blocks_per_sm(tokens) * static_cast<int64_t>(sm_count) / tiles;
    return static_cast<int>(whole_slices(steps, std::max<int64_t>(1, std::min({want, kMaxSplits, steps / kMinSteps}))));
  }
  const int64_t tile_m = n_tokens <= 64 ? 64 : 128;
  const int64_t tiles = ((w.rows + 127) / 128) * ((n_tokens + tile_m - 1) / tile_m);
  // Splitting costs a pass over the partial sums: only grids of under half a wave gain (run 2 measured
  // a 4096x4096 GEMM of 512 tokens, 128 tiles, slower split in two).
  if (2 * tiles > sm_count) return 1;
  const int64_t want = (2 * static_cast<int64_t>(sm_count) + tiles - 1) / tiles;  // about two waves
  return static_cast<int>(whole_slices(steps, std::max<int64_t>(1, std::min({want, kMaxSplits, steps / kMinSteps}))));
}

size_t gemm_partial_bytes(const GemmArgs& a, int splits) {
  if (splits <= 1) return 0;
  if (!quantised(a.parts[0].w)) return static_cast<size_t>(splits * a.n_tokens * a.parts[0].w.rows) * sizeof(float);
  // Whole tiles: [row tiles, token tiles, slices, the tile's rows x tokens].
  const int64_t tokens = q8_gemm_tokens(a.n_tokens);
  const int64_t rows = q8_gemm_rows(tokens);
  const int64_t token_tiles = (a.n_tokens + tokens - 1) / tokens;
  return static_cast<size_t>(row_tiles(a, rows) * token_tiles * splits * rows * tokens) * sizeof(float);
}

size_t gemm_counter_bytes(const GemmArgs& a) {
  if (!quantised(a.parts[0].w)) return 0;  // the float kernels' slices are summed by a second kernel
  const int64_t tokens = q8_gemm_tokens(a.n_tokens);
  return static_cast<size_t>(row_tiles(a, q8_gemm_rows(tokens)) * ((a.n_tokens + tokens - 1) / tokens)) *
         sizeof(uint32_t);
}

int64_t gemm_split_steps(const WeightView& w, int splits) { return (row_steps(w) + splits - 1) / splits; }

Status launch_gemm(const GemmArgs& args, rt::Stream stream) {
  if (args.n_tokens > 65535 * 64) return RF_ERROR(kInternal, "{} tokens in one GEMM", args.n_tokens);
  if (args.n_parts < 1 || args.n_parts > kMaxMatvecParts) return RF_ERROR(kInternal, "{} parts in one GEMM", args.n_parts);
  for (int i = 1; i < args.n_parts; ++i) {
    const WeightView& w = args.parts[i].w;
    if (w.type != args.parts[0].w.type || w.cols != args.parts[0].w.cols || !quantised(w)) {
      return RF_ERROR(kInternal, "GEMM parts of different types or widths, or not quantised");
    }
  }
  if (args.splits > 1 && (args.partial == nullptr || (quantised(args.parts[0].w) && args.counters == nullptr))) {
    return RF_ERROR(kInternal, "a GEMM split {} ways without its scratch", args.splits);
  }
  RF_TRY(dispatch_weight_type<Gemm>(args.parts[0].w.type, "matmul", args, stream));
  if (args.splits <= 1 || quantised(args.parts[0].w)) return ok();
  const MatvecPart& p = args.parts[0];
  const int64_t total = args.n_tokens * p.w.rows;
  gemm_reduce_kernel<<<static_cast<unsigned>((total + kReduceThreads - 1) / kReduceThreads), kReduceThreads, 0,
                       stream>>>(args.partial, args.splits, args.n_tokens, p.w.rows, p.out, p.out_stride);
  return check_launch("gemm_reduce_kernel");
}

}  // namespace rocmforge::backend::gpu
