// out[t, o] = x[t, :] . w[o, :] for weights of any supported type.
//
// Activations are first converted to the weight type's dot format (Q8_0 for
// Q4_0, F16 for F16, ...), as ggml does. Each thread then owns a contiguous
// range of weight rows and walks it in 4x4 tiles (4 weight rows x 4 tokens),
// so every weight byte loaded serves four tokens and every activation block
// four rows. Tokens are taken in blocks whose converted activations fit in L2.
// Q4_0 and Q8_0 prompts run on packed panels instead (quant/panel.h): each thread packs
// 16 rows at a time and runs every token over them.
#include <algorithm>
#include <cassert>
#include <cstdint>

#include "backend/cpu/ops.h"
#include "quant/panel.h"
#include "quant/quant.h"

namespace rocmforge::backend::cpu {
namespace {

constexpr int64_t kTile = 4;
// Below this many multiply-adds a matmul runs on the calling thread: waking the
// pool costs more than the work (tiny models, small projections).
constexpr int64_t kMinParallelWork = 1 << 16;
constexpr size_t kTokenBlockBytes = 512 * 1024;  // converted activations per token block

constexpr size_t kCacheLine = 64;

void convert_activations(core::ThreadPool& pool, gguf::GgmlType act_type, const Tensor& x, std::byte* dst,
                         size_t dst_stride) {
  pool.parallel_for(x.rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      quant::quantize_activations(act_type, x.row<const float>(t), dst + static_cast<size_t>(t) * dst_stride, x.cols);
    }
  });
}

std::byte* align_up(std::byte* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  return p + ((kCacheLine - v % kCacheLine) % kCacheLine);
}

// The panel path: `scratch` holds the activations converted to Q8_0 (the
// dot format of both panel types), their sums, then one panel per thread.
void matmul_panels(core::ThreadPool& pool, std::vector<std::byte>& scratch, const Tensor& w, const Tensor& x,
                   const Tensor& out, bool parallel) {
  assert(quant::vec_dot_type(w.type) == gguf::GgmlType::kQ8_0);
  const int64_t n_tok = x.rows;
  const int64_t k = w.cols;
  const size_t act_stride = gguf::ggml_row_size(gguf::GgmlType::kQ8_0, k);
  const size_t sums_stride = quant::panel_sums_bytes(w.type, k);
  const size_t panel_bytes = (quant::panel_bytes(w.type, k) + kCacheLine - 1) / kCacheLine * kCacheLine;
  const int n_threads = parallel ? pool.size() : 1;
  const size_t act_bytes = act_stride * static_cast<size_t>(n_tok);
  const size_t need = act_bytes + sums_stride * static_cast<size_t>(n_tok) + kCacheLine +
                      panel_bytes * static_cast<size_t>(n_threads);
  if (scratch.size() < need) scratch.resize(need);
  std::byte* act = scratch.data();
  std::byte* sums = act + act_bytes;
  std::byte* panels = align_up(sums + sums_stride * static_cast<size_t>(n_tok));
  pool.parallel_for(n_tok, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      std::byte* a = act + static_cast<size_t>(t) * act_stride;
      quant::quantize_activations(gguf::GgmlType::kQ8_0, x.row<const float>(t), a, k);
      quant::panel_sums(w.type, k, a, sums + static_cast<size_t>(t) * sums_stride);
    }
  });

  const int64_t n_panels = (w.rows + quant::kPanelRows - 1) / quant::kPanelRows;
  auto work = [&](int thread) {
    std::byte* panel = panels + static_cast<size_t>(thread) * panel_bytes;
    for (int64_t p = n_panels * thread / n_threads; p < n_panels * (thread + 1) / n_threads; ++p) {
      const int64_t r = p * quant::kPanelRows;
      const int n_rows = static_cast<int>(std::min<int64_t>(quant::kPanelRows, w.rows - r));
      quant::pack_panel(w.type, k, w.row<const std::byte>(r), w.row_stride, n_rows, panel);
      quant::panel_gemm(w.type, k, panel, n_rows, act, act_stride, sums, sums_stride, n_tok, out.row<float>(0) + r,
                        out.row_stride / sizeof(float));
    }
  };
  if (parallel) {
    pool.run(work);
  } else {
    work(0);
  }
}

}  // namespace

void matmul(core::ThreadPool& pool, std::vector<std::byte>& scratch, const Tensor& w, const Tensor& x,
            const Tensor& out, bool batch_invariant) {
  assert(x.cols == w.cols && out.rows == x.rows && out.cols == w.rows && x.type == gguf::GgmlType::kF32);
  const int64_t n_tok = x.rows;
  const int64_t n_out = w.rows;
  const int64_t k = w.cols;
  const gguf::GgmlType act_type = quant::vec_dot_type(w.type);
  const bool parallel = n_out * k * n_tok >= kMinParallelWork && pool.size() > 1;
  if (!batch_invariant && quant::panel_applies(w.type, {n_out, n_tok})) {
    return matmul_panels(pool, scratch, w, x, out, parallel);
  }

  const std::byte* act = static_cast<const std::byte*>(x.data);
  size_t act_stride = x.row_stride;
  if (act_type != gguf::GgmlType::kF32) {
    act_stride = gguf::ggml_row_size(act_type, k);
    const size_t need = act_stride * static_cast<size_t>(n_tok);
    if (scratch.size() < need) scratch.resize(need);
    convert_activations(pool, act_type, x, scratch.data(), act_stride);
    act = scratch.data();
  }

  // The kernels reproduce llama.cpp, which sums a one-token product and a batch
  // in different orders. Batch-invariant mode computes every token as a
  // one-token product, so a row's result never depends on its neighbours.
  const quant::DotTileFn dot = quant::dot_tile(w.type, {n_out, batch_invariant ? 1 : n_tok});
  const int64_t tile_cols = batch_invariant ? 1 : kTile;
  const int64_t token_block = std::max<int64_t>(
      kTile, static_cast<int64_t>(kTokenBlockBytes / std::max<size_t>(1, act_stride)) / kTile * kTile);
  // Row ranges are whole tiles so no tile straddles two threads.
  const int64_t n_row_tiles = (n_out + kTile - 1) / kTile;
  const int n_threads = parallel ? pool.size() : 1;

  auto work = [&](int thread) {
    const int64_t tile_begin = n_row_tiles * thread / n_threads;
    const int64_t tile_end = n_row_tiles * (thread + 1) / n_threads;
    const int64_t r_begin = tile_begin * kTile;
    const int64_t r_end = std::min(n_out, tile_end * kTile);
    float tile[kTile * kTile];
    for (int64_t t0 = 0; t0 < n_tok; t0 += token_block) {
      const int64_t t_end = std::min(n_tok, t0 + token_block);
      for (int64_t r = r_begin; r < r_end; r += kTile) {
        const int n_rows = static_cast<int>(std::min(kTile, r_end - r));
        for (int64_t t = t0; t < t_end; t += tile_cols) {
          const int n_cols = static_cast<int>(std::min(tile_cols, t_end - t));
          dot(k, w.row<const std::byte>(r), w.row_stride, n_rows, act + static_cast<size_t>(t) * act_stride,
              act_stride, n_cols, tile, kTile);
          for (int c = 0; c < n_cols; ++c) {
            float* dst = out.row<float>(t + c) + r;
            for (int rr = 0; rr < n_rows; ++rr) dst[rr] = tile[rr * kTile + c];
          }
        }
      }
    }
  };
  if (parallel) {
    pool.run(work);
  } else {
    work(0);
  }
}

}  // namespace rocmforge::backend::cpu
