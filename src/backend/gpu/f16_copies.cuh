// F16 copies of quantised layer weights (GpuOptions::f16_copies), looked up
// by the weight's device address: prompt GEMMs through the BLAS read them
// instead of dequantising the weight into scratch every step, and the
// batch-invariant mode's prompt rows go through the BLAS on them.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <unordered_map>

#include "backend/gpu/dense_gemm.cuh"
#include "backend/gpu/device_memory.cuh"
#include "gguf/gguf_file.h"

namespace rocmforge::backend::gpu {

class F16Copies {
 public:
  // Whether a tensor gets a copy: the layers' quantised matrices that the
  // BLAS takes. Not the token embedding or the output projection (a few rows
  // a step), nor stacked experts (matrix-vector products only).
  static bool wants(const gguf::TensorInfo& info, const DenseGemm& dense);
  // Its copy's bytes: rows of plain F16.
  static size_t bytes(const gguf::TensorInfo& info);

  void add(const void* weight, std::unique_ptr<DeviceBuffer> copy);
  bool any() const { return !copies_.empty(); }
  // The F16 copy of `w` as a weight of its own, if it has one.
  std::optional<WeightView> find(const WeightView& w) const;

 private:
  std::unordered_map<const void*, std::unique_ptr<DeviceBuffer>> copies_;
};

}  // namespace rocmforge::backend::gpu
