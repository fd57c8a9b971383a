// Streaming detokenization: whole UTF-8 characters only, and the same text as
// decode() of everything.
#include "tokenizer/incremental_detokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "testing/test_paths.h"
#include "tokenizer/utf8.h"
#include "tokenizer_fixtures.h"

namespace rocmforge::tokenizer {
namespace {

using rocmforge::testing::data_path;
using testing::load_tokenizer;
using Ids = std::vector<TokenId>;

// Pushes `ids` one at a time; every output must be valid UTF-8.
std::vector<std::string> stream(const Tokenizer& tokenizer, const Ids& ids,
                                IncrementalDetokenizer::Options options = {}) {
  IncrementalDetokenizer detokenizer(tokenizer, options);
  std::vector<std::string> outputs;
  for (TokenId id : ids) outputs.push_back(detokenizer.push(id));
  outputs.push_back(detokenizer.flush());
  for (const std::string& out : outputs) EXPECT_TRUE(is_valid_utf8(out)) << out;
  return outputs;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += part;
  return text;
}

class IncrementalDetokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokenizer_ = load_tokenizer(data_path("vocab/ggml-vocab-llama-spm.gguf"));
    ASSERT_TRUE(tokenizer_);
  }
  Ids encode(std::string_view text) { return *tokenizer_->encode(text, false, false); }
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(IncrementalDetokenizerTest, EmojiSpreadOverByteTokensComesOutWhole) {
  // "🦙" is F0 9F A6 99: four byte tokens after "▁".
  const Ids ids = encode("\xF0\x9F\xA6\x99!");
  ASSERT_EQ(ids, (Ids{29871, 243, 162, 169, 156, 29991}));
  const auto outputs = stream(*tokenizer_, ids);
  EXPECT_EQ(outputs, (std::vector<std::string>{"", "", "", "", "\xF0\x9F\xA6\x99", "!", ""}));
  // After BOS the space of "▁" stays, as in decode().
  const auto after_bos = stream(*tokenizer_, *tokenizer_->encode("\xF0\x9F\xA6\x99!", true, false));
  EXPECT_EQ(after_bos, (std::vector<std::string>{"", " ", "", "", "", "\xF0\x9F\xA6\x99", "!", ""}));
}

TEST_F(IncrementalDetokenizerTest, CjkCharactersSplitIntoBytes) {
  const std::string text = "\xE6\x88\x91\xE6\x83\xB3\xE5\x9C\xA8\xE7\xBB\xA9";  // 我想在绩
  const Ids ids = encode(text);
  const auto outputs = stream(*tokenizer_, ids);
  EXPECT_EQ(joined(outputs), text);
  for (const std::string& out : outputs) EXPECT_TRUE(out.empty() || out.size() % 3 == 0) << out;
}

TEST_F(IncrementalDetokenizerTest, EqualsDecodeOnEveryVocabCase) {
  for (const auto& c : testing::read_vocab_cases(data_path("vocab/ggml-vocab-llama-spm.gguf"))) {
    for (bool render_special : {false, true}) {
      const Ids ids = *tokenizer_->encode(c.text, true, false);
      const std::string decoded = tokenizer_->decode(ids, false, render_special);
      ASSERT_TRUE(is_valid_utf8(decoded));
      EXPECT_EQ(joined(stream(*tokenizer_, ids, {.render_special = render_special})), decoded) << c.text;
    }
  }
}

TEST_F(IncrementalDetokenizerTest, InvalidSequencesBecomeReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  // Byte tokens are id 3 + byte.
  const Ids stray{3 + 0xFF, 3 + 'a', 3 + 0xE2, 3 + 0x96, 3 + 'b', 3 + 0x80, 3 + 0xE2};
  const auto outputs = stream(*tokenizer_, stray);
  EXPECT_EQ(outputs, (std::vector<std::string>{fffd, "a", "", "", fffd + "b", fffd, "", fffd}));
  const std::string decoded = tokenizer_->decode(stray, false, false);
  EXPECT_FALSE(is_valid_utf8(decoded));
  EXPECT_EQ(joined(outputs), sanitize_utf8(decoded));
}

TEST_F(IncrementalDetokenizerTest, ContinuingAPromptKeepsTheFirstSpace) {
  const Ids ids{15043, 3186};  // ▁Hello ▁world
  EXPECT_EQ(joined(stream(*tokenizer_, ids)), "Hello world");
  EXPECT_EQ(joined(stream(*tokenizer_, ids, {.continues_text = true})), " Hello world");
}

TEST_F(IncrementalDetokenizerTest, ControlTokensOnlyWhenRendered) {
  const Ids ids{1, 15043, 2};
  EXPECT_EQ(joined(stream(*tokenizer_, ids)), " Hello");
  EXPECT_EQ(joined(stream(*tokenizer_, ids, {.render_special = true})), "<s> Hello</s>");
}

// Byte-level BPE: pieces are bytes of characters, and decode() cleans up
// spaces for gpt-2, falcon, starcoder and BERT but not deepseek-coder.
class IncrementalDetokenizerVocabs : public ::testing::TestWithParam<const char*> {};

TEST_P(IncrementalDetokenizerVocabs, EqualsDecodeOnEveryVocabCase) {
  const auto tokenizer = load_tokenizer(data_path(GetParam()));
  ASSERT_TRUE(tokenizer);
  for (const auto& c : testing::read_vocab_cases(data_path(GetParam()))) {
    for (bool render_special : {false, true}) {
      const Ids ids = *tokenizer->encode(c.text, true, false);
      const std::string decoded = tokenizer->decode(ids, false, render_special);
      EXPECT_EQ(joined(stream(*tokenizer, ids, {.render_special = render_special})), sanitize_utf8(decoded)) << c.text;
    }
  }
}

// Random sequences of tokens rich in spaces, apostrophes and punctuation,
// where the clean-up of spaces has the most to do.
TEST_P(IncrementalDetokenizerVocabs, EqualsDecodeOnRandomSequences) {
  const auto tokenizer = load_tokenizer(data_path(GetParam()));
  ASSERT_TRUE(tokenizer);
  Ids alphabet;
  for (const char* text : {" ", "  ", "'", " '", "s", "m", "re", "ve", "t", "ll", ".", " ,", "?", "!", "a", "\xC3",
                           "\xA9", "\xF0\x9F", "\xA6\x99"}) {
    const Ids ids = *tokenizer->encode(text, false, false);
    alphabet.insert(alphabet.end(), ids.begin(), ids.end());
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    Ids ids(1 + rng() % 12);
    for (TokenId& id : ids) id = alphabet[rng() % alphabet.size()];
    const std::string decoded = tokenizer->decode(ids, false, false);
    ASSERT_EQ(joined(stream(*tokenizer, ids)), sanitize_utf8(decoded));
  }
}

INSTANTIATE_TEST_SUITE_P(Bpe, IncrementalDetokenizerVocabs,
                         ::testing::Values("vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
                                           "vocab/ggml-vocab-bert-bge.gguf"));

TEST(IncrementalDetokenizerCleanSpaces, HoldsBackASpaceUntilWhatFollowsIsKnown) {
  const auto tokenizer = load_tokenizer(data_path("vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_TRUE(tokenizer);
  const Ids ids = *tokenizer->encode("Hello world , it 's fine", false, false);
  const auto outputs = stream(*tokenizer, ids);
  EXPECT_EQ(joined(outputs), "Hello world, it's fine");
  EXPECT_EQ(outputs.front(), "Hello");  // nothing to hold back after "Hello"
}

TEST(Utf8, LenientReadingIsLlamaCpps) {
  using Cps = std::vector<uint32_t>;
  EXPECT_EQ(decode_utf8_lenient("a\xC3\xA9\xF0\x9F\xA6\x99"), (Cps{'a', 0xE9, 0x1F999}));
  EXPECT_EQ(decode_utf8_lenient("\xC0\x80"), Cps{0});                       // overlong: accepted
  EXPECT_EQ(decode_utf8_lenient("\xED\xA0\x80"), Cps{0xD800});              // surrogate: accepted
  EXPECT_EQ(decode_utf8_lenient("\x80\xFF"), (Cps{0xFFFD, 0xFFFD}));        // not a lead byte
  EXPECT_EQ(decode_utf8_lenient("\xE2\x96z"), (Cps{0xFFFD, 0xFFFD, 'z'}));  // cut short
  EXPECT_EQ(decode_utf8_lenient("\xF7\xBF\xBF\xBF"), (Cps(4, 0xFFFD)));     // past U+10FFFF
  std::string out;
  for (uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0xD800u}) append_utf8(cp, out);
  EXPECT_EQ(out, "$\xC2\xA2\xE2\x82\xAC\xF0\x90\x8D\x88\xED\xA0\x80");
}

TEST(Utf8, SanitizeReplacesEachMaximalSubpart) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(sanitize_utf8("plain \xC3\xA9 \xF0\x9F\xA6\x99"), "plain \xC3\xA9 \xF0\x9F\xA6\x99");
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\xA6"), r);                  // truncated at the end
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\xA6z"), r + "z");           // interrupted
  EXPECT_EQ(sanitize_utf8("\xE0\x80\x80"), r + r + r);          // overlong
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), r + r + r);          // surrogate
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(sanitize_utf8("\xC0\xAF\xFE\xFF"), r + r + r + r);  // never valid bytes
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Utf8, HoldsBackOnlyWhatCouldStillBeCompleted) {
  std::string out;
  EXPECT_EQ(append_valid_utf8("ab\xF0\x9F", false, out), 2u);
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(append_valid_utf8("ab\xF0z", false, out), 4u);
  EXPECT_EQ(out, "ab\xEF\xBF\xBDz");
  out.clear();
  EXPECT_EQ(append_valid_utf8("\xE2\x96", true, out), 2u);
  EXPECT_EQ(out, "\xEF\xBF\xBD");
}

TEST(Utf8, SequenceLengthReadsTheTopBitsAsLlamaCpp) {
  EXPECT_EQ(utf8_sequence_length('a'), 1u);
  EXPECT_EQ(utf8_sequence_length(0x80), 1u);
  EXPECT_EQ(utf8_sequence_length(0xC3), 2u);
  EXPECT_EQ(utf8_sequence_length(0xE2), 3u);
  EXPECT_EQ(utf8_sequence_length(0xF0), 4u);
  EXPECT_EQ(utf8_sequence_length(0xFF), 4u);
}

}  // namespace
}  // namespace rocmforge::tokenizer
