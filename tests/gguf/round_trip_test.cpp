// Writer -> parser round trips: every value type, nested arrays, alignments,
// tensors of several types, and a version 2 file written by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_image.h"

namespace rocmforge::gguf {
namespace {

using ::testing::ElementsAre;

std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (std::byte& b : out) b = static_cast<std::byte>(rng() & 0xff);
  return out;
}

// Arrays compare by content; other values by the variant itself.
bool same_value(const Value& a, const Value& b) {
  const auto* array_a = std::get_if<std::shared_ptr<const Array>>(&a.data);
  const auto* array_b = std::get_if<std::shared_ptr<const Array>>(&b.data);
  if (array_a != nullptr && array_b != nullptr) return **array_a == **array_b;
  return a.data == b.data;
}

GgufFile parse_ok(const std::vector<std::byte>& bytes) {
  auto file = GgufFile::parse(bytes);
  EXPECT_TRUE(file) << file.error().to_string();
  return std::move(file).value();
}

void expect_same_metadata(const GgufWriter& writer, const GgufFile& file) {
  ASSERT_EQ(file.metadata().size(), writer.metadata().size());
  for (size_t i = 0; i < writer.metadata().size(); ++i) {
    EXPECT_EQ(file.metadata()[i].key, writer.metadata()[i].key);
    EXPECT_TRUE(same_value(file.metadata()[i].value, writer.metadata()[i].value)) << writer.metadata()[i].key;
  }
}

Array ints(ValueType type, std::vector<int64_t> values) {
  Array a;
  a.element_type = type;
  a.ints = std::move(values);
  return a;
}

TEST(GgufRoundTrip, ScalarsOfEveryType) {
  GgufWriter writer;
  ASSERT_TRUE(writer.set("u8", Value{uint8_t{250}}));
  ASSERT_TRUE(writer.set("i8", Value{int8_t{-100}}));
  ASSERT_TRUE(writer.set("u16", Value{uint16_t{65000}}));
  ASSERT_TRUE(writer.set("i16", Value{int16_t{-32000}}));
  writer.set_u32("u32", 4000000000u);
  writer.set_i32("i32", -2000000000);
  writer.set_f32("f32", 1.5e-5f);
  writer.set_bool("bool", true);
  writer.set_string("string", "héllo\nworld");
  writer.set_u64("u64", std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(writer.set("i64", Value{std::numeric_limits<int64_t>::min()}));
  writer.set_f64("f64", 3.141592653589793);
  writer.set_string("empty", "");
  const GgufFile file = parse_ok(*writer.to_bytes());
  EXPECT_EQ(file.version(), 3u);
  EXPECT_TRUE(file.tensors().empty());
  expect_same_metadata(writer, file);
  EXPECT_EQ(file.metadata()[0].value.type(), ValueType::kUint8);
  EXPECT_EQ(file.metadata()[11].value.type(), ValueType::kFloat64);
}

TEST(GgufRoundTrip, ArraysOfEveryElementType) {
  GgufWriter writer;
  ASSERT_TRUE(writer.set_array("u8", ints(ValueType::kUint8, {0, 255})));
  ASSERT_TRUE(writer.set_array("i8", ints(ValueType::kInt8, {-128, 127})));
  ASSERT_TRUE(writer.set_array("u16", ints(ValueType::kUint16, {0, 65535})));
  ASSERT_TRUE(writer.set_array("i16", ints(ValueType::kInt16, {-32768, 32767})));
  ASSERT_TRUE(writer.set_array("u32", ints(ValueType::kUint32, {0, 4294967295})));
  ASSERT_TRUE(writer.set_array("i32", ints(ValueType::kInt32, {-2147483648, 2147483647})));
  ASSERT_TRUE(writer.set_array("u64", ints(ValueType::kUint64, {0, -1})));  // -1: the bits of UINT64_MAX
  ASSERT_TRUE(writer.set_array("i64", ints(ValueType::kInt64, {std::numeric_limits<int64_t>::min(), 7})));
  ASSERT_TRUE(writer.set_array("bool", ints(ValueType::kBool, {1, 0, 1})));
  const std::vector<float> f32 = {0.5f, -2.25f, 1e30f};
  writer.set_f32_array("f32", f32);
  Array f64;
  f64.element_type = ValueType::kFloat64;
  f64.floats = {1e-300, -0.0, 2.5};
  ASSERT_TRUE(writer.set_array("f64", f64));
  writer.set_string_array("strings", {"<unk>", "", "\xe2\x96\x81the", std::string(1000, 'x')});
  const std::vector<int32_t> i32 = {1, -2, 3};
  writer.set_i32_array("i32 helper", i32);
  writer.set_string_array("no strings", {});
  const GgufFile file = parse_ok(*writer.to_bytes());
  expect_same_metadata(writer, file);
  const Array* u64 = *file.get_array("u64");
  EXPECT_EQ(static_cast<uint64_t>(u64->ints[1]), std::numeric_limits<uint64_t>::max());
  const Array* strings = *file.get_array("strings");
  EXPECT_EQ(strings->size(), 4u);
  EXPECT_EQ(strings->strings[3].size(), 1000u);
  EXPECT_EQ((*file.get_array("no strings"))->size(), 0u);
}

TEST(GgufRoundTrip, NestedArrays) {
  Array rows;
  rows.element_type = ValueType::kArray;
  rows.arrays = {ints(ValueType::kInt32, {1, 2}), ints(ValueType::kInt32, {}), ints(ValueType::kInt32, {3})};
  Array words;
  words.element_type = ValueType::kString;
  words.strings = {"a", "b c"};
  Array mixed;  // arrays of arrays of arrays, with strings at the bottom
  mixed.element_type = ValueType::kArray;
  mixed.arrays = {rows, words};
  Array outer;
  outer.element_type = ValueType::kArray;
  outer.arrays = {mixed, mixed};
  GgufWriter writer;
  ASSERT_TRUE(writer.set_array("rows", rows));
  ASSERT_TRUE(writer.set_array("outer", outer));
  const GgufFile file = parse_ok(*writer.to_bytes());
  expect_same_metadata(writer, file);
  const Array* parsed = *file.get_array("outer");
  EXPECT_EQ(parsed->arrays[1].arrays[1].strings[1], "b c");
}

TEST(GgufRoundTrip, ReplacingAKeyKeepsItsPlace) {
  GgufWriter writer;
  writer.set_u32("a", 1);
  writer.set_string("b", "x");
  writer.set_f32("a", 2.0f);
  const GgufFile file = parse_ok(*writer.to_bytes());
  ASSERT_EQ(file.metadata().size(), 2u);
  EXPECT_EQ(file.metadata()[0].key, "a");
  EXPECT_EQ(*file.get_float("a"), 2.0);
}

TEST(GgufRoundTrip, TensorsOfSeveralTypes) {
  struct Spec {
    const char* name;
    GgmlType type;
    std::vector<int64_t> ne;
  };
  const std::vector<Spec> specs = {
      {"f32.vector", GgmlType::kF32, {7}},          {"f16.matrix", GgmlType::kF16, {5, 3}},
      {"bf16.cube", GgmlType::kBF16, {2, 3, 4}},    {"q4_0", GgmlType::kQ4_0, {64, 3}},
      {"q4_k.4d", GgmlType::kQ4_K, {256, 2, 1, 2}}, {"q8_0", GgmlType::kQ8_0, {32}},
      {"iq4_xs", GgmlType::kIQ4_XS, {512, 1}},
  };
  std::vector<std::vector<std::byte>> data;
  GgufWriter writer;
  for (size_t i = 0; i < specs.size(); ++i) {
    data.push_back(random_bytes(*ggml_tensor_bytes(specs[i].type, specs[i].ne), static_cast<uint32_t>(i)));
    ASSERT_TRUE(writer.add_tensor(specs[i].name, specs[i].type, specs[i].ne, data.back()));
  }
  const auto bytes = *writer.to_bytes();
  const GgufFile file = parse_ok(bytes);
  ASSERT_EQ(file.tensors().size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorInfo& t = file.tensors()[i];
    EXPECT_EQ(t.name, specs[i].name);
    EXPECT_EQ(t.type, specs[i].type);
    EXPECT_EQ(t.n_dims, static_cast<int>(specs[i].ne.size()));
    EXPECT_EQ(std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims), specs[i].ne);
    EXPECT_EQ(t.n_bytes, data[i].size());
    EXPECT_TRUE(std::equal(data[i].begin(), data[i].end(), t.bytes().begin(), t.bytes().end())) << t.name;
    EXPECT_EQ(file.find_tensor(specs[i].name), &t);
  }
  EXPECT_EQ(file.tensors()[1].shape_string(), "[5, 3]");
  EXPECT_EQ(file.find_tensor("missing"), nullptr);
}

TEST(GgufRoundTrip, AlignmentValues) {
  const std::vector<std::byte> a = random_bytes(4 * 3, 1);
  const std::vector<std::byte> b = random_bytes(2 * 5, 2);
  for (const uint32_t alignment : {1u, 8u, 32u, 64u, 4096u}) {
    GgufWriter writer;
    writer.set_string("general.name", "aligned");
    ASSERT_TRUE(writer.set_alignment(alignment));
    ASSERT_TRUE(writer.add_tensor("a", GgmlType::kF32, {3}, a));
    ASSERT_TRUE(writer.add_tensor("b", GgmlType::kF16, {5}, b));
    const auto bytes = *writer.to_bytes();
    const GgufFile file = parse_ok(bytes);
    EXPECT_EQ(file.alignment(), alignment);
    EXPECT_EQ(file.has(kAlignmentKey), alignment != kDefaultAlignment);
    EXPECT_EQ(file.data_offset() % alignment, 0u);
    EXPECT_EQ(file.tensors()[1].offset % alignment, 0u);
    EXPECT_TRUE(std::equal(b.begin(), b.end(), file.tensors()[1].bytes().begin()));
  }
}

TEST(GgufRoundTrip, Version2File) {
  // Version 2 has the layout of version 3 (which only added big-endian files).
  const std::vector<std::byte> data = random_bytes(32, 3);
  testing::GgufImage image;
  image.header(1, 2, 2).kv_string("general.architecture", "llama").kv_u32("llama.block_count", 5);
  image.tensor_info("w", {8}, static_cast<uint32_t>(GgmlType::kF32), 0).pad_to(32);
  const uint64_t data_at = image.size();
  image.zeros(32);
  std::vector<std::byte> bytes(image.bytes().begin(), image.bytes().end());
  std::copy(data.begin(), data.end(), bytes.begin() + static_cast<ptrdiff_t>(data_at));
  const GgufFile file = parse_ok(bytes);
  EXPECT_EQ(file.version(), 2u);
  EXPECT_EQ(*file.get_string("general.architecture"), "llama");
  EXPECT_EQ(*file.get_int("llama.block_count"), 5);
  EXPECT_EQ(file.data_offset(), data_at);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), file.tensors()[0].bytes().begin()));
}

