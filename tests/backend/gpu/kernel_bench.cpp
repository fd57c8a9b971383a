// gpu_kernel_bench: the GPU matmul alone at Llama-3-8B's shapes, through the
// backend interface, against the device's ceilings: achieved bytes/s for the
// matrix-vector path (decode reads each weight byte once) and FLOP/s for the
// GEMM path (prefill). Weights are random and rotate among several copies so
// the 60 MB L2 cannot hold them. Not a test: scripts/gpu-check.sh runs it.
#include <chrono>
#include <initializer_list>
#include <cstdio>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "backend/gpu/gpu_backend.h"
#include "gguf/gguf_file.h"
#include "quant/quant.h"

namespace rocmforge {
namespace {

using gguf::GgmlType;

struct Shape {
  const char* name;
  int64_t rows;
  int64_t cols;
};

constexpr Shape kShapes[] = {{"q/o 4096x4096", 4096, 4096},
                             {"k/v 1024x4096", 1024, 4096},
                             {"gate/up 14336x4096", 14336, 4096},
                             {"gate+up 28672x4096", 28672, 4096},  // the two as the model fuses them
                             {"down 4096x14336", 4096, 14336}};

// Random weights in the file layout: kDistinctRows rows quantised, repeated
// (the K-quants' reference quantisers search scales: a whole 14336-row
// matrix would take minutes; the speed does not depend on the values).
std::vector<std::byte> random_rows(GgmlType type, int64_t rows, int64_t cols) {
  constexpr int64_t kDistinctRows = 64;
  std::mt19937 rng(static_cast<uint32_t>(rows + cols));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(cols));
  const size_t row_bytes = gguf::ggml_row_size(type, cols);
  std::vector<std::byte> data(row_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    std::byte* dst = data.data() + static_cast<size_t>(r) * row_bytes;
    if (r >= kDistinctRows) {
      std::memcpy(dst, data.data() + static_cast<size_t>(r % kDistinctRows) * row_bytes, row_bytes);
      continue;
    }
    for (float& x : row) x = dist(rng);
    quant::quantize_row(type, row.data(), dst, cols);
  }
  return data;
}

// `name`: a layer matrix's ("blk.") gets an F16 copy where the backend makes them.
Result<backend::Tensor> load(backend::Backend& b, GgmlType type, int64_t rows, int64_t cols,
                             const std::vector<std::byte>& data, const char* name = "bench") {
  gguf::TensorInfo info;
  info.name = name;
  info.type = type;
  info.n_dims = 2;
  info.ne = {cols, rows, 1, 1};
  info.n_bytes = data.size();
  info.data = data.data();
  RF_TRY(b.reserve_weights(std::span<const gguf::TensorInfo>(&info, 1)));  // decides the F16 copy
  return b.load_weight(info);
}

// Mean seconds per matmul (matmul_prompt with `prompt`) of `tokens` rows of
// activations by the shape's weights, over `iters` launches after a
// warm-up, rotating weights.
Result<double> time_matmul(backend::Backend& b, const std::vector<backend::Tensor>& ws, const Shape& s,
                           int64_t tokens, int iters, bool prompt = false) {
  auto xbuf = RF_TRY(b.allocate(static_cast<size_t>(tokens * s.cols) * sizeof(float)));
  auto obuf = RF_TRY(b.allocate(static_cast<size_t>(tokens * s.rows) * sizeof(float)));
  const std::vector<float> xs(static_cast<size_t>(tokens * s.cols), 0.5f);
  b.upload(xbuf->data(), xs.data(), xs.size() * sizeof(float));
  const backend::Tensor x = backend::f32_tensor(static_cast<float*>(xbuf->data()), tokens, s.cols);
  const backend::Tensor out = backend::f32_tensor(static_cast<float*>(obuf->data()), tokens, s.rows);
  auto product = [&](const backend::Tensor& w) { prompt ? b.matmul_prompt(w, x, out) : b.matmul(w, x, out); };
  for (const backend::Tensor& w : ws) product(w);
  RF_TRY(b.synchronize());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) product(ws[static_cast<size_t>(i) % ws.size()]);
  RF_TRY(b.synchronize());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iters;
}

