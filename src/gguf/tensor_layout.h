// Places the tensors in the data section once all infos are read: every data
// offset a multiple of the alignment, every tensor inside the file, no two
// tensors overlapping. Sets each TensorInfo::data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf/gguf_file.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

struct DataSection {
  std::span<const std::byte> file;  // the whole file image
  uint64_t offset = 0;              // where the data section starts in it
  uint64_t alignment = kDefaultAlignment;
};

// `offset_at[i]` is where tensor i's offset field sits, for the messages.
Status place_tensors(std::span<TensorInfo> tensors, std::span<const uint64_t> offset_at, const DataSection& data);

}  // namespace rocmforge::gguf
