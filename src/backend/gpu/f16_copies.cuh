// F16 copies of quantised layer weights (GpuOptions::f16_copies), looked up
// by the weight's device address: prompt GEMMs through the BLAS read them
// instead of dequantising the weight into scratch every step, and the
// batch-invariant mode's prompt rows go through the BLAS on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

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
  // The bytes of a copy of `rows` rows of `cols` columns: plain F16.
  static uint64_t bytes(uint64_t rows, int64_t cols) { return rows * static_cast<uint64_t>(cols) * sizeof(uint16_t); }

  // Keeps a buffer of copies; add() then names where each weight's copy lies in it.
  void keep(std::unique_ptr<DeviceBuffer> buffer) { buffers_.push_back(std::move(buffer)); }
  void add(const void* weight, const uint16_t* copy) { copies_[weight] = copy; }
  bool any() const { return !copies_.empty(); }
  // The F16 copy of `w` as a weight of its own, if it has one.
  std::optional<WeightView> find(const WeightView& w) const;

 private:
  std::vector<std::unique_ptr<DeviceBuffer>> buffers_;
  std::unordered_map<const void*, const uint16_t*> copies_;
};

}  // namespace rocmforge::backend::gpu
