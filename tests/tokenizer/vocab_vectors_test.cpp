// llama.cpp's tokenizer test vectors (test-tokenizer-0) and its SPM round trips
// (test-tokenizer-1-spm), on the vocabularies they were made for.
#include <gtest/gtest.h>

#include "testing/test_paths.h"
#include "tokenizer/utf8.h"
#include "tokenizer_fixtures.h"

namespace rocmforge::tokenizer {
namespace {

using rocmforge::testing::data_path;
using testing::load_tokenizer;
using testing::read_vocab_cases;

// The Llama 2 vocabulary of llama-2-tiny-random is the one the llama-spm
// vectors were made with, so they must hold for it too.
struct VectorSet {
  const char* name;
  std::string vocab;  // the .inp/.out pair
  std::string model;  // the file whose tokenizer runs them
};

class VocabVectors : public ::testing::TestWithParam<VectorSet> {};

TEST_P(VocabVectors, EveryCaseMatchesLlamaCpp) {
  const auto cases = read_vocab_cases(data_path(GetParam().vocab));
  ASSERT_EQ(cases.size(), 46u);
  const auto tokenizer = load_tokenizer(data_path(GetParam().model));
  ASSERT_TRUE(tokenizer);
  for (const auto& c : cases) {
    auto ids = tokenizer->encode(c.text, /*add_special=*/false, /*parse_special=*/false);
    ASSERT_TRUE(ids) << ids.error().to_string();
    EXPECT_EQ(*ids, c.ids) << "text: '" << c.text << "'";
  }
}

TEST_P(VocabVectors, DecodeRestoresEveryCase) {
  const auto tokenizer = load_tokenizer(data_path(GetParam().model));
  ASSERT_TRUE(tokenizer);
  for (const auto& c : read_vocab_cases(data_path(GetParam().vocab))) {
    EXPECT_EQ(tokenizer->decode(c.ids, false, false), c.text);
  }
}

TEST_P(VocabVectors, AddSpecialPutsBosFirst) {
  const auto tokenizer = load_tokenizer(data_path(GetParam().model));
  ASSERT_TRUE(tokenizer);
  for (const auto& c : read_vocab_cases(data_path(GetParam().vocab))) {
    auto ids = tokenizer->encode(c.text, /*add_special=*/true, /*parse_special=*/false);
    ASSERT_TRUE(ids);
    std::vector<TokenId> expected{1};
    expected.insert(expected.end(), c.ids.begin(), c.ids.end());
    EXPECT_EQ(*ids, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    LlamaCpp, VocabVectors,
    ::testing::Values(VectorSet{"llama_spm", "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-spm.gguf"},
                      VectorSet{"phi_3", "vocab/ggml-vocab-phi-3.gguf", "vocab/ggml-vocab-phi-3.gguf"},
                      VectorSet{"llama_2_tiny_random", "vocab/ggml-vocab-llama-spm.gguf",
                                "models/llama-2-tiny-random.gguf"}),
    [](const ::testing::TestParamInfo<VectorSet>& param) { return std::string(param.param.name); });

// test-tokenizer-1-spm: every token, rendered with specials and tokenized
// again with specials parsed, renders the same.
TEST(SpmRoundTrip, EveryTokenOfLlamaSpm) {
  const auto tokenizer = load_tokenizer(data_path("vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(tokenizer);
  for (TokenId id = 0; id < tokenizer->n_tokens(); ++id) {
    const std::vector<TokenId> single{id};
    const std::string text = tokenizer->decode(single, false, true);
    auto ids = tokenizer->encode(text, false, true);
    ASSERT_TRUE(ids) << ids.error().to_string();
    ASSERT_EQ(tokenizer->decode(*ids, false, true), text) << "token " << id;
  }
}

// test-tokenizer-1-spm: every code point but U+2581 (which decodes as a space)
// comes back from encode + decode.
TEST(SpmRoundTrip, EveryCodePointOfLlamaSpm) {
  const auto tokenizer = load_tokenizer(data_path("vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(tokenizer);
  size_t n_checked = 0;
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x40000 && cp <= 0xE0000) || cp == 0x2581) continue;
    std::string text;
    if (cp < 0x80) {
      text = {static_cast<char>(cp)};
    } else if (cp < 0x800) {
      text = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    } else if (cp < 0x10000) {
      text = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
              static_cast<char>(0x80 | (cp & 0x3F))};
    } else {
      text = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
              static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
    auto ids = tokenizer->encode(text, false, true);
    ASSERT_TRUE(ids) << ids.error().to_string();
    ASSERT_EQ(tokenizer->decode(*ids, false, true), text) << "code point " << cp;
    ++n_checked;
  }
  EXPECT_GT(n_checked, 400000u);
}

}  // namespace
}  // namespace rocmforge::tokenizer
