// Host-side conversion of weight rows from the file's block layout to the
// device layout of weight_layout.h, done while uploading.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

// Whether the GPU kernels handle weights of this type.
bool weight_type_supported(gguf::GgmlType type);

// Bytes of one device row of `cols` elements (`cols` a multiple of the block size).
size_t device_row_bytes(gguf::GgmlType type, int64_t cols);

// Writes `rows` rows: `src` holds them in file layout (`src_stride` bytes
// apart), `dst` receives them in device layout (`dst_stride` bytes apart).
void repack_rows(gguf::GgmlType type, const std::byte* src, size_t src_stride, std::byte* dst, size_t dst_stride,
                 int64_t rows, int64_t cols);

}  // namespace rocmforge::backend::gpu
