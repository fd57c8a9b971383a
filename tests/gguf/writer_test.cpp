// GgufWriter: what it refuses, and writing to a file with streamed tensors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace rocmforge::gguf {
namespace {

using ::testing::HasSubstr;

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("rocmforge_gguf_writer_" + name);
}

TEST(GgufWriter, RejectsAByteCountThatDoesNotMatchTheShape) {
  GgufWriter writer;
  const std::vector<std::byte> data(10);
  const Status added = writer.add_tensor("w", GgmlType::kF32, {3}, data);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(added.error().message(), "tensor 'w' f32 [3]: 10 bytes given, 12 expected");
}

TEST(GgufWriter, RejectsBadShapes) {
  GgufWriter writer;
  const std::vector<std::byte> none;
  EXPECT_FALSE(writer.add_tensor("empty", GgmlType::kF32, {}, none));
  EXPECT_FALSE(writer.add_tensor("five", GgmlType::kF32, {1, 1, 1, 1, 1}, none));
  EXPECT_FALSE(writer.add_tensor("zero", GgmlType::kF32, {4, 0}, none));
  EXPECT_FALSE(writer.add_tensor("negative", GgmlType::kF32, {-4}, none));
  EXPECT_FALSE(writer.add_tensor("overflow", GgmlType::kF32, {int64_t{1} << 40, int64_t{1} << 40}, none));
  const Status blocks = writer.add_tensor("q", GgmlType::kQ4_0, {48}, none);
  ASSERT_FALSE(blocks);
  EXPECT_THAT(blocks.error().message(), HasSubstr("not a multiple of the q4_0 block size 32"));
}

TEST(GgufWriter, RejectsDuplicateAndOverlongNames) {
  GgufWriter writer;
  const std::vector<std::byte> data(4);
  ASSERT_TRUE(writer.add_tensor("w", GgmlType::kF32, {1}, data));
  EXPECT_THAT(writer.add_tensor("w", GgmlType::kF32, {1}, data).error().message(), HasSubstr("added twice"));
  EXPECT_TRUE(writer.add_tensor(std::string(63, 'n'), GgmlType::kF32, {1}, data));
  EXPECT_FALSE(writer.add_tensor(std::string(64, 'n'), GgmlType::kF32, {1}, data));
}

TEST(GgufWriter, RejectsBadAlignmentAndArrays) {
  GgufWriter writer;
  EXPECT_EQ(writer.set_alignment(0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(writer.set_alignment(48));
  writer.set_i32(kAlignmentKey, 64);  // the wrong type: refused when writing
  EXPECT_EQ(writer.to_bytes().error().code(), ErrorCode::kInvalidArgument);

  Array out_of_range;
  out_of_range.element_type = ValueType::kUint8;
  out_of_range.ints = {256};
  EXPECT_FALSE(writer.set_array("a", out_of_range));
  Array wrong_vector;
  wrong_vector.element_type = ValueType::kInt32;
  wrong_vector.strings = {"x"};
  EXPECT_FALSE(writer.set_array("a", wrong_vector));
  Array not_bool;
  not_bool.element_type = ValueType::kBool;
  not_bool.ints = {2};
  EXPECT_FALSE(writer.set_array("a", not_bool));
  EXPECT_FALSE(writer.set("a", Value{std::shared_ptr<const Array>()}));
}

TEST(GgufWriter, StreamsFilledTensorsToAFile) {
  const auto path = temp_file("stream.gguf");
  GgufWriter writer;
  writer.set_string("general.architecture", "test");
  int fills = 0;
  ASSERT_TRUE(writer.add_tensor("counting", GgmlType::kF32, {16, 4}, [&](std::span<std::byte> out) {
    ++fills;
    std::iota(reinterpret_cast<uint8_t*>(out.data()), reinterpret_cast<uint8_t*>(out.data()) + out.size(), 0);
    return ok();
  }));
  const std::vector<std::byte> tail(6, std::byte{0xab});
  ASSERT_TRUE(writer.add_tensor("tail", GgmlType::kF16, {3}, tail));
  ASSERT_TRUE(writer.write(path.string()));
  EXPECT_EQ(fills, 1);

  auto file = GgufFile::open(path.string());
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->path(), path.string());
  const TensorInfo& counting = file->tensors()[0];
  ASSERT_EQ(counting.n_bytes, 256u);
  EXPECT_EQ(static_cast<uint8_t>(counting.data[255]), 255);
  EXPECT_EQ(file->tensors()[1].data[5], std::byte{0xab});
  std::filesystem::remove(path);
}

TEST(GgufWriter, AFailingFillRemovesThePartialFile) {
  const auto path = temp_file("failing.gguf");
  GgufWriter writer;
  ASSERT_TRUE(writer.add_tensor("broken", GgmlType::kF32, {4}, [](std::span<std::byte>) -> Status {
    return RF_ERROR(kIo, "source went away");
  }));
  const Status written = writer.write(path.string());
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::kIo);
  EXPECT_EQ(written.error().message(), "tensor 'broken': source went away");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(GgufWriter, AnUnwritablePathIsAnIoError) {
  GgufWriter writer;
  const Status written = writer.write("/nonexistent-dir/x.gguf");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace rocmforge::gguf
