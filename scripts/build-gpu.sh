#!/usr/bin/env bash
# Compiles the GPU backend (and the binaries that use it) for every GPU
# toolkit on this machine: CUDA (sm_80, sm_90) when nvcc is there, HIP
# (gfx90a, gfx1030) when hipcc is. Nothing GPU runs here; the GPU tests run
# on a GPU machine through scripts/gpu-check.sh. A missing toolkit is said,
# not hidden.
set -euo pipefail
jobs=${JOBS:-$(nproc)}
targets=(rocmforge gpu_backend_test gpu_kernel_bench)

build() {  # build() DIR CMAKE_OPTION
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DROCMFORGE_TESTS=ON -DROCMFORGE_BENCH=OFF "$2" >/dev/null
  local more=()
  # CUPTI's kernel records (CUDA, where the toolkit has CUPTI).
  if cmake --build "$1" --target help | grep -q '^rocmforge_kernel_trace:'; then more=(rocmforge_kernel_trace); fi
  cmake --build "$1" -j "$jobs" --target "${targets[@]}" "${more[@]}"
}

if command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  build build-cuda -DROCMFORGE_CUDA=ON
  echo "build-gpu: CUDA build done (build-cuda)"
else
  echo "build-gpu: no nvcc on this machine: the CUDA build was not compiled"
fi
if command -v hipcc >/dev/null; then
  build build-hip -DROCMFORGE_HIP=ON
  echo "build-gpu: HIP build done (build-hip)"
else
  echo "build-gpu: no hipcc on this machine: the HIP build was not compiled"
fi
