// Each bound in gguf::Limits, exceeded by an otherwise valid file: a kCapacity
// error that names the field, the limit and the byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gguf/gguf_file.h"
#include "gguf_image.h"

namespace rocmforge::gguf {
namespace {

using ::testing::HasSubstr;
using testing::GgufImage;
using testing::parse_failure;

Error capacity_error(std::span<const std::byte> bytes, const Limits& limits) {
  EXPECT_TRUE(GgufFile::parse(bytes)) << "valid under the default limits";
  const Error error = parse_failure(bytes, limits);
  EXPECT_EQ(error.code(), ErrorCode::kCapacity) << error.message();
  return error;
}

TEST(GgufLimits, FileBytes) {
  const std::vector<std::byte> file = testing::small_valid_file();
  Limits limits;
  limits.max_file_bytes = 100;
  EXPECT_EQ(capacity_error(file, limits).message(),
            fmt::format("file of {} bytes exceeds the limit of 100 at byte 0", file.size()));
}

TEST(GgufLimits, Tensors) {
  Limits limits;
  limits.max_tensors = 1;
  EXPECT_EQ(capacity_error(testing::small_valid_file(), limits).message(),
            "n_tensors 2 exceeds the limit of 1 at byte 8");
}

TEST(GgufLimits, MetadataEntries) {
  Limits limits;
  limits.max_metadata_entries = 4;
  EXPECT_EQ(capacity_error(testing::small_valid_file(), limits).message(),
            "n_kv 5 exceeds the limit of 4 at byte 16");
}

TEST(GgufLimits, StringBytes) {
  GgufImage image;
  image.header(0, 1);
  const uint64_t at = image.size();
  image.kv_u32("a.long.key", 1);
  Limits limits;
  limits.max_string_bytes = 9;
  EXPECT_EQ(capacity_error(image.bytes(), limits).message(),
            fmt::format("metadata entry 0: key of 10 bytes exceeds the limit of 9 at byte {}", at));
}

TEST(GgufLimits, ArrayElements) {
  Limits limits;
  limits.max_array_elements = 2;
  EXPECT_THAT(capacity_error(testing::small_valid_file(), limits).message(),
              HasSubstr("('tokenizer.ggml.tokens'): array of 3 strings exceeds the limit of 2 at byte "));
}

TEST(GgufLimits, ArrayDepth) {
  Limits limits;
  limits.max_array_depth = 1;
  EXPECT_THAT(capacity_error(testing::small_valid_file(), limits).message(),
              HasSubstr("('test.pairs'): element 0: arrays nested 2 deep exceed the limit of 1 at byte "));
}

}  // namespace
}  // namespace rocmforge::gguf
