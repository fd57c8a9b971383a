// ModelConfig: values read from real files, and every way a file's metadata
// and tensors can disagree, each rejected with a message naming the culprit.
#include "model/config.h"

#include <gtest/gtest.h>

#include "model_file_builder.h"
#include "testing/test_paths.h"

namespace rocmforge::testing {
namespace {

model::ModelConfig load(const std::string& path) {
  auto file = gguf::GgufFile::open(path);
  EXPECT_TRUE(file) << file.error().to_string();
  auto config = model::load_config(*file);
  EXPECT_TRUE(config) << config.error().to_string();
  return *config;
}

Error load_error(const std::string& path) {
  auto file = gguf::GgufFile::open(path);
  EXPECT_TRUE(file) << file.error().to_string();
  auto config = model::load_config(*file);
  EXPECT_FALSE(config);
  return config ? Error(ErrorCode::kInternal, "loaded") : config.error();
}

TEST(ModelConfig, Stories260K) {
  const model::ModelConfig c = load(source_path("models/stories260K.gguf"));
  EXPECT_EQ(c.arch->name, "llama");
  EXPECT_EQ(c.n_vocab, 512);
  EXPECT_EQ(c.n_embd, 64);
  EXPECT_EQ(c.n_layer, 5);
  EXPECT_EQ(c.n_head, 8);
  EXPECT_EQ(c.n_head_kv, 4);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.n_ff, 172);
  EXPECT_EQ(c.n_ctx_train, 2048);
  EXPECT_EQ(c.rope.n_rot, 8);
  EXPECT_FLOAT_EQ(c.rope.freq_base, 10000.0f);
  EXPECT_FLOAT_EQ(c.rms_eps, 1e-5f);
  EXPECT_FALSE(c.layout.tied_output);
  EXPECT_EQ(c.n_params, 292800u);
}

TEST(ModelConfig, Llama2TinyRandomAndQuantFixtures) {
  const model::ModelConfig l = load(data_path("models/llama-2-tiny-random.gguf"));
  EXPECT_EQ(l.n_vocab, 32000);
  const model::ModelConfig q = load(data_path("models/quant/tiny-q4_0.gguf"));
  EXPECT_EQ(q.n_embd, 256);
  EXPECT_EQ(q.n_layer, 2);
  EXPECT_EQ(q.n_head, 4);
  EXPECT_EQ(q.n_head_kv, 2);
  EXPECT_EQ(q.head_dim, 64);
  EXPECT_EQ(q.n_ff, 768);
  EXPECT_EQ(q.n_gqa(), 2);
}

TEST(ModelConfig, TiedOutputHeadWhenOutputWeightIsAbsent) {
  const model::ModelConfig c = load(write_small_model("tied", gguf::GgmlType::kF32, true));
  EXPECT_TRUE(c.layout.tied_output);
}

TEST(ModelConfig, UnsupportedArchitectureListsSupportedOnes) {
  const std::string path = write_edited_copy(write_small_model("base_arch"), "arch",
                                             ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_string("general.architecture", "mamba"); }));
  const Error e = load_error(path);
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(e.message().find("'mamba'"), std::string::npos);
  EXPECT_NE(e.message().find("supported: llama"), std::string::npos);
}

TEST(ModelConfig, MissingTensorIsNamed) {
  const std::string path = write_edited_copy(
      write_small_model("base_missing"), "missing",
      ModelEdit::keeping([](const gguf::TensorInfo& t) { return t.name != "blk.1.ffn_up.weight"; }));
  const Error e = load_error(path);
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(e.message().find("blk.1.ffn_up.weight"), std::string::npos);
}

TEST(ModelConfig, HeadCountContradictingTensorShapes) {
  const std::string path = write_edited_copy(write_small_model("base_heads"), "heads",
                                             ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_u32("llama.attention.head_count", 2); }));
  const Error e = load_error(path);
  EXPECT_EQ(e.code(), ErrorCode::kParse);
  EXPECT_NE(e.message().find("attn_q.weight"), std::string::npos) << e.message();
}

TEST(ModelConfig, HeadCountNotMultipleOfKvHeads) {
  const std::string path = write_edited_copy(write_small_model("base_gqa"), "gqa",
                                             ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_u32("llama.attention.head_count_kv", 3); }));
  const Error e = load_error(path);
  EXPECT_NE(e.message().find("not a multiple of the KV head count"), std::string::npos) << e.message();
}

TEST(ModelConfig, FeedForwardLengthContradictingTensors) {
  const std::string path = write_edited_copy(write_small_model("base_ff"), "ff",
                                             ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_u32("llama.feed_forward_length", 96); }));
  const Error e = load_error(path);
  EXPECT_NE(e.message().find("ffn_gate.weight"), std::string::npos) << e.message();
}

TEST(ModelConfig, TokenListLengthMustMatchEmbeddingRows) {
  const std::string path =
      write_edited_copy(write_small_model("base_vocab"), "vocab", ModelEdit::of_metadata([](gguf::GgufWriter& w) {
                          std::vector<std::string> tokens(100, "x");
                          w.set_string_array("tokenizer.ggml.tokens", tokens);
                        }));
  const Error e = load_error(path);
  EXPECT_NE(e.message().find("100 entries"), std::string::npos) << e.message();
}

TEST(ModelConfig, WrongTensorShapeIsNamed) {
  const std::string path = write_edited_copy(write_small_model("base_shape"), "shape",
                                             ModelEdit::reshaping([](const gguf::TensorInfo& t, std::vector<int64_t>& ne) {
                                                if (t.name == "blk.0.attn_q.weight") ne[1] = 32;
                                              }));
  const Error e = load_error(path);
  EXPECT_EQ(e.code(), ErrorCode::kParse);
  EXPECT_NE(e.message().find("blk.0.attn_q.weight"), std::string::npos);
  EXPECT_NE(e.message().find("[64, 32]"), std::string::npos) << e.message();
}

TEST(ModelConfig, RopeDimensionsMustBeEvenAndFitTheHead) {
  const std::string path = write_edited_copy(write_small_model("base_rope"), "rope",
                                             ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_u32("llama.rope.dimension_count", 7); }));
  EXPECT_NE(load_error(path).message().find("rope dimension count 7"), std::string::npos);
}

TEST(ModelConfig, RopeScaling) {
  const std::string linear = write_edited_copy(write_small_model("base_scaling"), "linear", ModelEdit::of_metadata([](gguf::GgufWriter& w) {
                                                 w.set_string("llama.rope.scaling.type", "linear");
                                                 w.set_f32("llama.rope.scaling.factor", 4.0f);
                                               }));
  const model::ModelConfig c = load(linear);
  EXPECT_EQ(c.rope.scaling, model::RopeScaling::kLinear);
  EXPECT_FLOAT_EQ(c.rope.freq_scale, 0.25f);
  const std::string unknown = write_edited_copy(write_small_model("base_scaling2"), "unknown_scaling",
                                                ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_string("llama.rope.scaling.type", "longrope2"); }));
  EXPECT_EQ(load_error(unknown).code(), ErrorCode::kUnsupported);
}

TEST(ModelConfig, MetadataOfTheWrongTypeIsAnError) {
  const std::string path = write_edited_copy(write_small_model("base_type"), "type",
                                             ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_string("llama.block_count", "two"); }));
  EXPECT_FALSE(load_error(path).message().empty());
}

}  // namespace
}  // namespace rocmforge::testing
