// rocmforge_microbench: each module's benchmarks are registered here, then
// Google Benchmark runs those the command line selects (--benchmark_filter=...).
#include <benchmark/benchmark.h>

#include "quant_bench.h"

int main(int argc, char** argv) {
  rocmforge::bench::register_quant_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