// One table row per type, shape and token count; `batch_invariant`: the
// kernels serve runs (one configuration at every token count).
Status run(bool batch_invariant, std::initializer_list<GgmlType> types, std::initializer_list<int64_t> token_counts) {
  backend::gpu::GpuOptions o;
  o.batch_invariant = batch_invariant;
  auto gpu = RF_TRY(backend::gpu::create_backend(o));
  std::printf("\n%s\n\n| type | shape | tokens | us | GB/s | TFLOP/s |\n| --- | --- | ---: | ---: | ---: | ---: |\n",
              batch_invariant ? "Batch-invariant kernels (serve):" : "Fastest kernels (run, bench):");
  for (GgmlType type : types) {
    for (const Shape& s : kShapes) {
      const std::vector<std::byte> data = random_rows(type, s.rows, s.cols);
      std::vector<backend::Tensor> ws;
      for (int copy = 0; copy < 4; ++copy) ws.push_back(RF_TRY(load(*gpu, type, s.rows, s.cols, data)));
      const double weight_bytes = static_cast<double>(data.size());
      for (int64_t tokens : token_counts) {
        const double sec = RF_TRY(time_matmul(*gpu, ws, s, tokens, tokens >= 64 ? 20 : 200));
        std::printf("| %s | %s | %lld | %.1f | %.0f | %.1f |\n", std::string(gguf::ggml_type_name(type)).c_str(),
                    s.name, static_cast<long long>(tokens), sec * 1e6, weight_bytes / sec / 1e9,
                    2.0 * static_cast<double>(tokens * s.rows * s.cols) / sec / 1e12);
      }
    }
  }
  return ok();
}

// The batch-invariant mode with F16 copies (serve on a large card):
// generated rows (matmul) of Q4_0 and Q8_0 through the GEMM on F16
// activations, GB/s on the quantised bytes it reads; prompt rows
// (matmul_prompt) through the pinned BLAS algorithm on the F16 copies, GB/s
// on the copy's bytes.
Status run_copies() {
  backend::gpu::GpuOptions o;
  o.batch_invariant = true;
  o.f16_copies = backend::gpu::F16CopyMode::kOn;
  auto gpu = RF_TRY(backend::gpu::create_backend(o));
  std::printf("\nBatch-invariant kernels with F16 copies (serve): generated rows on the quantised weights, prompt rows "
              "on the copies:\n\n| type | rows | shape | tokens | us | GB/s | TFLOP/s |\n"
              "| --- | --- | --- | ---: | ---: | ---: | ---: |\n");
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0}) {
    for (const Shape& s : kShapes) {
      if (s.rows > 14336) continue;  // copies are per tensor: gate and up apart
      const std::vector<std::byte> data = random_rows(type, s.rows, s.cols);
      std::vector<backend::Tensor> ws;
      for (int copy = 0; copy < 4; ++copy) {
        ws.push_back(RF_TRY(load(*gpu, type, s.rows, s.cols, data, "blk.0.bench.weight")));
      }
      const double copy_bytes = 2.0 * static_cast<double>(s.rows * s.cols);
      for (const auto& [tokens, prompt] : {std::pair<int64_t, bool>{1, false}, {8, false}, {16, false}, {32, false},
                                           {64, false}, {512, true}, {2048, true}}) {
        const double sec = RF_TRY(time_matmul(*gpu, ws, s, tokens, tokens >= 512 ? 20 : 100, prompt));
        const double bytes = prompt ? copy_bytes : static_cast<double>(data.size());
        std::printf("| %s | %s | %s | %lld | %.1f | %.0f | %.1f |\n", std::string(gguf::ggml_type_name(type)).c_str(),
                    prompt ? "prompt" : "generated", s.name, static_cast<long long>(tokens), sec * 1e6,
                    bytes / sec / 1e9, 2.0 * static_cast<double>(tokens * s.rows * s.cols) / sec / 1e12);
      }
    }
  }
  return ok();
}

Status run_all() {
  RF_TRY(run_copies());
  // 2 to 8: where the matrix-vector kernel hands over to the GEMM; 16 to 64: batched decode's GEMM.
  RF_TRY(run(false, {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kF16, GgmlType::kQ4_K, GgmlType::kQ6_K},
             {1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512}));
  return run(true, {GgmlType::kQ4_0, GgmlType::kF16}, {1, 8, 64, 512});
}

}  // namespace
}  // namespace rocmforge

int main() {
  const rocmforge::Status s = rocmforge::run_all();
  if (!s) {
    std::fprintf(stderr, "gpu_kernel_bench: %s\n", s.error().to_string().c_str());
    return 1;
  }
  return 0;
}
