// Micro-benchmarks of the quant module, one thread:
//   matvec/<type>/<level>/<tile>/<k>: a k x k weight matrix times one token,
//     walked in 1x1 tiles (one row per call) or 4x1 tiles (the matmul's decode
//     path); bytes processed = weight bytes, so the rate is weight GB/s.
//   tile4x4/<type>/<level>/<k>: the same matrix times four tokens in 4x4 tiles
//     (prompt processing); also MAC/s.
//   read/<k>: summing the bytes of a k x k Q4_0-sized buffer, a bandwidth
//     reference for the matvec rates at the same size.
//   quantize/<type>/<level>/<n>: quantize_activations of one n-element row;
//     bytes processed = input bytes.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "quant/quant.h"
#include "quant_bench.h"

namespace rocmforge::bench {
namespace {

using gguf::GgmlType;
using quant::Isa;

constexpr Isa kIsas[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512};

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  return x;
}

// `rows` rows of `k` elements of `type`: random weights, or quantised
// activations when `activations` is set. Rows repeat with a period of 64:
// the K-quant quantisers are too slow to fill 4096 rows on every run.
std::vector<uint8_t> random_rows(GgmlType type, int64_t rows, int64_t k, bool activations) {
  constexpr int64_t kDistinct = 64;
  const size_t stride = quant::row_bytes(type, k);
  std::vector<uint8_t> bytes(stride * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = bytes.data() + static_cast<size_t>(r) * stride;
    if (r >= kDistinct) {
      std::memcpy(dst, dst - kDistinct * stride, stride);
      continue;
    }
    const std::vector<float> x = random_floats(k, static_cast<uint32_t>(r));
    if (activations) {
      quant::quantize_activations(type, x.data(), dst, k);
    } else {
      quant::quantize_row(type, x.data(), dst, k);
    }
  }
  return bytes;
}

void matvec(benchmark::State& state, GgmlType type, Isa isa, int tile_rows) {
  const int64_t k = state.range(0);
  const GgmlType act_type = quant::vec_dot_type(type);
  const std::vector<uint8_t> w = random_rows(type, k, k, false);
  const std::vector<uint8_t> a = random_rows(act_type, 1, k, true);
  const size_t ws = quant::row_bytes(type, k);
  const size_t as = quant::row_bytes(act_type, k);
  const quant::DotTileFn dot = quant::dot_tile(type, isa);
  std::vector<float> out(static_cast<size_t>(k));
  for (auto _ : state) {
    for (int64_t r = 0; r < k; r += tile_rows) {
      dot(k, w.data() + static_cast<size_t>(r) * ws, ws, tile_rows, a.data(), as, 1, out.data() + r, 1);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
}

void tile4x4(benchmark::State& state, GgmlType type, Isa isa) {
  const int64_t k = state.range(0);
  constexpr int kTokens = 4;
  const GgmlType act_type = quant::vec_dot_type(type);
  const std::vector<uint8_t> w = random_rows(type, k, k, false);
  const std::vector<uint8_t> a = random_rows(act_type, kTokens, k, true);
  const size_t ws = quant::row_bytes(type, k);
  const size_t as = quant::row_bytes(act_type, k);
  const quant::DotTileFn dot = quant::dot_tile(type, isa);
  std::vector<float> out(static_cast<size_t>(k) * kTokens);
  for (auto _ : state) {
    for (int64_t r = 0; r < k; r += 4) {
      dot(k, w.data() + static_cast<size_t>(r) * ws, ws, 4, a.data(), as, kTokens, out.data() + r * kTokens, kTokens);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(k * k * kTokens), benchmark::Counter::kIsIterationInvariantRate);
}

void read_bytes(benchmark::State& state) {
  const int64_t k = state.range(0);
  std::vector<uint8_t> bytes(quant::row_bytes(GgmlType::kQ4_0, k) * static_cast<size_t>(k), 1);
  for (auto _ : state) {
    uint64_t sums[4] = {};
    for (size_t i = 0; i + 32 <= bytes.size(); i += 32) {
      for (size_t j = 0; j < 4; ++j) {
        uint64_t v;
        std::memcpy(&v, bytes.data() + i + 8 * j, sizeof(v));
        sums[j] += v;
      }
    }
    benchmark::DoNotOptimize(sums);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}

void quantize(benchmark::State& state, GgmlType type, Isa isa) {
  const int64_t n = state.range(0);
  const std::vector<float> x = random_floats(n, 1);
  std::vector<uint8_t> out(quant::row_bytes(type, n));
  for (auto _ : state) {
    quant::quantize_activations(type, x.data(), out.data(), n, isa);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
}

std::string name(const char* kind, GgmlType type, Isa isa) {
  return std::string(kind) + "/" + std::string(gguf::ggml_type_name(type)) + "/" + std::string(quant::isa_name(isa));
}

}  // namespace

void register_quant_benchmarks() {
  for (Isa isa : kIsas) {
    if (!quant::isa_available(isa)) continue;
    for (GgmlType type : quant::supported_types()) {
      for (int tile_rows : {1, 4}) {
        const std::string shape = tile_rows == 1 ? "/1x1" : "/4x1";
        benchmark::RegisterBenchmark((name("matvec", type, isa) + shape).c_str(), matvec, type, isa, tile_rows)
            ->Arg(2048)
            ->Arg(4096)
            ->Unit(benchmark::kMicrosecond);
      }
      benchmark::RegisterBenchmark(name("tile4x4", type, isa).c_str(), tile4x4, type, isa)
          ->Arg(2048)
          ->Arg(4096)
          ->Unit(benchmark::kMicrosecond);
    }
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ8_1, GgmlType::kQ8_K, GgmlType::kF16, GgmlType::kBF16}) {
      benchmark::RegisterBenchmark(name("quantize", type, isa).c_str(), quantize, type, isa)->Arg(4096);
    }
  }
  benchmark::RegisterBenchmark("read", read_bytes)->Arg(2048)->Arg(4096)->Unit(benchmark::kMicrosecond);
}

}  // namespace rocmforge::bench
