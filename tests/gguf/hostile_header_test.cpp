// Hostile headers and metadata: each test builds one malformed image and
// checks the error code and that the message names the field and its byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gguf/gguf_file.h"
#include "gguf_image.h"

namespace rocmforge::gguf {
namespace {

using ::testing::HasSubstr;
using testing::GgufImage;
using testing::parse_failure;

constexpr uint32_t kTypeArray = static_cast<uint32_t>(ValueType::kArray);
constexpr uint32_t kTypeString = static_cast<uint32_t>(ValueType::kString);
constexpr uint32_t kTypeUint32 = static_cast<uint32_t>(ValueType::kUint32);

TEST(GgufHostileHeader, TruncatedAtEveryByteFailsCleanly) {
  const std::vector<std::byte> file = testing::small_valid_file();
  ASSERT_TRUE(GgufFile::parse(file));
  for (size_t n = 0; n < file.size(); ++n) {
    const Error error = parse_failure(std::span(file).first(n));
    ASSERT_EQ(error.code(), ErrorCode::kParse) << "cut at " << n << ": " << error.message();
    ASSERT_THAT(error.message(), HasSubstr("truncated")) << "cut at " << n;
    ASSERT_THAT(error.message(), HasSubstr("at byte ")) << "cut at " << n;
  }
}

TEST(GgufHostileHeader, WrongMagic) {
  GgufImage image;
  image.u32(0x46554746).u32(3).u64(0).u64(0);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), "magic is 0x46554746, not 0x46554747 ('GGUF'): not a GGUF file at byte 0");
}

TEST(GgufHostileHeader, Version1IsUnsupported) {
  GgufImage image;
  image.header(0, 0, 1);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(error.message(), "GGUF version 1 is not supported (only versions 2 and 3) at byte 4");
}

TEST(GgufHostileHeader, Version4IsUnsupported) {
  GgufImage image;
  image.header(0, 0, 4);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(error.message(), HasSubstr("GGUF version 4 is not supported"));
}

TEST(GgufHostileHeader, AbsurdTensorCount) {
  GgufImage image;
  image.header(uint64_t{1} << 63, 0);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kCapacity);
  EXPECT_EQ(error.message(), "n_tensors 9223372036854775808 exceeds the limit of 1048576 at byte 8");
}

TEST(GgufHostileHeader, AbsurdMetadataCount) {
  GgufImage image;
  image.header(0, uint64_t{1} << 63);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kCapacity);
  EXPECT_EQ(error.message(), "n_kv 9223372036854775808 exceeds the limit of 65536 at byte 16");
}

TEST(GgufHostileHeader, MetadataCountTheFileCannotHold) {
  GgufImage image;
  image.header(0, 1000).zeros(100);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_THAT(error.message(), HasSubstr("n_kv 1000 at byte 16: file truncated"));
}

TEST(GgufHostileHeader, StringLengthPastTheEnd) {
  GgufImage image;
  image.header(0, 1).u64(1000).zeros(20);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            "metadata entry 0: key of 1000 bytes at byte 24: file truncated: the file ends at byte 52");
}

TEST(GgufHostileHeader, StringLengthOverTheLimit) {
  GgufImage image;
  image.header(0, 1).str("general.name").u32(kTypeString);
  const uint64_t at = image.size();
  image.str(std::string(1000, 'x'));
  Limits limits;
  limits.max_string_bytes = 999;
  const Error error = parse_failure(image.bytes(), limits);
  EXPECT_EQ(error.code(), ErrorCode::kCapacity);
  EXPECT_EQ(error.message(),
            fmt::format("metadata entry 0 ('general.name'): string of 1000 bytes exceeds the limit of 999 at byte {}",
                        at));
}

TEST(GgufHostileHeader, AbsurdArrayCount) {
  GgufImage image;
  image.header(0, 1).str("tokenizer.ggml.tokens").u32(kTypeArray).u32(kTypeString);
  const uint64_t at = image.size();
  image.u64(uint64_t{1} << 32).zeros(64);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kCapacity);
  EXPECT_EQ(error.message(), fmt::format("metadata entry 0 ('tokenizer.ggml.tokens'): array of 4294967296 strings "
                                         "exceeds the limit of 16777216 at byte {}",
                                         at));
}

