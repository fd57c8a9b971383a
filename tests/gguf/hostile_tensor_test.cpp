// Hostile tensor infos and data layouts: one malformed image per test, each
// checking the error code and that the message names the tensor, the field
// and its byte offset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gguf/gguf_file.h"
#include "gguf_image.h"

namespace rocmforge::gguf {
namespace {

using ::testing::HasSubstr;
using testing::GgufImage;
using testing::parse_failure;

constexpr uint32_t kF32 = static_cast<uint32_t>(GgmlType::kF32);

// A file with one tensor info written by `fill_info`, then 64 bytes of data.
template <class Fill>
GgufImage one_tensor(Fill fill_info) {
  GgufImage image;
  image.header(1, 0);
  fill_info(image);
  image.pad_to(kDefaultAlignment).zeros(64);
  return image;
}

TEST(GgufHostileTensor, ZeroDimensions) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a");
    at = i.size();
    i.u32(0).u32(kF32).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('a'): n_dims is 0 (must be 1 to 4) at byte {}", at));
}

TEST(GgufHostileTensor, FiveDimensions) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a");
    at = i.size();
    i.u32(5).u64(1).u64(1).u64(1).u64(1).u64(1).u32(kF32).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('a'): n_dims is 5 (must be 1 to 4) at byte {}", at));
}

TEST(GgufHostileTensor, DimensionZero) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("blk.0.attn_q.weight").u32(2).u64(8);
    at = i.size();
    i.u64(0).u32(kF32).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('blk.0.attn_q.weight'): dimension 1 is 0 at byte {}", at));
}

TEST(GgufHostileTensor, DimensionAboveInt64Max) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(1);
    at = i.size();
    i.u64(uint64_t{1} << 63).u32(kF32).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("tensor 0 ('a'): dimension 0 is 9223372036854775808, more than INT64_MAX at byte {}", at));
}

TEST(GgufHostileTensor, DimensionProductOverflow) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(3);
    at = i.size();
    i.u64(1 << 20).u64(1 << 20).u64(1 << 24).u32(kF32).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("tensor 0 ('a'): element count 1048576 x 1048576 x 16777216 overflows int64 at byte {}", at));
}

TEST(GgufHostileTensor, ByteSizeOverflow) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(2);
    at = i.size();
    i.u64(uint64_t{1} << 61).u64(2).u32(static_cast<uint32_t>(GgmlType::kF64)).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("tensor 0 ('a'): byte size of 4611686018427387904 f64 elements overflows at byte {}", at));
}

Error with_type_id(uint32_t id, uint64_t& at) {
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(1).u64(256);
    at = i.size();
    i.u32(id).u64(0);
  });
  return parse_failure(image.bytes());
}

TEST(GgufHostileTensor, RetiredTypeId4) {
  uint64_t at = 0;
  const Error error = with_type_id(4, at);
  EXPECT_EQ(error.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('a'): ggml type id 4 (q4_2) was removed from ggml; convert the "
                                         "model again at byte {}",
                                         at));
}

TEST(GgufHostileTensor, RetiredTypeId31) {
  uint64_t at = 0;
  const Error error = with_type_id(31, at);
  EXPECT_EQ(error.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('a'): ggml type id 31 (q4_0_4_4) was removed from ggml; convert "
                                         "the model again at byte {}",
                                         at));
}

TEST(GgufHostileTensor, UnknownTypeId200) {
  uint64_t at = 0;
  const Error error = with_type_id(200, at);
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('a'): unknown ggml type id 200 at byte {}", at));
}

TEST(GgufHostileTensor, RowNotAMultipleOfTheBlockSize) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(2);
    at = i.size();
    i.u64(48).u64(1).u32(static_cast<uint32_t>(GgmlType::kQ4_0)).u64(0);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("tensor 0 ('a'): dimension 0 (48) is not a multiple of the q4_0 block size 32 at byte {}", at));
}

TEST(GgufHostileTensor, NameTooLong) {
  const GgufImage image = one_tensor([&](GgufImage& i) { i.tensor_info(std::string(64, 'n'), {8}, kF32, 0); });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('{}'): name of 64 bytes is longer than 63 at byte 24",
                                         std::string(64, 'n')));
}

TEST(GgufHostileTensor, DataOffsetPastTheEnd) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(1).u64(8).u32(kF32);
    at = i.size();
    i.u64(64);  // 32 bytes at 64 in a data section of 64 bytes
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 0 ('a'): data of 32 bytes at data offset 64 ends past the end of the "
                                         "file ({} bytes): file truncated, or a bad offset at byte {}",
                                         image.size(), at));
}

TEST(GgufHostileTensor, DataOffsetThatOverflows) {
  const GgufImage image = one_tensor([&](GgufImage& i) { i.tensor_info("a", {8}, kF32, ~uint64_t{31}); });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_THAT(error.message(), HasSubstr("ends past the end of the file"));
}

TEST(GgufHostileTensor, MisalignedOffset) {
  uint64_t at = 0;
  const GgufImage image = one_tensor([&](GgufImage& i) {
    i.str("a").u32(1).u64(8).u32(kF32);
    at = i.size();
    i.u64(8);
  });
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("tensor 0 ('a'): data offset 8 is not a multiple of the alignment 32 at byte {}", at));
}

TEST(GgufHostileTensor, OverlappingTensors) {
  GgufImage image;
  image.header(2, 0).tensor_info("a", {16}, kF32, 0);  // bytes [0, 64)
  image.str("b").u32(1).u64(8).u32(kF32);
  const uint64_t at = image.size();
  image.u64(32).pad_to(kDefaultAlignment).zeros(64);  // bytes [32, 64)
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("tensor 1 ('b'): data at offset 32 overlaps tensor 0 ('a') (offset 0, 64 bytes) at byte {}", at));
}

TEST(GgufHostileTensor, DuplicateNames) {
  GgufImage image;
  image.header(2, 0).tensor_info("w", {8}, kF32, 0);
  const uint64_t at = image.size();
  image.tensor_info("w", {8}, kF32, 32).pad_to(kDefaultAlignment).zeros(64);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("tensor 1 ('w'): duplicate name (also tensor 0) at byte {}", at));
}

TEST(GgufHostileTensor, TensorsInAnyOrderWithGapsAreAccepted) {
  GgufImage image;
  image.header(2, 0).tensor_info("late", {8}, kF32, 64).tensor_info("early", {8}, kF32, 0);
  image.pad_to(kDefaultAlignment).zeros(96);
  auto file = GgufFile::parse(image.bytes());
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->tensors()[0].data, file->tensors()[1].data + 64);
}

}  // namespace
}  // namespace rocmforge::gguf
