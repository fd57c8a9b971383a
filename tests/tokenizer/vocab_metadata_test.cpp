// Reading a vocabulary from GGUF metadata: llama.cpp's defaults, and a clear
// error (never a crash or a silent default) for metadata that makes no sense.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "gguf/gguf_file.h"
#include "testing/test_paths.h"
#include "vocab_image.h"

namespace rocmforge::tokenizer {
namespace {

using testing::read_tokenizer;
using testing::read_vocab;
using testing::spm_tokens;
using testing::TokenSpec;
using testing::vocab_writer;

gguf::GgufWriter base_writer() { return vocab_writer(spm_tokens({{"a"}, {"b"}})); }

// The load fails with `code` and a message naming `needle`.
void expect_error(const gguf::GgufWriter& writer, ErrorCode code, std::string_view needle) {
  auto vocab = read_vocab(writer);
  ASSERT_FALSE(vocab) << "expected an error mentioning " << needle;
  EXPECT_EQ(vocab.error().code(), code) << vocab.error().to_string();
  EXPECT_NE(vocab.error().message().find(needle), std::string::npos) << vocab.error().message();
}

TEST(VocabMetadata, SpmDefaultsAreLlamaCpps) {
  auto vocab = read_vocab(base_writer());
  ASSERT_TRUE(vocab) << vocab.error().to_string();
  EXPECT_EQ(vocab->kind(), VocabKind::kSpm);
  EXPECT_EQ(vocab->model_name(), "llama");
  EXPECT_EQ(vocab->n_tokens(), 261);
  EXPECT_EQ(vocab->special().bos, 1);
  EXPECT_EQ(vocab->special().eos, 2);
  EXPECT_EQ(vocab->special().unk, 0);
  EXPECT_FALSE(vocab->special().eot);
  EXPECT_TRUE(vocab->add_bos());
  EXPECT_FALSE(vocab->add_eos());
  EXPECT_TRUE(vocab->add_space_prefix());
  EXPECT_EQ(vocab->find("a"), 259);
  EXPECT_FALSE(vocab->find("c"));
  // </s> ends generation both as EOS and by its text.
  EXPECT_EQ(vocab->eog_ids(), std::vector<TokenId>{2});
  // Longest first: <unk> and the byte tokens (5 bytes < 6), <s> last.
  EXPECT_EQ(vocab->special_token_ids().front(), 0);
  EXPECT_EQ(vocab->special_token_ids().back(), 1);
}

TEST(VocabMetadata, SpecialIdsAndFlagsFromMetadata) {
  gguf::GgufWriter writer = base_writer();
  writer.set_u32("tokenizer.ggml.bos_token_id", 259);
  writer.set_i32("tokenizer.ggml.eos_token_id", 260);
  writer.set_u32("tokenizer.ggml.padding_token_id", 0xFFFFFFFFu);  // "none": the default (none) stays
  writer.set_u32("tokenizer.ggml.unknown_token_id", 0xFFFFFFFFu);  // "none": the default (0) stays
  writer.set_bool("tokenizer.ggml.add_bos_token", false);
  writer.set_bool("tokenizer.ggml.add_eos_token", true);
  writer.set_bool("tokenizer.ggml.add_space_prefix", false);
  auto vocab = read_vocab(writer);
  ASSERT_TRUE(vocab) << vocab.error().to_string();
  EXPECT_EQ(vocab->special().bos, 259);
  EXPECT_EQ(vocab->special().eos, 260);
  EXPECT_FALSE(vocab->special().pad);
  EXPECT_EQ(vocab->special().unk, 0);
  EXPECT_FALSE(vocab->add_bos());
  EXPECT_TRUE(vocab->add_eos());
  EXPECT_FALSE(vocab->add_space_prefix());
  EXPECT_EQ(vocab->eog_ids(), (std::vector<TokenId>{2, 260}));
}

TEST(VocabMetadata, EmptyTokensGetLlamaCppsPlaceholderName) {
  auto vocab = read_vocab(vocab_writer(spm_tokens({{""}})));
  ASSERT_TRUE(vocab) << vocab.error().to_string();
  EXPECT_EQ(vocab->token(259).text, "[EMPTY_259]");
}

TEST(VocabMetadata, UnsupportedModelNamesTheSupportedOnes) {
  for (const char* model : {"t5", "rwkv", "no_vocab", "plamo2", ""}) {
    gguf::GgufWriter writer = base_writer();
    writer.set_string("tokenizer.ggml.model", model);
    expect_error(writer, ErrorCode::kUnsupported, "supported: llama, gpt2, bert");
    auto tokenizer = read_tokenizer(writer);
    ASSERT_FALSE(tokenizer);
    EXPECT_EQ(tokenizer.error().code(), ErrorCode::kUnsupported);
  }
}

TEST(VocabMetadata, MissingOrMistypedModel) {
  gguf::GgufWriter no_model;
  no_model.set_string_array("tokenizer.ggml.tokens", {"a"});
  expect_error(no_model, ErrorCode::kParse, "tokenizer.ggml.model");
  gguf::GgufWriter numeric = base_writer();
  numeric.set_u32("tokenizer.ggml.model", 1);
  expect_error(numeric, ErrorCode::kParse, "tokenizer.ggml.model");
}

TEST(VocabMetadata, MissingEmptyOrMistypedTokenList) {
  gguf::GgufWriter missing;
  missing.set_string("tokenizer.ggml.model", "llama");
  expect_error(missing, ErrorCode::kParse, "tokenizer.ggml.tokens");

  gguf::GgufWriter empty;
  empty.set_string("tokenizer.ggml.model", "llama");
  empty.set_string_array("tokenizer.ggml.tokens", {});
  expect_error(empty, ErrorCode::kParse, "empty");

  gguf::GgufWriter numbers = base_writer();
  const std::vector<int32_t> ids = {1, 2, 3};
  numbers.set_i32_array("tokenizer.ggml.tokens", ids);
  expect_error(numbers, ErrorCode::kParse, "tokenizer.ggml.tokens");

  gguf::GgufWriter scalar = base_writer();
  scalar.set_string("tokenizer.ggml.tokens", "a");
  expect_error(scalar, ErrorCode::kParse, "tokenizer.ggml.tokens");
}

TEST(VocabMetadata, ArraysOfOtherLengthsThanTheTokens) {
  gguf::GgufWriter short_scores = base_writer();
  const std::vector<float> scores(10, 0.0f);
  short_scores.set_f32_array("tokenizer.ggml.scores", scores);
  expect_error(short_scores, ErrorCode::kParse, "tokenizer.ggml.scores");

  gguf::GgufWriter long_types = base_writer();
  const std::vector<int32_t> types(262, 1);
  long_types.set_i32_array("tokenizer.ggml.token_type", types);
  expect_error(long_types, ErrorCode::kParse, "tokenizer.ggml.token_type");
}

TEST(VocabMetadata, WrongElementTypesAndValues) {
  gguf::GgufWriter string_scores = base_writer();
  string_scores.set_string_array("tokenizer.ggml.scores", std::vector<std::string>(261, "x"));
  expect_error(string_scores, ErrorCode::kParse, "tokenizer.ggml.scores");

  gguf::GgufWriter float_types = base_writer();
  float_types.set_f32_array("tokenizer.ggml.token_type", std::vector<float>(261, 1.0f));
  expect_error(float_types, ErrorCode::kParse, "tokenizer.ggml.token_type");

  gguf::GgufWriter bad_type = vocab_writer(spm_tokens({{"a", 0.0f, static_cast<TokenType>(9)}}));
  expect_error(bad_type, ErrorCode::kParse, "not a token type");

  gguf::GgufWriter nan_score = vocab_writer(spm_tokens({{"a", std::nanf("")}}));
  expect_error(nan_score, ErrorCode::kParse, "NaN");
}

TEST(VocabMetadata, DuplicateTokens) {
  expect_error(vocab_writer(spm_tokens({{"a"}, {"a"}})), ErrorCode::kParse, "duplicate");
}

TEST(VocabMetadata, SpecialIdsOutsideTheVocabulary) {
  for (const char* key :
       {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
        "tokenizer.ggml.padding_token_id", "tokenizer.ggml.eot_token_id"}) {
    gguf::GgufWriter too_big = base_writer();
    too_big.set_u32(key, 261);
    expect_error(too_big, ErrorCode::kParse, key);
    gguf::GgufWriter negative = base_writer();
    negative.set_i32(key, -7);
    expect_error(negative, ErrorCode::kParse, key);
    gguf::GgufWriter text = base_writer();
    text.set_string(key, "1");
    expect_error(text, ErrorCode::kParse, key);
  }
}

TEST(VocabMetadata, FlagsOfTheWrongTypeOrWithoutTheirToken) {
  gguf::GgufWriter text_flag = base_writer();
  text_flag.set_string("tokenizer.ggml.add_bos_token", "true");
  expect_error(text_flag, ErrorCode::kParse, "tokenizer.ggml.add_bos_token");

  // One token: the default BOS (1) and EOS (2) do not exist.
  gguf::GgufWriter tiny = vocab_writer({{"a"}});
  expect_error(tiny, ErrorCode::kParse, "no BOS");
  tiny.set_bool("tokenizer.ggml.add_bos_token", false);
  tiny.set_bool("tokenizer.ggml.add_eos_token", true);
  expect_error(tiny, ErrorCode::kParse, "no EOS");
  tiny.set_bool("tokenizer.ggml.add_eos_token", false);
  auto vocab = read_vocab(tiny);
  ASSERT_TRUE(vocab) << vocab.error().to_string();
  EXPECT_FALSE(vocab->special().bos);
  EXPECT_FALSE(vocab->special().eos);
  EXPECT_EQ(vocab->special().unk, 0);
}

TEST(VocabMetadata, ByteTokensMustBeWrittenAsHexBytes) {
  auto tokenizer = read_tokenizer(vocab_writer(spm_tokens({{"<0xZZ>", 0.0f, TokenType::kByte}})));
  ASSERT_FALSE(tokenizer);
  EXPECT_EQ(tokenizer.error().code(), ErrorCode::kParse);
  EXPECT_NE(tokenizer.error().message().find("<0xZZ>"), std::string::npos);
  EXPECT_TRUE(read_tokenizer(vocab_writer(spm_tokens({{"<0xab>", 0.0f, TokenType::kByte}}))));
}

TEST(VocabMetadata, ThirtyTwoThousandTokensLoadQuickly) {
  auto file = gguf::GgufFile::open(rocmforge::testing::data_path("vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(file) << file.error().to_string();
  const auto start = std::chrono::steady_clock::now();
  auto tokenizer = Tokenizer::from_gguf(*file);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(tokenizer) << tokenizer.error().to_string();
  EXPECT_EQ((*tokenizer)->n_tokens(), 32000);
  EXPECT_LT(ms, 500.0);
  std::printf("32000-token vocabulary: tokenizer built in %.2f ms\n", ms);
}

}  // namespace
}  // namespace rocmforge::tokenizer
