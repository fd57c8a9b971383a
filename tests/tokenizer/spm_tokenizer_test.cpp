// The SentencePiece tokenizer on small vocabularies built for each rule:
// merge order, byte fallback, space handling, special tokens.
#include <gtest/gtest.h>

#include <chrono>

#include "testing/test_paths.h"
#include "tokenizer_fixtures.h"
#include "vocab_image.h"

namespace rocmforge::tokenizer {
namespace {

using testing::encode;
using testing::read_tokenizer;
using testing::spm_tokens;
using testing::TokenSpec;
using testing::vocab_writer;
using Ids = std::vector<TokenId>;

constexpr TokenId kFirstExtra = 259;  // after <unk>, <s>, </s> and 256 byte tokens
constexpr TokenType kUserDefined = TokenType::kUserDefined;

std::unique_ptr<Tokenizer> make(const std::vector<TokenSpec>& extra, bool space_prefix = false) {
  gguf::GgufWriter writer = vocab_writer(spm_tokens(extra));
  writer.set_bool("tokenizer.ggml.add_space_prefix", space_prefix);
  return testing::build_tokenizer(writer);
}

TEST(SpmTokenizer, MergesTheBestScoringPairFirst) {
  // a=259 b=260 c=261 ab=262 bc=263
  const auto ab_better = make({{"a"}, {"b"}, {"c"}, {"ab", -1.0f}, {"bc", -2.0f}});
  EXPECT_EQ(encode(*ab_better, "abc"), (Ids{262, 261}));
  const auto bc_better = make({{"a"}, {"b"}, {"c"}, {"ab", -2.0f}, {"bc", -1.0f}});
  EXPECT_EQ(encode(*bc_better, "abc"), (Ids{259, 263}));
}

TEST(SpmTokenizer, EqualScoresMergeLeftmostFirst) {
  const auto tokenizer = make({{"a"}, {"b"}, {"c"}, {"ab", -1.0f}, {"bc", -1.0f}});
  EXPECT_EQ(encode(*tokenizer, "abc"), (Ids{262, 261}));
  EXPECT_EQ(encode(*tokenizer, "abcabc"), (Ids{262, 261, 262, 261}));
}

TEST(SpmTokenizer, MergesOnlyThroughPiecesThatAreTokens) {
  // "abc" is a token, but neither "ab" nor "bc" is: SPM cannot reach it.
  const auto tokenizer = make({{"a"}, {"b"}, {"c"}, {"abc", 10.0f}});
  EXPECT_EQ(encode(*tokenizer, "abc"), (Ids{259, 260, 261}));
}

TEST(SpmTokenizer, UnknownCharactersFallBackToBytes) {
  const auto tokenizer = make({{"a"}});
  // é is C3 A9: byte tokens 3 + 0xC3 and 3 + 0xA9.
  EXPECT_EQ(encode(*tokenizer, "a\xC3\xA9"), (Ids{259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(tokenizer->decode(encode(*tokenizer, "a\xC3\xA9"), false, false), "a\xC3\xA9");
}

TEST(SpmTokenizer, InvalidUtf8IsTokenizedByteForByte) {
  const auto tokenizer = make({{"a"}, {"\xC3\xA9"}});
  const std::string inputs[] = {
      "\xFF", "\x80z", "\xC3", "a\xE2\x96", "\xF0\x9F\x98", "\xC3\xA9\xA9", "\xE2\x96\x81\x81", std::string("a\0b", 3)};
  for (const std::string& text : inputs) {
    const Ids ids = encode(*tokenizer, text);
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(tokenizer->decode(ids, false, false), text);
  }
  // A lead byte claims the bytes after it whatever they are (llama.cpp's
  // character split), so C3 'z' is one unknown piece: two byte tokens.
  EXPECT_EQ(encode(*tokenizer, "\xC3z"), (Ids{3 + 0xC3, 3 + 'z'}));
}

TEST(SpmTokenizer, SpacesBecomeTheSpaceMarkerWithAPrefix) {
  // ▁=259 a=260 b=261 ▁a=262 ▁b=263
  const auto tokenizer = make({{"▁"}, {"a"}, {"b"}, {"▁a"}, {"▁b"}}, true);
  EXPECT_EQ(encode(*tokenizer, "a b"), (Ids{262, 263}));
  EXPECT_EQ(encode(*tokenizer, " a"), (Ids{259, 262}));
  EXPECT_EQ(encode(*tokenizer, "a\tb"), (Ids{262, 3 + '\t', 261}));
  EXPECT_EQ(tokenizer->decode(Ids{262, 263}, false, false), "a b");
  EXPECT_EQ(tokenizer->decode(Ids{259, 262}, false, false), " a");
  const auto no_prefix = make({{"▁"}, {"a"}, {"b"}, {"▁a"}, {"▁b"}}, false);
  EXPECT_EQ(encode(*no_prefix, "a b"), (Ids{260, 263}));
  EXPECT_EQ(no_prefix->decode(Ids{262, 263}, false, false), " a b");
}

TEST(SpmTokenizer, EmptyText) {
  const auto tokenizer = make({{"a"}});
  EXPECT_EQ(encode(*tokenizer, ""), Ids{});
  EXPECT_EQ(*tokenizer->encode("", true, false), Ids{1});
  EXPECT_EQ(tokenizer->decode(Ids{}, true, true), "");
}

TEST(SpmTokenizer, AddEosFlagAppendsEosAndDecodeCanDropIt) {
  gguf::GgufWriter writer = vocab_writer(spm_tokens({{"a"}}));
  writer.set_bool("tokenizer.ggml.add_eos_token", true);
  writer.set_bool("tokenizer.ggml.add_space_prefix", false);
  const auto tokenizer = std::move(*read_tokenizer(writer));
  const Ids ids = *tokenizer->encode("a", true, false);
  EXPECT_EQ(ids, (Ids{1, 259, 2}));
  EXPECT_EQ(tokenizer->decode(ids, true, true), "a");
  EXPECT_EQ(tokenizer->decode(ids, false, true), "<s>a</s>");
}

TEST(SpmTokenizer, UserDefinedTokensAreAlwaysMatchedControlOnlyWhenParsingSpecials) {
  // ▁=259 a=260 ▁a=261 <|u|>=262 (user-defined) <|im_end|>=263 (control)
  const auto tokenizer =
      make({{"▁"}, {"a"}, {"▁a"}, {"<|u|>", 0.0f, kUserDefined}, {"<|im_end|>", 0.0f, TokenType::kControl}}, true);
  // Text after a special token gets the space prefix again.
  EXPECT_EQ(encode(*tokenizer, "a<|u|>a"), (Ids{261, 262, 261}));
  EXPECT_EQ(encode(*tokenizer, "a<|im_end|>a", true), (Ids{261, 263, 261}));
  const Ids literal = encode(*tokenizer, "a<|im_end|>a", false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), 263), 0);
  EXPECT_EQ(tokenizer->decode(literal, false, false), "a<|im_end|>a");
  // Control tokens render only on request; user-defined ones always.
  EXPECT_EQ(tokenizer->token_to_piece(263, false), "");
  EXPECT_EQ(tokenizer->token_to_piece(263, true), "<|im_end|>");
  EXPECT_EQ(tokenizer->token_to_piece(262, false), "<|u|>");
  EXPECT_EQ(tokenizer->token_to_piece(100000, true), "");
}

TEST(SpmTokenizer, LongerSpecialTokensWinOverShorterOnesInside) {
  const auto tokenizer = make({{"a"}, {"<x>", 0.0f, kUserDefined}, {"<x><y>", 0.0f, kUserDefined}});
  EXPECT_EQ(encode(*tokenizer, "<x><y>a<x>"), (Ids{kFirstExtra + 2, 259, kFirstExtra + 1}));
}

TEST(SpmTokenizer, TokensNamedLikeEndOfTurnBecomeControlAndEndGeneration) {
  // Converters sometimes store chat markup as normal tokens; llama.cpp
  // recognises it by its text.
  const auto tokenizer = make({{"a"}, {"<|im_end|>"}, {"<|channel|>", 0.0f, TokenType::kControl}});
  const Vocab& vocab = tokenizer->vocab();
  EXPECT_EQ(vocab.token(260).type, TokenType::kControl);
  EXPECT_EQ(vocab.special().eot, 260);
  EXPECT_EQ(vocab.eog_ids(), (Ids{2, 260}));
  EXPECT_TRUE(tokenizer->is_eog(260));
  EXPECT_EQ(vocab.token(261).type, kUserDefined);  // gpt-oss markup is always rendered
}

TEST(SpmTokenizer, Phi3ChatMarkupSwallowsTheWhitespaceAfterIt) {
  gguf::GgufWriter writer = vocab_writer(spm_tokens({{"▁"}, {"a"}, {"▁a"}, {"<|user|>", 0.0f, TokenType::kControl}}));
  writer.set_string("general.name", "Phi3");
  const auto phi3 = std::move(*read_tokenizer(writer));
  EXPECT_EQ(*phi3->encode("<|user|>\n a", false, true), (Ids{262, 261}));
  EXPECT_FALSE(phi3->vocab().token(1).rstrip);  // <s> is exempt
  writer.set_string("general.name", "Llama");
  const auto llama = std::move(*read_tokenizer(writer));
  EXPECT_EQ(*llama->encode("<|user|>\n a", false, true), (Ids{262, 259, 3 + '\n', 261}));
}

TEST(SpmTokenizer, AByteTheVocabularyCannotWriteIsAnError) {
  gguf::GgufWriter writer = vocab_writer({{"<unk>", 0.0f, TokenType::kUnknown}, {"<s>"}, {"</s>"}, {"a"}});
  writer.set_bool("tokenizer.ggml.add_space_prefix", false);
  auto loaded = read_tokenizer(writer);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  const auto tokenizer = std::move(*loaded);
  EXPECT_EQ(*tokenizer->encode("a", false, false), Ids{3});
  auto ids = tokenizer->encode("ab", false, false);
  ASSERT_FALSE(ids);
  EXPECT_EQ(ids.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(ids.error().message().find("0x62"), std::string::npos) << ids.error().message();
}

TEST(SpmTokenizer, LongTextIsFast) {
  const auto tokenizer = testing::load_tokenizer(rocmforge::testing::data_path("vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(tokenizer);
  std::string text;
  while (text.size() < 100000) text += "The quick brown fox jumps over the lazy dog; naïve café, 東京 🦙 ";
  std::string word(100000, 'a');
  for (const std::string& input : {text, word}) {
    const auto start = std::chrono::steady_clock::now();
    auto ids = tokenizer->encode(input, true, true);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(ids);
    EXPECT_EQ(tokenizer->decode(*ids, true, false), " " + input);
    EXPECT_LT(ms, 2000.0) << input.size() << " bytes";
    std::printf("encode of %zu bytes: %zu tokens in %.1f ms\n", input.size(), ids->size(), ms);
  }
}

}  // namespace
}  // namespace rocmforge::tokenizer
