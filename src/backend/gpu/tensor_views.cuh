// Small helpers for the backend's ops: raw views of backend tensors.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/gpu/matmul.cuh"
#include "backend/tensor.h"

namespace rocmforge::backend::gpu {

// Row stride of an F32 activation tensor in floats.
inline int64_t floats(const Tensor& t) { return static_cast<int64_t>(t.row_stride / sizeof(float)); }
inline float* f32(const Tensor& t) { return static_cast<float*>(t.data); }
inline const float* cf32(const Tensor& t) { return static_cast<const float*>(t.data); }

inline WeightView weight_view(const Tensor& w, int64_t rows) {
  return {static_cast<const uint8_t*>(w.data), w.type, rows, w.cols, w.row_stride};
}

inline bool same_view(const Tensor& a, const Tensor& b) {
  return a.data == b.data && a.rows == b.rows && a.cols == b.cols && a.row_stride == b.row_stride;
}

inline bool overlap(const Tensor& a, const Tensor& b) {
  const auto* a0 = static_cast<const std::byte*>(a.data);
  const auto* b0 = static_cast<const std::byte*>(b.data);
  return a0 < b0 + static_cast<size_t>(b.rows) * b.row_stride && b0 < a0 + static_cast<size_t>(a.rows) * a.row_stride;
}


}  // namespace rocmforge::backend::gpu
