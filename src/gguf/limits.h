// Bounds on what a GGUF file may declare, so that a hostile header cannot make
// the reader allocate or loop without end. The defaults admit every real model.
#pragma once

#include <cstdint>

namespace rocmforge::gguf {

struct Limits {
  uint64_t max_file_bytes = uint64_t{1} << 42;  // 4 TiB
  uint64_t max_tensors = 1 << 20;
  uint64_t max_metadata_entries = 1 << 16;
  uint64_t max_string_bytes = 1 << 24;    // one string: 16 MiB
  uint64_t max_array_elements = 1 << 24;  // one array: 16 M elements
  uint32_t max_array_depth = 4;           // arrays of arrays of ...
};

}  // namespace rocmforge::gguf
