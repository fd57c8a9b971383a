// model::plan_quantization / write_quantized against llama-quantize's own
// output: tests/data/models/quant/tiny-*.gguf were made from tiny-f32.gguf by
// llama-quantize (--pure for each type; tiny-mix-q4_k_m.gguf its Q4_K_M
// mixture). Ours must match tensor for tensor, byte for byte, and as a file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "model/quantize.h"
#include "model/synth.h"
#include "testing/test_paths.h"

namespace rocmforge::model {
namespace {

namespace fs = std::filesystem;
using gguf::GgmlType;

const std::string kTinyF32 = testing::data_path("models/quant/tiny-f32.gguf");

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("rocmforge_quantize_test_" + name)).string();
}

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

QuantizeOptions options_for(std::string_view type, bool pure) {
  return QuantizeOptions{parse_file_type(type).value(), pure, false};
}

Status quantize_file(const std::string& in, const std::string& out, const QuantizeOptions& options, int n_threads) {
  core::ThreadPool pool(n_threads);
  const QuantizePlan plan = RF_TRY(plan_quantization(in, options));
  return write_quantized(plan, out, pool, [](const QuantizeProgress&) {});
}

// Tensor for tensor (names, types, shapes, bytes), the file type, then the whole file.
void expect_same_model(const std::string& ours_path, const std::string& reference_path) {
  const gguf::GgufFile ours = gguf::GgufFile::open(ours_path).value();
  const gguf::GgufFile reference = gguf::GgufFile::open(reference_path).value();
  ASSERT_EQ(ours.tensors().size(), reference.tensors().size());
  for (size_t i = 0; i < ours.tensors().size(); ++i) {
    const gguf::TensorInfo& a = ours.tensors()[i];
    const gguf::TensorInfo& b = reference.tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type) << a.name << ": " << gguf::ggml_type_name(a.type) << " vs "
                              << gguf::ggml_type_name(b.type);
    EXPECT_EQ(a.ne, b.ne) << a.name;
    ASSERT_EQ(a.n_bytes, b.n_bytes) << a.name;
    EXPECT_TRUE(std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin())) << a.name << " differs";
  }
  EXPECT_EQ(ours.get_int("general.file_type").value(), reference.get_int("general.file_type").value());
  EXPECT_EQ(ours.get_int("general.quantization_version").value(), 2);
  EXPECT_TRUE(file_bytes(ours_path) == file_bytes(reference_path)) << "the files differ outside the tensors";
}

TEST(Quantize, Q4KMMixtureIsLlamaQuantizesFile) {
  const std::string out = temp_path("mix.gguf");
  ASSERT_TRUE(quantize_file(kTinyF32, out, options_for("Q4_K_M", false), 2));
  expect_same_model(out, testing::data_path("models/quant/tiny-mix-q4_k_m.gguf"));
  fs::remove(out);
}