TEST(GgufHostileHeader, ArrayCountTheFileCannotHold) {
  GgufImage image;
  image.header(0, 1).str("scores").u32(kTypeArray).u32(static_cast<uint32_t>(ValueType::kFloat32));
  const uint64_t at = image.size();
  image.u64(1000).zeros(3996);  // one float short
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_THAT(error.message(),
              HasSubstr(fmt::format("('scores'): array of 1000 float32s at byte {}: file truncated", at)));
}

TEST(GgufHostileHeader, ArraysNestedTooDeep) {
  GgufImage image;
  image.header(0, 1).str("deep").u32(kTypeArray);
  for (int depth = 1; depth <= 4; ++depth) image.u32(kTypeArray).u64(1);
  const uint64_t at = image.size();
  image.u32(kTypeUint32).u64(0);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kCapacity);
  EXPECT_THAT(error.message(), HasSubstr(fmt::format("arrays nested 5 deep exceed the limit of 4 at byte {}", at)));
  EXPECT_THAT(error.message(), HasSubstr("metadata entry 0 ('deep'): element 0: "));
}

TEST(GgufHostileHeader, UnknownValueType) {
  GgufImage image;
  image.header(0, 1).str("key");
  const uint64_t at = image.size();
  image.u32(13).u32(0);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("metadata entry 0 ('key'): value type 13 is unknown (known: 0 to 12) at byte {}", at));
}

TEST(GgufHostileHeader, UnknownArrayElementType) {
  GgufImage image;
  image.header(0, 1).str("key").u32(kTypeArray);
  const uint64_t at = image.size();
  image.u32(0xffffffff).u64(0);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_THAT(error.message(), HasSubstr(fmt::format("array element type 4294967295 is unknown (known: 0 to 12) "
                                                     "at byte {}",
                                                     at)));
}

TEST(GgufHostileHeader, BoolThatIsNeitherZeroNorOne) {
  GgufImage image;
  image.header(0, 1).str("flag").u32(static_cast<uint32_t>(ValueType::kBool));
  const uint64_t at = image.size();
  image.u8(2);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(), fmt::format("metadata entry 0 ('flag'): bool 2 is neither 0 nor 1 at byte {}", at));
}

TEST(GgufHostileHeader, DuplicateKeys) {
  GgufImage image;
  image.header(0, 2).kv_u32("llama.block_count", 1);
  const uint64_t at = image.size();
  image.kv_u32("llama.block_count", 2);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("metadata entry 1 ('llama.block_count'): duplicate key (also entry 0) at byte {}", at));
}

TEST(GgufHostileHeader, AlignmentZero) {
  GgufImage image;
  image.header(0, 1).str("general.alignment").u32(kTypeUint32);
  const uint64_t at = image.size();
  image.u32(0);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("metadata entry 0 ('general.alignment'): 0 is not a power of two at byte {}", at));
}

TEST(GgufHostileHeader, AlignmentThree) {
  GgufImage image;
  image.header(0, 2).kv_string("general.name", "x").str("general.alignment").u32(kTypeUint32);
  const uint64_t at = image.size();
  image.u32(3);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("metadata entry 1 ('general.alignment'): 3 is not a power of two at byte {}", at));
}

TEST(GgufHostileHeader, AlignmentOfTheWrongType) {
  GgufImage image;
  image.header(0, 1).str("general.alignment");
  const uint64_t at = image.size();
  image.u32(static_cast<uint32_t>(ValueType::kUint64)).u64(32);
  const Error error = parse_failure(image.bytes());
  EXPECT_EQ(error.code(), ErrorCode::kParse);
  EXPECT_EQ(error.message(),
            fmt::format("metadata entry 0 ('general.alignment'): type is uint64, must be uint32 at byte {}", at));
}

TEST(GgufHostileHeader, ControlBytesInAKeyStayOnOneLine) {
  GgufImage image;
  image.header(0, 2).kv_u32("a\nb", 1).kv_u32("a\nb", 1);
  const Error error = parse_failure(image.bytes());
  EXPECT_THAT(error.message(), HasSubstr("('a\\nb'): duplicate key"));
}

}  // namespace
}  // namespace rocmforge::gguf
