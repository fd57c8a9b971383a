// Reads one tensor info (name, shape, type, data offset) and checks what can
// be checked without the other tensors: name length, 1 to 4 dimensions, each
// positive, no int64 overflow, a known type, whole blocks per row.
#pragma once

#include <cstdint>

#include "gguf/byte_reader.h"
#include "gguf/gguf_file.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

// Longest tensor name plus its terminating NUL, as in ggml (GGML_MAX_NAME).
inline constexpr uint64_t kMaxNameBytes = 64;

struct ParsedTensorInfo {
  TensorInfo info;
  uint64_t offset_at = 0;  // where its data offset field sits in the file
};

// Errors name the tensor by `index` (and by name once that is read).
Result<ParsedTensorInfo> read_tensor_info(ByteReader& in, const Limits& limits, uint64_t index);

}  // namespace rocmforge::gguf