// `rocmforge synth --type q4_k_m` gives each tensor the type that quantising
// the F16 synthetic model to Q4_K_M gives it (llama-quantize's mixture).
TEST(Quantize, SynthMixtureHasTheQuantizedTypes) {
  core::ThreadPool pool(2);
  SynthOptions f16;
  f16.shape = find_synth_shape("tiny").value();
  const std::string f16_path = temp_path("synth_f16.gguf");
  ASSERT_TRUE(write_synth_model(f16_path, f16, pool));
  const std::string quantized_path = temp_path("synth_quantized_q4_k_m.gguf");
  ASSERT_TRUE(quantize_file(f16_path, quantized_path, options_for("Q4_K_M", false), 2));
  SynthOptions mixture = f16;
  mixture.file_type = parse_file_type("q4_k_m").value();
  const std::string mixture_path = temp_path("synth_q4_k_m.gguf");
  ASSERT_TRUE(write_synth_model(mixture_path, mixture, pool));

  const gguf::GgufFile quantized = gguf::GgufFile::open(quantized_path).value();
  const gguf::GgufFile synth = gguf::GgufFile::open(mixture_path).value();
  ASSERT_EQ(synth.tensors().size(), quantized.tensors().size());
  std::map<std::string, GgmlType> want;
  for (const gguf::TensorInfo& t : quantized.tensors()) want[t.name] = t.type;
  std::map<std::string, GgmlType> got;
  for (const gguf::TensorInfo& t : synth.tensors()) got[t.name] = t.type;
  EXPECT_EQ(got, want);
  // The mixture's marks, worked out by hand: the head gets Q6_K, and so do V
  // and down in layer 1 of 2 (use_more_bits: i < 2 / 8 = 0 or i >= 7 * 2 / 8 = 1).
  EXPECT_EQ(got["output.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(got["blk.0.attn_v.weight"], GgmlType::kQ4_K);
  EXPECT_EQ(got["blk.1.attn_v.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(got["blk.1.ffn_down.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(got["blk.0.attn_q.weight"], GgmlType::kQ4_K);
  EXPECT_EQ(got["blk.1.ffn_gate.weight"], GgmlType::kQ4_K);
  EXPECT_EQ(got["blk.0.attn_norm.weight"], GgmlType::kF32);
  EXPECT_EQ(synth.find_int("general.file_type").value(), std::optional<int64_t>(15));
  for (const std::string& p : {f16_path, quantized_path, mixture_path}) fs::remove(p);
}

TEST(Quantize, ThreadCountDoesNotChangeTheBytes) {
  const std::string one = temp_path("one.gguf");
  const std::string three = temp_path("three.gguf");
  ASSERT_TRUE(quantize_file(kTinyF32, one, options_for("Q3_K_M", false), 1));
  ASSERT_TRUE(quantize_file(kTinyF32, three, options_for("Q3_K_M", false), 3));
  EXPECT_TRUE(file_bytes(one) == file_bytes(three));
  fs::remove(one);
  fs::remove(three);
}

// llama-quantize --pure <TYPE> gave tests/data/models/quant/tiny-<file suffix>.gguf.
struct PureCase {
  const char* type;
  const char* file;
};

class PureQuantize : public ::testing::TestWithParam<PureCase> {};

TEST_P(PureQuantize, IsLlamaQuantizesFile) {
  const PureCase c = GetParam();
  const std::string out = temp_path(std::string(c.file) + ".gguf");
  ASSERT_TRUE(quantize_file(kTinyF32, out, options_for(c.type, true), 2));
  expect_same_model(out, testing::data_path("models/quant/tiny-" + std::string(c.file) + ".gguf"));
  fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, PureQuantize,
                         ::testing::Values(PureCase{"Q4_0", "q4_0"}, PureCase{"Q4_1", "q4_1"},
                                           PureCase{"Q5_0", "q5_0"}, PureCase{"Q5_1", "q5_1"},
                                           PureCase{"Q8_0", "q8_0"}, PureCase{"Q2_K", "q2_k"},
                                           PureCase{"Q3_K", "q3_k"}, PureCase{"Q4_K", "q4_k"},
                                           PureCase{"Q5_K", "q5_k"}, PureCase{"Q6_K", "q6_k"},
                                           PureCase{"IQ4_NL", "iq4_nl"}, PureCase{"IQ4_XS", "iq4_xs"},
                                           PureCase{"F16", "f16"}, PureCase{"BF16", "bf16"}),
                         [](const auto& test) { return std::string(test.param.file); });

TEST(Quantize, RefusesToRequantiseUnlessAllowed) {
  const std::string q4 = testing::data_path("models/quant/tiny-q4_0.gguf");
  const auto refused = plan_quantization(q4, options_for("Q8_0", false));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("--allow-requantize"), std::string::npos);

  QuantizeOptions allowed = options_for("Q8_0", true);
  allowed.allow_requantize = true;
  const std::string out = temp_path("requant.gguf");
  ASSERT_TRUE(quantize_file(q4, out, allowed, 2));
  const gguf::GgufFile file = gguf::GgufFile::open(out).value();
  EXPECT_EQ(file.find_tensor("blk.0.attn_q.weight")->type, GgmlType::kQ8_0);
  EXPECT_EQ(file.find_tensor("blk.0.attn_norm.weight")->type, GgmlType::kF32);
  fs::remove(out);
}

TEST(Quantize, SameTypeIsACopyNotARequantisation) {
  // Every tensor already has its target type: nothing converts, nothing is refused.
  const std::string q8 = testing::data_path("models/quant/tiny-q8_0.gguf");
  const std::string out = temp_path("copy.gguf");
  ASSERT_TRUE(quantize_file(q8, out, options_for("Q8_0", true), 2));
  EXPECT_TRUE(file_bytes(out) == file_bytes(q8));
  fs::remove(out);
}

// llama-quantize's COPY: a mixture of types comes out as it went in, its
// file type kept, already quantised tensors included (no --allow-requantize).
TEST(Quantize, CopyKeepsEveryTensorAndTheFileType) {
  const std::string in = testing::data_path("models/quant/tiny-mix-q4_k_m.gguf");
  const std::string out = temp_path("only-copy.gguf");
  ASSERT_TRUE(quantize_file(in, out, options_for("copy", false), 2));
  const gguf::GgufFile a = gguf::GgufFile::open(in).value();
  const gguf::GgufFile b = gguf::GgufFile::open(out).value();
  ASSERT_EQ(b.tensors().size(), a.tensors().size());
  for (const gguf::TensorInfo& t : a.tensors()) {
    const gguf::TensorInfo* copied = b.find_tensor(t.name);
    ASSERT_NE(copied, nullptr) << t.name;
    EXPECT_EQ(copied->type, t.type) << t.name;
    ASSERT_EQ(copied->n_bytes, t.n_bytes) << t.name;
    EXPECT_TRUE(std::equal(t.bytes().begin(), t.bytes().end(), copied->bytes().begin())) << t.name;
  }
  EXPECT_EQ(b.get_int("general.file_type").value(), a.get_int("general.file_type").value());
  EXPECT_EQ(parse_file_type("COPY")->name, "COPY");
  EXPECT_EQ(file_type_name(FileType::kAllF32), "F32");  // COPY is no file type of its own
  fs::remove(out);
}

TEST(Quantize, ReportsProgressForEveryTensorUpToTheTotal) {
  const QuantizePlan plan = plan_quantization(kTinyF32, options_for("Q4_K_M", false)).value();
  core::ThreadPool pool(2);
  std::vector<size_t> done;
  uint64_t last_in = 0;
  const std::string out = temp_path("progress.gguf");
  ASSERT_TRUE(write_quantized(plan, out, pool, [&](const QuantizeProgress& p) {
    EXPECT_GE(p.bytes_in_done, last_in);
    last_in = p.bytes_in_done;
    if (p.tensor_done) done.push_back(p.i_tensor);
    if (p.tensor_done && p.i_tensor + 1 == plan.tensors.size()) {
      EXPECT_EQ(p.bytes_out_done, plan.bytes_out);
    }
  }));
  ASSERT_EQ(done.size(), plan.tensors.size());
  for (size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i], i);
  EXPECT_EQ(last_in, plan.bytes_in);
  EXPECT_EQ(fs::file_size(out), fs::file_size(testing::data_path("models/quant/tiny-mix-q4_k_m.gguf")));
  fs::remove(out);
}

// A one-tensor "model" whose weight is `values` (rows of 32).
std::string write_tiny_model(const std::string& name, const std::vector<float>& values) {
  gguf::GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 1);
  const auto* bytes = reinterpret_cast<const std::byte*>(values.data());
  EXPECT_TRUE(w.add_tensor("blk.0.attn_q.weight", GgmlType::kF32, {32, static_cast<int64_t>(values.size() / 32)},
                           std::span(bytes, values.size() * sizeof(float))));
  const std::string path = temp_path(name);
  EXPECT_TRUE(w.write(path));
  return path;
}

TEST(Quantize, NonFiniteWeightIsAnErrorAndLeavesNoFile) {
  std::vector<float> values(64, 0.5f);
  values[40] = std::numeric_limits<float>::quiet_NaN();
  const std::string in = write_tiny_model("nan_in.gguf", values);
  const std::string out = temp_path("nan_out.gguf");
  const Status status = quantize_file(in, out, options_for("Q8_0", false), 2);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("blk.0.attn_q.weight"), std::string::npos) << status.error().message();
  EXPECT_NE(status.error().message().find("row 1"), std::string::npos) << status.error().message();
  EXPECT_FALSE(fs::exists(out));
  fs::remove(in);
}