TEST(GgufRoundTrip, TypedGetters) {
  GgufWriter writer;
  ASSERT_TRUE(writer.set("small", Value{uint8_t{7}}));
  writer.set_i32("negative", -3);
  writer.set_u64("huge", std::numeric_limits<uint64_t>::max());
  writer.set_f32("f32", 0.25f);
  writer.set_f64("f64", 0.125);
  writer.set_bool("flag", true);
  writer.set_string("name", "x");
  writer.set_string_array("list", {"a"});
  const auto bytes = *writer.to_bytes();
  const GgufFile file = parse_ok(bytes);
  EXPECT_EQ(*file.get_int("small"), 7);
  EXPECT_EQ(*file.get_int("negative"), -3);
  EXPECT_EQ(*file.get_float("f32"), 0.25);
  EXPECT_EQ(*file.get_float("f64"), 0.125);
  EXPECT_TRUE(*file.get_bool("flag"));
  EXPECT_EQ(*file.get_string("name"), "x");
  EXPECT_THAT((*file.get_array("list"))->strings, ElementsAre("a"));

  EXPECT_EQ(file.get_int("huge").error().code(), ErrorCode::kParse);  // does not fit in int64
  EXPECT_EQ(file.get_int("missing").error().code(), ErrorCode::kNotFound);
  const auto wrong = file.get_int("name");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kParse);
  EXPECT_EQ(wrong.error().message(), "metadata key 'name' is string, expected an integer");
  EXPECT_EQ(file.get_float("small").error().code(), ErrorCode::kParse);
  EXPECT_EQ(file.get_bool("small").error().code(), ErrorCode::kParse);

  EXPECT_EQ(*file.find_int("missing"), std::nullopt);
  EXPECT_EQ(**file.find_int("small"), 7);
  EXPECT_FALSE(file.find_string("small"));
  EXPECT_EQ(*file.find_float("missing"), std::nullopt);
  EXPECT_EQ(*file.find_bool("missing"), std::nullopt);
  EXPECT_EQ(*file.find_array("missing"), nullptr);
  EXPECT_NE(*file.find_array("list"), nullptr);
}

}  // namespace
}  // namespace rocmforge::gguf
