// Builds a GgufFile from a file image, validating each field as it is read
// (see gguf_file.h for what is checked). One Parser parses one image.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gguf/byte_reader.h"
#include "gguf/gguf_file.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

class Parser {
 public:
  Parser(std::span<const std::byte> bytes, const Limits& limits) : in_(bytes), bytes_(bytes), limits_(limits) {}

  Result<GgufFile> parse() &&;

 private:
  struct Counts {
    uint64_t n_tensors = 0;
    uint64_t n_kv = 0;
  };

  Result<Counts> read_header();
  Status check_count(std::string_view what, uint64_t count, uint64_t limit, uint64_t min_bytes_each, uint64_t at) const;
  Status read_metadata_entry(uint64_t index);
  Status read_alignment();
  Status read_tensor_info(uint64_t index);

  ByteReader in_;
  std::span<const std::byte> bytes_;
  const Limits& limits_;
  GgufFile file_;
  std::vector<uint64_t> value_type_at_;  // per metadata entry: where its type id sits
  std::vector<uint64_t> offset_at_;      // per tensor: where its data offset sits
};

}  // namespace rocmforge::gguf