TEST(Quantize, RefusesBadInputsAndOutputs) {
  const std::string in = write_tiny_model("plain.gguf", std::vector<float>(64, 1.0f));
  const QuantizePlan plan = plan_quantization(in, options_for("Q4_0", false)).value();
  core::ThreadPool pool(1);
  const auto ignore = [](const QuantizeProgress&) {};
  // The input itself.
  const Status same = write_quantized(plan, in, pool, ignore);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(gguf::GgufFile::open(in).has_value());
  // A folder that does not exist.
  const Status unwritable = write_quantized(plan, "/nonexistent-dir/out.gguf", pool, ignore);
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code(), ErrorCode::kIo);
  fs::remove(in);

  // Not a GGUF file; a GGUF file that is not a model; one of several splits.
  const std::string text = temp_path("text.gguf");
  std::ofstream(text) << "not a model\n";
  EXPECT_EQ(plan_quantization(text, options_for("Q4_0", false)).error().code(), ErrorCode::kParse);
  gguf::GgufWriter empty;
  ASSERT_TRUE(empty.write(text));
  const auto no_model = plan_quantization(text, options_for("Q4_0", false));
  ASSERT_FALSE(no_model.has_value());
  EXPECT_NE(no_model.error().message().find("not a model"), std::string::npos);
  gguf::GgufWriter split;
  split.set_u32("split.count", 3);
  ASSERT_TRUE(split.write(text));
  EXPECT_EQ(plan_quantization(text, options_for("Q4_0", false)).error().code(), ErrorCode::kUnsupported);
  fs::remove(text);
}

}  // namespace
}  // namespace rocmforge::model
