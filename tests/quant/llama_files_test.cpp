// Our layouts against llama.cpp's quantiser: tests/data/models/quant/tiny-*.gguf
// hold one random model written in F32 and quantised by llama-quantize --pure.
// Every tensor of a type in scope must dequantise to finite values within the
// type's error bound of the F32 file's tensor, and quantising the F32 tensor
// with our reference code must give llama.cpp's bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "quant/quant.h"
#include "testing/test_paths.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;
using gguf::GgufFile;

GgufFile open_model(const std::string& name) {
  Result<GgufFile> file = GgufFile::open(rocmforge::testing::data_path("models/quant/" + name));
  if (!file) ADD_FAILURE() << file.error().to_string();
  return std::move(file).value();
}

std::vector<float> tensor_values(const gguf::TensorInfo& t) {
  std::vector<float> out(static_cast<size_t>(t.n_elements()));
  const size_t row = row_bytes(t.type, t.ne[0]);
  for (int64_t r = 0; r < t.n_rows(); ++r) {
    dequantize_row(t.type, t.data + r * row, out.data() + r * t.ne[0], t.ne[0]);
  }
  return out;
}

class LlamaFilesTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(LlamaFilesTest, TensorsMatchTheF32ModelAndLlamaCppBytes) {
  const GgmlType type = GetParam();
  const GgufFile f32 = open_model("tiny-f32.gguf");
  const GgufFile quantised = open_model("tiny-" + std::string(gguf::ggml_type_name(type)) + ".gguf");
  const testing::TypeCase* type_case = testing::find_case(type);
  ASSERT_NE(type_case, nullptr);
  int checked = 0;
  for (const gguf::TensorInfo& t : quantised.tensors()) {
    ASSERT_TRUE(is_supported(t.type)) << t.name << " is " << gguf::ggml_type_name(t.type);
    const gguf::TensorInfo* ref = f32.find_tensor(t.name);
    ASSERT_NE(ref, nullptr) << t.name;
    ASSERT_EQ(ref->type, GgmlType::kF32);
    ASSERT_EQ(ref->ne, t.ne) << t.name;
    const std::vector<float> want = tensor_values(*ref);
    const std::vector<float> got = tensor_values(t);
    const testing::TypeCase& tc = t.type == type ? *type_case : *testing::find_case(t.type);
    const int64_t block = gguf::ggml_type_info(t.type).block_size;
    double bound = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got[i])) << t.name << " element " << i;
      // Block types' bounds depend on the block only: once a block. Float types' need no block.
      if (block == 1) {
        bound = tc.error_bound({}, want[i]);
      } else if (i % static_cast<size_t>(block) == 0) {
        bound = tc.error_bound(std::span(want.data() + i, static_cast<size_t>(block)), want[i]);
      }
      ASSERT_LE(std::fabs(static_cast<double>(got[i]) - want[i]), bound) << t.name << " element " << i;
    }
    std::vector<uint8_t> ours(t.n_bytes);
    const size_t row = row_bytes(t.type, t.ne[0]);
    for (int64_t r = 0; r < t.n_rows(); ++r) {
      quantize_row(t.type, want.data() + r * t.ne[0], ours.data() + r * row, t.ne[0]);
    }
    EXPECT_EQ(std::memcmp(ours.data(), t.data, t.n_bytes), 0) << t.name << ": our quantisation differs";
    if (t.type == type) ++checked;
  }
  EXPECT_GT(checked, 0) << "no tensor of type " << gguf::ggml_type_name(type);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, LlamaFilesTest, ::testing::ValuesIn(supported_types().begin(), supported_types().end()),
                         testing::type_param_name);

}  // namespace
}  // namespace rocmforge::quant
