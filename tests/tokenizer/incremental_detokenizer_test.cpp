// Streaming detokenization: whole UTF-8 characters only, and the same text as
// decode() of everything.
#include "tokenizer/incremental_detokenizer.h"

#include <gtest/gtest.h>

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
