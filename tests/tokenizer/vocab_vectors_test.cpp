// llama.cpp's tokenizer test vectors (test-tokenizer-0) for every vocabulary
// in tests/data/vocab, and its round trips (test-tokenizer-1-spm and -1-bpe).
#include <gtest/gtest.h>

#include <algorithm>

#include "testing/test_paths.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/clean_spaces.h"
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
  // What encode() with add_special puts around the ids.
  std::vector<TokenId> before;
  std::vector<TokenId> after;
  // decode() gives the text back (after llama.cpp's space clean-up where
  // the vocabulary asks for it); WordPiece normalizes, so it cannot.
  bool decodes_back = true;
};

class VocabVectors : public ::testing::TestWithParam<VectorSet> {};

TEST_P(VocabVectors, EveryCaseMatchesLlamaCpp) {
  const auto cases = read_vocab_cases(data_path(GetParam().vocab));
  ASSERT_EQ(cases.size(), 46u);
  const auto tokenizer = load_tokenizer(data_path(GetParam().model));
  ASSERT_TRUE(tokenizer);
  size_t n_passed = 0;
  for (const auto& c : cases) {
    auto ids = tokenizer->encode(c.text, /*add_special=*/false, /*parse_special=*/false);
    ASSERT_TRUE(ids) << ids.error().to_string();
    EXPECT_EQ(*ids, c.ids) << "text: '" << c.text << "'";
    n_passed += *ids == c.ids ? 1 : 0;
  }
  RecordProperty("cases_passed", static_cast<int>(n_passed));
}

// WordPiece normalizes the text, so there the decoded text must at least
// encode back to the same ids (less the unknown token, which decodes to nothing).
TEST_P(VocabVectors, DecodeRestoresEveryCase) {
  const auto tokenizer = load_tokenizer(data_path(GetParam().model));
  ASSERT_TRUE(tokenizer);
  const bool clean = tokenizer->vocab().clean_spaces();
  for (const auto& c : read_vocab_cases(data_path(GetParam().vocab))) {
    const std::string text = tokenizer->decode(c.ids, false, false);
    if (!GetParam().decodes_back) {
      auto again = tokenizer->encode(text, /*add_special=*/false, /*parse_special=*/false);
      ASSERT_TRUE(again) << again.error().to_string();
      std::vector<TokenId> known = c.ids;
      std::erase(known, tokenizer->vocab().special().unk.value_or(-1));
      EXPECT_EQ(*again, known) << "text: '" << c.text << "' decoded: '" << text << "'";
      continue;
    }
    EXPECT_EQ(text, clean ? clean_up_spaces(c.text) : c.text);
    EXPECT_EQ(tokenizer->decode_pieces(c.ids, false, false), c.text);
  }
}

TEST_P(VocabVectors, AddSpecialFramesTheIdsAsLlamaCpp) {
  const auto tokenizer = load_tokenizer(data_path(GetParam().model));
  ASSERT_TRUE(tokenizer);
  for (const auto& c : read_vocab_cases(data_path(GetParam().vocab))) {
    auto ids = tokenizer->encode(c.text, /*add_special=*/true, /*parse_special=*/false);
    ASSERT_TRUE(ids);
    std::vector<TokenId> expected = GetParam().before;
    expected.insert(expected.end(), c.ids.begin(), c.ids.end());
    expected.insert(expected.end(), GetParam().after.begin(), GetParam().after.end());
    EXPECT_EQ(*ids, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    LlamaCpp, VocabVectors,
    ::testing::Values(
        VectorSet{"llama_spm", "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-spm.gguf", {1}, {}},
        VectorSet{"phi_3", "vocab/ggml-vocab-phi-3.gguf", "vocab/ggml-vocab-phi-3.gguf", {1}, {}},
        VectorSet{"llama_2_tiny_random", "vocab/ggml-vocab-llama-spm.gguf", "models/llama-2-tiny-random.gguf", {1}, {}},
        VectorSet{"gpt_2", "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-gpt-2.gguf", {}, {}},
        VectorSet{"deepseek_coder",
                  "vocab/ggml-vocab-deepseek-coder.gguf",
                  "vocab/ggml-vocab-deepseek-coder.gguf",
                  {32013},
                  {}},
        VectorSet{"falcon", "vocab/ggml-vocab-falcon.gguf", "vocab/ggml-vocab-falcon.gguf", {}, {}},
        VectorSet{"starcoder", "vocab/ggml-vocab-starcoder.gguf", "vocab/ggml-vocab-starcoder.gguf", {}, {}},
        VectorSet{"bert_bge", "vocab/ggml-vocab-bert-bge.gguf", "vocab/ggml-vocab-bert-bge.gguf", {101}, {102}, false}),
    [](const ::testing::TestParamInfo<VectorSet>& param) { return std::string(param.param.name); });

// test-tokenizer-1-spm and -1-bpe: every token, rendered with specials and
// tokenized again with specials parsed, renders the same. Byte-level tokens
// of part of a character are left out, as llama.cpp's test did (its UTF-8
// reader threw on them): read as text they become U+FFFD.
class RoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTrip, EveryToken) {
  const auto tokenizer = load_tokenizer(data_path(GetParam()));
  ASSERT_TRUE(tokenizer);
  for (TokenId id = 0; id < tokenizer->n_tokens(); ++id) {
    const std::vector<TokenId> single{id};
    const std::string text = tokenizer->decode(single, false, true);
    if (!is_valid_utf8(text)) continue;
    auto ids = tokenizer->encode(text, false, true);
    ASSERT_TRUE(ids) << ids.error().to_string();
    ASSERT_EQ(tokenizer->decode(*ids, false, true), text) << "token " << id;
  }
}

// Every code point comes back from encode + decode, but U+2581, which
// SentencePiece decodes as a space, and code points with a byte the
// vocabulary has no token for (Falcon's 0x03, 0x0B, ...), which byte-level
// BPE drops.
TEST_P(RoundTrip, EveryCodePoint) {
  const auto tokenizer = load_tokenizer(data_path(GetParam()));
  ASSERT_TRUE(tokenizer);
  const bool is_spm = tokenizer->vocab().kind() == VocabKind::kSpm;
  const auto representable = [&](std::string_view bytes) {
    if (is_spm) return true;
    return std::all_of(bytes.begin(), bytes.end(), [&](char byte) {
      std::string character;
      append_byte_level(std::string_view(&byte, 1), character);
      return tokenizer->vocab().find(character).has_value();
    });
  };
  size_t n_checked = 0;
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (is_surrogate(cp) || (cp >= 0x40000 && cp <= 0xE0000) || (is_spm && cp == 0x2581)) continue;
    std::string text;
    append_utf8(cp, text);
    if (!representable(text)) continue;
    auto ids = tokenizer->encode(text, false, true);
    ASSERT_TRUE(ids) << ids.error().to_string();
    ASSERT_EQ(tokenizer->decode(*ids, false, true), text) << "code point " << cp;
    ++n_checked;
  }
  EXPECT_GT(n_checked, 400000u);
}

INSTANTIATE_TEST_SUITE_P(LlamaCpp, RoundTrip,
                         ::testing::Values("vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-gpt-2.gguf",
                                           "vocab/ggml-vocab-deepseek-coder.gguf", "vocab/ggml-vocab-falcon.gguf",
                                           "vocab/ggml-vocab-starcoder.gguf"));

}  // namespace
}  // namespace rocmforge::tokenizer
