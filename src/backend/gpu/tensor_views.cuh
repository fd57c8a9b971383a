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

// Whether two F32 tensors share no element: apart in memory, or columns side
// by side in rows of one stride (Q, K and V of a fused QKV projection).
inline bool disjoint(const Tensor& a, const Tensor& b) {
  if (!overlap(a, b)) return true;
  if (a.row_stride != b.row_stride || a.row_stride == 0) return false;
  const bool a_first = a.data <= b.data;
  const Tensor& lo = a_first ? a : b;
  const Tensor& hi = a_first ? b : a;
  // Where hi's rows start within the rows of lo.
  const auto shift =
      static_cast<size_t>(static_cast<const std::byte*>(hi.data) - static_cast<const std::byte*>(lo.data)) %
      lo.row_stride;
  return shift >= static_cast<size_t>(lo.cols) * sizeof(float) &&
         shift + static_cast<size_t>(hi.cols) * sizeof(float) <= lo.row_stride;
}

}  // namespace rocmforge::backend::gpu
