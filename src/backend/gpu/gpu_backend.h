// The GPU backend's entry points, for callers that know nothing of CUDA or
// HIP. A build without GPU support links no_gpu.cpp instead, which answers
// that there is no GPU, so callers need no conditional compilation.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// F16 copies of the quantised layer weights, kept beside them so that prompt
// GEMMs through the BLAS skip their dequantising pass (about 5 ms a step for
// an 8B model); in the batch-invariant mode, prompt rows go through the BLAS
// on them (Backend::matmul_prompt) instead of the int8 GEMM. kAuto keeps
// them when weights and copies together take at most half of the memory
// budget. Builds without a BLAS (HIP) make none.
enum class F16CopyMode { kOff, kAuto, kOn };

struct GpuOptions {
  int device = 0;
  // The share of the device memory free at start that this backend may use
  // (weights, KV cache, activations, scratch).
  double mem_fraction = 0.9;
  // A token's results do not depend on the other tokens of its step: every
  // matmul and attention row takes one kernel configuration whatever the
  // step's size (serving; slower prompts and single-sequence decode).
  bool batch_invariant = false;
  // The most sequences a step decodes (serve's --parallel; 0: not known).
  // The batch-invariant mode takes one generated-row kernel for the whole
  // process, the one fastest at that load (gemm_a16_policy.h).
  int64_t decode_rows = 0;
  F16CopyMode f16_copies = F16CopyMode::kAuto;
};

// Whether this build has GPU kernels.
bool built_with_gpu();

// GPUs this build can use: 0 without GPU support or without a device.
int device_count();

// A backend on options.device: kUnsupported in a build without GPU support,
// kDevice when the device cannot be opened.
Result<std::unique_ptr<Backend>> create_backend(const GpuOptions& options);

}  // namespace rocmforge::backend::gpu
