// A non-owning view of a 2-D tensor in a backend's memory: `rows` rows of
// `cols` elements of `type`, `row_stride` bytes apart. Activations are F32;
// weights keep their GGUF type (quantised rows are whole blocks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::backend {

struct Tensor {
  void* data = nullptr;
  gguf::GgmlType type = gguf::GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_stride = 0;  // bytes

  template <class T>
  T* row(int64_t r) const {
    return reinterpret_cast<T*>(static_cast<std::byte*>(data) + static_cast<size_t>(r) * row_stride);
  }
  // Rows [begin, begin + n) of this tensor.
  Tensor slice_rows(int64_t begin, int64_t n) const {
    return {row<std::byte>(begin), type, n, cols, row_stride};
  }
  // Columns [begin, begin + n) of an F32 tensor (same rows, same stride).
  Tensor slice_cols(int64_t begin, int64_t n) const {
    return {static_cast<float*>(data) + begin, type, rows, n, row_stride};
  }
};

// A contiguous F32 tensor over `data`.
inline Tensor f32_tensor(float* data, int64_t rows, int64_t cols) {
  return {data, gguf::GgmlType::kF32, rows, cols, static_cast<size_t>(cols) * sizeof(float)};
}

}  // namespace rocmforge::backend
