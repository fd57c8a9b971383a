// WordPiece (BERT) on a small vocabulary built for each rule, and on
// bert-bge's. As the GGUF converter writes BERT vocabularies, word-initial
// pieces start with "▁" and continuations ("##able" in BERT) do not.
#include "tokenizer/wpm_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "testing/test_paths.h"
#include "tokenizer_fixtures.h"
#include "vocab_image.h"

namespace rocmforge::tokenizer {
namespace {

using testing::encode;
using testing::read_tokenizer;
using testing::TokenSpec;
using testing::vocab_writer;
using Ids = std::vector<TokenId>;

constexpr TokenType kControl = TokenType::kControl;

// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the pieces from 5 on.
const std::vector<std::string> kPieces = {"▁hello", "▁world", "▁un",    "aff",    "able",   "▁,", "▁!",
                                          "▁'",     "▁s",     "▁arger", "▁中",    "▁文",    "▁$", "▁a",
                                          "a",      "▁x",     "▁©",     "▁Hello", "▁Ärger", "▁i", "▁é"};
constexpr TokenId kHello = 5, kWorld = 6, kUn = 7, kAff = 8, kAble = 9, kComma = 10, kBang = 11, kApostrophe = 12,
                  kS = 13, kArger = 14, kZhong = 15, kWen = 16, kDollar = 17, kA = 18, kA2 = 19, kX = 20,
                  kCopyright = 21, kHelloCased = 22, kArgerCased = 23, kI = 24, kEAcute = 25;

gguf::GgufWriter bert_writer() {
  std::vector<TokenSpec> tokens = {{"[PAD]", 0.0f, kControl},
                                   {"[UNK]", 0.0f, kControl},
                                   {"[CLS]", 0.0f, kControl},
                                   {"[SEP]", 0.0f, kControl},
                                   {"[MASK]", 0.0f, kControl}};
  for (const std::string& piece : kPieces) tokens.push_back({piece});
  gguf::GgufWriter writer = vocab_writer(tokens);
  writer.set_string("tokenizer.ggml.model", "bert");
  writer.set_u32("tokenizer.ggml.unknown_token_id", 1);
  writer.set_u32("tokenizer.ggml.bos_token_id", 2);
  writer.set_u32("tokenizer.ggml.seperator_token_id", 3);
  writer.set_u32("tokenizer.ggml.mask_token_id", 4);
  return writer;
}

std::unique_ptr<Tokenizer> make(const gguf::GgufWriter& writer = bert_writer()) {
  return testing::build_tokenizer(writer);
}

TEST(WpmTokenizer, WordsAreLowerCasedAndCoveredLongestTokenFirst) {
  const auto tokenizer = make();
  EXPECT_EQ(encode(*tokenizer, "Hello World!"), (Ids{kHello, kWorld, kBang}));
  EXPECT_EQ(encode(*tokenizer, "unaffable"), (Ids{kUn, kAff, kAble}));
  EXPECT_EQ(encode(*tokenizer, "aaa"), (Ids{kA, kA2, kA2}));
}

TEST(WpmTokenizer, AWordThatCannotBeCoveredIsOneUnknown) {
  const auto tokenizer = make();
  EXPECT_EQ(encode(*tokenizer, "hello unaffablez world"), (Ids{kHello, 1, kWorld}));
}

TEST(WpmTokenizer, AccentsAreStrippedAndLettersLowerCased) {
  const auto tokenizer = make();
  EXPECT_EQ(encode(*tokenizer, "ÄRGER"), (Ids{kArger}));
  // A combining mark is dropped too: "A" + U+0308.
  EXPECT_EQ(encode(*tokenizer, "A\u0308rger"), (Ids{kArger}));
  // İ (U+0130) lower-cases to 'i' by its simple mapping.
  EXPECT_EQ(encode(*tokenizer, "\u0130"), (Ids{kI}));
}

TEST(WpmTokenizer, PunctuationAsciiSymbolsAndIdeographsAreWordsOfTheirOwn) {
  const auto tokenizer = make();
  EXPECT_EQ(encode(*tokenizer, "hello,world"), (Ids{kHello, kComma, kWorld}));
  EXPECT_EQ(encode(*tokenizer, "x's"), (Ids{kX, kApostrophe, kS}));
  EXPECT_EQ(encode(*tokenizer, "a$a"), (Ids{kA, kDollar, kA}));
  EXPECT_EQ(encode(*tokenizer, "中文"), (Ids{kZhong, kWen}));
  // '©' is a symbol but not ASCII: it stays inside its word.
  EXPECT_EQ(encode(*tokenizer, "©"), (Ids{kCopyright}));
  EXPECT_EQ(encode(*tokenizer, "a©"), (Ids{1}));
}

TEST(WpmTokenizer, WhitespaceSeparatesControlsAndBadBytesVanish) {
  const auto tokenizer = make();
  EXPECT_EQ(encode(*tokenizer, " hello\u3000world\t\nhello "), (Ids{kHello, kWorld, kHello}));
  EXPECT_EQ(encode(*tokenizer, std::string("hel\x01l\0o\xFF\u200B", 11)), (Ids{kHello}));
  EXPECT_TRUE(encode(*tokenizer, "\xFF\xFE").empty());
  EXPECT_TRUE(encode(*tokenizer, "").empty());
}

TEST(WpmTokenizer, AddSpecialFramesWithClsAndSep) {
  const auto tokenizer = make();
  EXPECT_EQ(*tokenizer->encode("hello", true, false), (Ids{2, kHello, 3}));
  EXPECT_EQ(*tokenizer->encode("", true, false), (Ids{2, 3}));
  // llama.cpp frames the text whatever the add-BOS flag says.
  gguf::GgufWriter writer = bert_writer();
  writer.set_bool("tokenizer.ggml.add_bos_token", false);
  EXPECT_EQ(*make(writer)->encode("hello", true, false), (Ids{2, kHello, 3}));
  EXPECT_EQ(encode(*tokenizer, "hello [MASK]", true), (Ids{kHello, 4}));
}

TEST(WpmTokenizer, NormalizerOptionsFromMetadata) {
  gguf::GgufWriter cased = bert_writer();
  cased.set_bool("tokenizer.ggml.normalizer.lowercase", false);
  EXPECT_EQ(encode(*make(cased), "Hello Ärger"), (Ids{kHelloCased, kArgerCased}));
  cased.set_bool("tokenizer.ggml.normalizer.strip_accents", true);
  EXPECT_EQ(encode(*make(cased), "é"), (Ids{1}));  // becomes 'e', which is no token
  gguf::GgufWriter keep_accents = bert_writer();
  keep_accents.set_bool("tokenizer.ggml.normalizer.strip_accents", false);
  EXPECT_EQ(encode(*make(keep_accents), "É"), (Ids{kEAcute}));
}

TEST(WpmTokenizer, DecodeKeepsTheLeadingSpaceAndCleansPunctuation) {
  const auto tokenizer = make();
  const Ids ids = *tokenizer->encode("Hello, world!", true, false);
  EXPECT_EQ(tokenizer->decode(ids, true, false), " hello, world!");
  EXPECT_EQ(tokenizer->decode(ids, false, true), "[CLS] hello, world![SEP]");
  EXPECT_EQ(tokenizer->decode(Ids{kUn, kAff, kAble}, false, false), " unaffable");
}

TEST(WpmTokenizer, DefaultsAreBertsIds) {
  const auto tokenizer = testing::load_tokenizer(rocmforge::testing::data_path("vocab/ggml-vocab-bert-bge.gguf"));
  ASSERT_TRUE(tokenizer);
  const SpecialTokens& special = tokenizer->vocab().special();
  EXPECT_EQ(special.bos, 101);
  EXPECT_EQ(special.unk, 100);
  EXPECT_EQ(special.sep, 102);
  EXPECT_EQ(special.pad, 0);
  EXPECT_EQ(special.mask, 103);
  EXPECT_FALSE(special.eos);
  EXPECT_TRUE(tokenizer->vocab().add_bos());
  EXPECT_TRUE(tokenizer->vocab().clean_spaces());
}

TEST(WpmTokenizer, AVocabularyWithoutUnknownClsOrSepIsRejected) {
  for (const char* key :
       {"tokenizer.ggml.unknown_token_id", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.seperator_token_id"}) {
    gguf::GgufWriter writer = bert_writer();
    writer.set_i32(key, -1);  // "none": the default (100..102) is outside this vocabulary
    if (std::string_view(key) == "tokenizer.ggml.bos_token_id") writer.set_bool("tokenizer.ggml.add_bos_token", false);
    auto tokenizer = read_tokenizer(writer);
    ASSERT_FALSE(tokenizer) << key;
    EXPECT_EQ(tokenizer.error().code(), ErrorCode::kParse) << tokenizer.error().to_string();
  }
}

TEST(WpmTokenizer, LongTextIsFast) {
  const auto tokenizer = testing::load_tokenizer(rocmforge::testing::data_path("vocab/ggml-vocab-bert-bge.gguf"));
  ASSERT_TRUE(tokenizer);
  std::string text;
  while (text.size() < 100000) text += "The quick brown fox jumps over the lazy dog; naïve café, 東京 🦙 ";
  for (const std::string& input : {text, std::string(100000, 'a')}) {
    const auto start = std::chrono::steady_clock::now();
    auto ids = tokenizer->encode(input, true, false);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(ids);
    EXPECT_LT(ms, 1000.0) << input.size() << " bytes";
    std::printf("bert-bge: encode of %zu bytes: %zu tokens in %.1f ms\n", input.size(), ids->size(), ms);
  }
}

}  // namespace
}  // namespace rocmforge::tokenizer
