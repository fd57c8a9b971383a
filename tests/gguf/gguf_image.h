// Builds GGUF file images field by field, so that a test can put any value in
// any field (valid or hostile) and knows the byte offset where each one sits.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf/value_writer.h"

namespace rocmforge::gguf::testing {

class GgufImage {
 public:
  // Offset of the next field.
  uint64_t size() const { return bytes_.size(); }
  std::span<const std::byte> bytes() const { return bytes_; }

  GgufImage& u8(uint8_t value) {
    bytes_.push_back(std::byte{value});
    return *this;
  }
  GgufImage& u32(uint32_t value) {
    append_u32(bytes_, value);
    return *this;
  }
  GgufImage& u64(uint64_t value) {
    append_u64(bytes_, value);
    return *this;
  }
  GgufImage& str(std::string_view text) {
    append_string(bytes_, text);
    return *this;
  }
  GgufImage& zeros(uint64_t n) {
    bytes_.resize(bytes_.size() + n);
    return *this;
  }
  GgufImage& pad_to(uint64_t alignment) { return zeros((alignment - size() % alignment) % alignment); }

  GgufImage& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return u32(kMagic).u32(version).u64(n_tensors).u64(n_kv);
  }
  GgufImage& kv_u32(std::string_view key, uint32_t value) {
    return str(key).u32(static_cast<uint32_t>(ValueType::kUint32)).u32(value);
  }
  GgufImage& kv_string(std::string_view key, std::string_view value) {
    return str(key).u32(static_cast<uint32_t>(ValueType::kString)).str(value);
  }
  GgufImage& tensor_info(std::string_view name, std::initializer_list<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (const uint64_t extent : ne) u64(extent);
    return u32(type).u64(offset);
  }

 private:
  std::vector<std::byte> bytes_;
};

// The error from parsing `bytes`, or a kInternal error saying that it parsed.
inline Error parse_failure(std::span<const std::byte> bytes, const Limits& limits = {}) {
  auto file = GgufFile::parse(bytes, limits);
  if (file) return Error(ErrorCode::kInternal, "the image parsed without error");
  return std::move(file).error();
}

// A small valid file with every kind of field: scalars, a string array, a
// nested array, and two tensors whose data ends exactly at the end of the
// file (so that cutting any byte off makes it invalid).
inline std::vector<std::byte> small_valid_file() {
  GgufWriter writer;
  writer.set_string("general.architecture", "llama");
  writer.set_u32("llama.block_count", 1);
  writer.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  writer.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
  Array pair;
  pair.element_type = ValueType::kInt32;
  pair.ints = {1, 2};
  Array pairs;
  pairs.element_type = ValueType::kArray;
  pairs.arrays = {pair, pair};
  EXPECT_TRUE(writer.set_array("test.pairs", pairs));
  const std::vector<std::byte> q4_0(18 * 16, std::byte{0x11});  // [32, 16]: 288 bytes, 9 x 32
  const std::vector<std::byte> f32(32, std::byte{0x22});        // [8]: 32 bytes
  EXPECT_TRUE(writer.add_tensor("blk.0.attn_q.weight", GgmlType::kQ4_0, {32, 16}, q4_0));
  EXPECT_TRUE(writer.add_tensor("output_norm.weight", GgmlType::kF32, {8}, f32));
  return *writer.to_bytes();
}

}  // namespace rocmforge::gguf::testing
