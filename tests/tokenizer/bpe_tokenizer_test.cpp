// Byte-level BPE on small vocabularies built for each rule (merge order,
// ignore_merges, special tokens, flags, byte fallback), hostile metadata,
// threads and long text. In every vocabulary here byte b is token b
// (vocab_image.h): 'a' = 97, 'b' = 98, the space 'Ġ' = 32.
#include "tokenizer/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "testing/test_paths.h"
#include "tokenizer_fixtures.h"
#include "vocab_image.h"

namespace rocmforge::tokenizer {
namespace {

using testing::bpe_writer;
using testing::byte_level_tokens;
using testing::encode;
using testing::read_tokenizer;
using testing::read_vocab;
using testing::TokenSpec;
using Ids = std::vector<TokenId>;

constexpr TokenId kFirstExtra = 256;

std::unique_ptr<Tokenizer> make(const std::vector<TokenSpec>& extra, std::vector<std::string> merges,
                                const std::string& pre = "gpt-2") {
  return testing::build_tokenizer(bpe_writer(byte_level_tokens(extra), std::move(merges), pre));
}

void expect_load_error(const gguf::GgufWriter& writer, ErrorCode code, std::string_view needle) {
  auto tokenizer = read_tokenizer(writer);
  ASSERT_FALSE(tokenizer) << "expected an error mentioning " << needle;
  EXPECT_EQ(tokenizer.error().code(), code) << tokenizer.error().to_string();
  EXPECT_NE(tokenizer.error().message().find(needle), std::string::npos) << tokenizer.error().message();
}

TEST(BpeTokenizer, MergesByRankLowestFirst) {
  // ab=256 bc=257
  const auto ab_first = make({{"ab"}, {"bc"}}, {"a b", "b c"});
  EXPECT_EQ(encode(*ab_first, "abc"), (Ids{256, 'c'}));
  const auto bc_first = make({{"ab"}, {"bc"}}, {"b c", "a b"});
  EXPECT_EQ(encode(*bc_first, "abc"), (Ids{'a', 257}));
}

TEST(BpeTokenizer, MergedPiecesMergeFurther) {
  // ab=256 abc=257 Ġabc=258
  const auto tokenizer = make({{"ab"}, {"abc"}, {"Ġabc"}}, {"a b", "ab c", "Ġ abc"});
  EXPECT_EQ(encode(*tokenizer, "abc abc"), (Ids{257, 258}));
  EXPECT_EQ(tokenizer->decode(Ids{257, 258}, false, false), "abc abc");
}

TEST(BpeTokenizer, EqualPairsMergeLeftmostFirst) {
  // aa=256: "aaa" -> "aa" "a", not "a" "aa".
  const auto tokenizer = make({{"aa"}}, {"a a"});
  EXPECT_EQ(encode(*tokenizer, "aaa"), (Ids{256, 'a'}));
  EXPECT_EQ(encode(*tokenizer, "aaaa"), (Ids{256, 256}));
}

TEST(BpeTokenizer, WordsNeverMergeAcrossTheirBoundaries) {
  // gpt-2 splits "a b" into "a", "Ġb": the merge "a Ġ" cannot apply.
  const auto tokenizer = make({{"aĠ"}}, {"a Ġ"});
  EXPECT_EQ(encode(*tokenizer, "a b"), (Ids{'a', ' ', 'b'}));
}

TEST(BpeTokenizer, IgnoreMergesTakesWholeWordTokens) {
  // "abc" is a token no merge reaches: only Llama 3's pre-tokenizers use it whole.
  const std::vector<TokenSpec> extra = {{"abc"}};
  EXPECT_EQ(encode(*make(extra, {}, "gpt-2"), "abc"), (Ids{'a', 'b', 'c'}));
  EXPECT_EQ(encode(*make(extra, {}, "llama-bpe"), "abc"), (Ids{256}));
  EXPECT_EQ(encode(*make(extra, {}, "tekken"), "abc"), (Ids{256}));
}

TEST(BpeTokenizer, SpecialTokensAreCutOutBeforeSplitting) {
  // <|im_end|> is control (end of generation), <tool> user-defined.
  const auto tokenizer =
      make({{"<|im_end|>", 0.0f, TokenType::kControl}, {"<tool>", 0.0f, TokenType::kUserDefined}}, {}, "llama-bpe");
  EXPECT_EQ(encode(*tokenizer, "a<tool>b"), (Ids{'a', 257, 'b'}));
  EXPECT_EQ(encode(*tokenizer, "a<|im_end|>", /*parse_special=*/true), (Ids{'a', 256}));
  EXPECT_EQ(encode(*tokenizer, "<|im_end|>"), (Ids{'<', '|', 'i', 'm', '_', 'e', 'n', 'd', '|', '>'}));
  EXPECT_TRUE(tokenizer->is_eog(256));
  EXPECT_EQ(tokenizer->decode(Ids{'a', 256}, false, false), "a");
  EXPECT_EQ(tokenizer->decode(Ids{'a', 256}, false, true), "a<|im_end|>");
}

TEST(BpeTokenizer, BosAndEosFollowTheMetadataAndThePreTokenizer) {
  // BPE defaults: BOS = EOS = 11, not added; Llama 3's names add BOS.
  auto gpt2 = read_vocab(bpe_writer(byte_level_tokens({}), {}, "gpt-2"));
  ASSERT_TRUE(gpt2) << gpt2.error().to_string();
  EXPECT_EQ(gpt2->special().bos, 11);
  EXPECT_EQ(gpt2->special().eos, 11);
  EXPECT_FALSE(gpt2->add_bos());
  EXPECT_FALSE(gpt2->add_space_prefix());
  EXPECT_TRUE(gpt2->clean_spaces());
  auto llama3 = read_vocab(bpe_writer(byte_level_tokens({}), {}, "llama-bpe"));
  ASSERT_TRUE(llama3);
  EXPECT_TRUE(llama3->add_bos());
  auto glm4 = read_vocab(bpe_writer(byte_level_tokens({}), {}, "glm4"));
  ASSERT_TRUE(glm4);
  EXPECT_FALSE(glm4->special().bos);
  EXPECT_FALSE(read_vocab(bpe_writer(byte_level_tokens({}), {}, "qwen2"))->clean_spaces());

  gguf::GgufWriter writer = bpe_writer(byte_level_tokens({{"<s>", 0.0f, TokenType::kControl}}), {}, "llama-bpe");
  writer.set_u32("tokenizer.ggml.bos_token_id", 256);
  writer.set_u32("tokenizer.ggml.eos_token_id", 256);
  writer.set_bool("tokenizer.ggml.add_eos_token", true);
  const auto tokenizer = std::move(*read_tokenizer(writer));
  EXPECT_EQ(*tokenizer->encode("a", true, false), (Ids{256, 'a', 256}));
  EXPECT_EQ(tokenizer->decode(Ids{256, 'a', 256}, true, true), "a");
  writer.set_bool("tokenizer.ggml.add_bos_token", false);
  EXPECT_EQ(*std::move(*read_tokenizer(writer))->encode("a", true, false), (Ids{'a', 256}));
}

TEST(BpeTokenizer, MissingPreTokenizerMeansDefault) {
  auto vocab = read_vocab(bpe_writer(byte_level_tokens({}), {}, ""));
  ASSERT_TRUE(vocab) << vocab.error().to_string();
  EXPECT_EQ(vocab->pre_tokenizer()->name, "default");
}

TEST(BpeTokenizer, DecodeCleansSpacesWhereThePreTokenizerSaysSo) {
  const std::string text = "Hello , world ! it 's";
  const auto gpt2 = make({}, {}, "gpt-2");
  EXPECT_EQ(gpt2->decode(encode(*gpt2, text), false, false), "Hello, world! it's");
  const auto qwen2 = make({}, {}, "qwen2");
  EXPECT_EQ(qwen2->decode(encode(*qwen2, text), false, false), text);
}

TEST(BpeTokenizer, EveryByteRoundTrips) {
  const auto tokenizer = make({}, {});
  std::string text;
  for (int byte = 0; byte < 128; ++byte) text.push_back(static_cast<char>(byte));
  const Ids ids = encode(*tokenizer, text);
  EXPECT_EQ(ids.size(), text.size());
  EXPECT_EQ(tokenizer->decode_pieces(ids, false, false), text);
}

TEST(BpeTokenizer, IllFormedUtf8BecomesReplacementCharactersAsInLlamaCpp) {
  const auto tokenizer = make({}, {});
  // U+FFFD is EF BF BD: byte tokens 0xEF 0xBF 0xBD.
  EXPECT_EQ(encode(*tokenizer, "a\xFF"), (Ids{'a', 0xEF, 0xBF, 0xBD}));
  for (const std::string text : {"\x80", "\xC3", "\xF0\x9F\x98", "\xF7\xBF\xBF\xBF", "\xED\xA0\x80", "\xC0\x80"}) {
    auto ids = tokenizer->encode(text, false, false);
    ASSERT_TRUE(ids) << ids.error().to_string();
    EXPECT_FALSE(ids->empty());
  }
  EXPECT_EQ(tokenizer->decode(encode(*tokenizer, "x\xC3y"), false, false), "x\uFFFDy");
}

TEST(BpeTokenizer, TokensOutsideTheByteAlphabetDecodeAsTheirText) {
  const auto tokenizer = make({{"日本"}}, {});
  EXPECT_EQ(tokenizer->token_to_piece(256, false), "日本");
}

TEST(HostileBpeMetadata, MissingOrMistypedMerges) {
  gguf::GgufWriter no_merges = testing::vocab_writer(byte_level_tokens({}));
  no_merges.set_string("tokenizer.ggml.model", "gpt2");
  expect_load_error(no_merges, ErrorCode::kParse, "tokenizer.ggml.merges");
  gguf::GgufWriter numbers = bpe_writer(byte_level_tokens({}), {}, "gpt-2");
  numbers.set_i32_array("tokenizer.ggml.merges", std::vector<int32_t>{1, 2});
  expect_load_error(numbers, ErrorCode::kParse, "tokenizer.ggml.merges");
}

TEST(HostileBpeMetadata, MergesThatAreNotTwoTexts) {
  for (const char* merge : {"ab", "", " ", "a ", " b"}) {
    expect_load_error(bpe_writer(byte_level_tokens({}), {"a b", merge}, "gpt-2"), ErrorCode::kParse,
                      "tokenizer.ggml.merges[1]");
  }
}

TEST(HostileBpeMetadata, MergesOfUnknownTextsApplyAsInLlamaCpp) {
  // "zz" is no token: merging "z z" leaves a piece written as its bytes; a
  // merge of a text that never occurs ("q x y") is inert.
  const auto tokenizer = make({}, {"q x y", "z z"});
  EXPECT_EQ(encode(*tokenizer, "zz"), (Ids{'z', 'z'}));
  EXPECT_EQ(encode(*tokenizer, "qx y"), (Ids{'q', 'x', ' ', 'y'}));
  // A repeated merge keeps its first rank.
  const auto repeated = make({{"ab"}, {"bc"}}, {"a b", "b c", "a b"});
  EXPECT_EQ(encode(*repeated, "abc"), (Ids{256, 'c'}));
}

TEST(HostileBpeMetadata, UnknownOrMistypedPreTokenizer) {
  expect_load_error(bpe_writer(byte_level_tokens({}), {}, "no-such-pre"), ErrorCode::kUnsupported,
                    "supported: default, gpt-2");
  gguf::GgufWriter numeric = bpe_writer(byte_level_tokens({}), {}, "gpt-2");
  numeric.set_u32("tokenizer.ggml.pre", 3);
  expect_load_error(numeric, ErrorCode::kParse, "tokenizer.ggml.pre");
}

TEST(HostileBpeMetadata, BytesWithoutATokenAreDroppedAsInLlamaCpp) {
  auto tokens = byte_level_tokens({});
  tokens['q'].text = "[not q]";
  const auto tokenizer = testing::build_tokenizer(bpe_writer(tokens, {}, "gpt-2"));
  EXPECT_EQ(encode(*tokenizer, "aqb"), (Ids{'a', 'b'}));
  EXPECT_TRUE(encode(*tokenizer, "qq").empty());
}

// Every name builds a tokenizer through the factory and encodes.
TEST(BpeTokenizer, EveryPreTokenizerNameBuildsATokenizer) {
  for (const PreTokenizerSpec& spec : pre_tokenizer_specs()) {
    const auto tokenizer = make({{"ab"}}, {"a b"}, std::string(spec.name));
    ASSERT_TRUE(tokenizer) << spec.name;
    EXPECT_EQ(encode(*tokenizer, "ab"), Ids{256}) << spec.name;
    EXPECT_EQ(tokenizer->decode(encode(*tokenizer, "ab 12"), false, false), "ab 12") << spec.name;
  }
}

TEST(BpeTokenizer, EncodesFromManyThreadsAtOnce) {
  const auto tokenizer = testing::load_tokenizer(rocmforge::testing::data_path("vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_TRUE(tokenizer);
  const std::string texts[] = {"Hello world, it's a test.", "我想在apple工作1314151天～ 🦙🦙",
                               "    Hello\n    Hello", "3333333 ------=======", std::string(3000, 'x')};
  std::vector<Ids> expected;
  for (const std::string& text : texts) expected.push_back(*tokenizer->encode(text, true, true));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (size_t i = 0; i < std::size(texts); ++i)
          mismatches[t] += *tokenizer->encode(texts[i], true, true) != expected[i];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(BpeTokenizer, LongTextIsFast) {
  std::string text;
  while (text.size() < 100000) text += "The quick brown fox jumps over the lazy dog; naïve café, 東京 🦙 ";
  const std::string inputs[] = {text, std::string(100000, 'a'), std::string(100000, ' ')};
  for (const char* vocab : {"vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
                            "vocab/ggml-vocab-falcon.gguf", "vocab/ggml-vocab-starcoder.gguf"}) {
    const auto tokenizer = testing::load_tokenizer(rocmforge::testing::data_path(vocab));
    ASSERT_TRUE(tokenizer);
    for (const std::string& input : inputs) {
      const auto start = std::chrono::steady_clock::now();
      auto ids = tokenizer->encode(input, true, true);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      ASSERT_TRUE(ids) << ids.error().to_string();
      EXPECT_EQ(tokenizer->decode_pieces(*ids, true, false), input);
      EXPECT_LT(ms, 2000.0) << vocab << ", " << input.size() << " bytes";  // ~60 ms in Release
      std::printf("%s: encode of %zu bytes: %zu tokens in %.1f ms\n", vocab, input.size(), ids->size(), ms);
    }
  }
}

}  // namespace
}  // namespace rocmforge::tokenizer
