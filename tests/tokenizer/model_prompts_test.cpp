// Prompt ids and detokenized text that llama.cpp produced for the repository's
// models (tests/data/refs), reproduced with their own vocabularies.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "testing/test_paths.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer_fixtures.h"

namespace rocmforge::tokenizer {
namespace {

using rocmforge::testing::data_path;
using rocmforge::testing::source_path;
using testing::load_tokenizer;

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class Stories260K : public ::testing::Test {
 protected:
  void SetUp() override {
    tokenizer_ = load_tokenizer(source_path("models/stories260K.gguf"));
    ASSERT_TRUE(tokenizer_);
    refs_ = nlohmann::json::parse(testing::read_file(data_path("refs/stories260K-greedy.llamacpp.json")));
    ASSERT_EQ(refs_["results"].size(), 3u);
  }
  std::unique_ptr<Tokenizer> tokenizer_;
  nlohmann::json refs_;
};

TEST_F(Stories260K, VocabularyFacts) {
  const Vocab& vocab = tokenizer_->vocab();
  EXPECT_EQ(vocab.n_tokens(), 512);
  EXPECT_EQ(vocab.special().bos, 1);
  EXPECT_EQ(vocab.special().eos, 2);
  EXPECT_EQ(vocab.special().unk, 0);
  // The file's separator and padding ids are 0xFFFFFFFF: no such token.
  EXPECT_FALSE(vocab.special().sep);
  EXPECT_FALSE(vocab.special().pad);
  EXPECT_TRUE(vocab.add_bos());
  EXPECT_FALSE(vocab.add_eos());
  EXPECT_TRUE(vocab.add_space_prefix());
  EXPECT_EQ(vocab.eog_ids(), std::vector<TokenId>{2});
  EXPECT_TRUE(tokenizer_->is_eog(2));
  EXPECT_FALSE(tokenizer_->is_eog(1));
}

TEST_F(Stories260K, PromptIdsMatchLlamaCpp) {
  EXPECT_EQ(*tokenizer_->encode("Once upon a time", true, false), (std::vector<TokenId>{1, 403, 407, 261, 378}));
  for (const auto& result : refs_["results"]) {
    const auto prompt = result["prompt"].get<std::string>();
    auto ids = tokenizer_->encode(prompt, true, true);
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, result["prompt_ids"].get<std::vector<TokenId>>()) << prompt;
  }
}

TEST_F(Stories260K, GeneratedPiecesAreTheVocabularyTexts) {
  for (const auto& result : refs_["results"]) {
    const auto ids = result["generated_ids"].get<std::vector<TokenId>>();
    const auto pieces = result["generated_pieces"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), pieces.size());
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(tokenizer_->vocab().token(ids[i]).text, pieces[i]);
  }
}

// "text" is the continuation detokenized with the prompt as context,
// "full_text" prompt and continuation together.
TEST_F(Stories260K, DetokenizedTextMatchesLlamaCpp) {
  for (const auto& result : refs_["results"]) {
    const auto prompt_ids = result["prompt_ids"].get<std::vector<TokenId>>();
    const auto generated = result["generated_ids"].get<std::vector<TokenId>>();
    const auto text = result["text"].get<std::string>();
    const std::vector<TokenId> all = concat(prompt_ids, generated);

    const std::string prompt_text = tokenizer_->decode(prompt_ids, false, false);
    EXPECT_EQ(tokenizer_->decode(all, false, false), prompt_text + text);
    // Without BOS the first token starts the text and loses its space.
    const std::vector<TokenId> without_bos(all.begin() + 1, all.end());
    EXPECT_EQ(tokenizer_->decode(without_bos, false, false), result["full_text"].get<std::string>());

    IncrementalDetokenizer stream(*tokenizer_, {.render_special = false, .continues_text = true});
    std::string streamed;
    for (TokenId id : generated) streamed += stream.push(id);
    streamed += stream.flush();
    EXPECT_EQ(streamed, text);
  }
}

// llama.cpp keeps the space of the first token when it removes a BOS before it.
TEST_F(Stories260K, DecodeOfBosAndSpecials) {
  const std::vector<TokenId> ids{1, 403, 407};
  EXPECT_EQ(tokenizer_->decode(ids, false, false), " Once upon");
  EXPECT_EQ(tokenizer_->decode(ids, true, false), " Once upon");
  EXPECT_EQ(tokenizer_->decode(ids, false, true), "<s> Once upon");
  const std::vector<TokenId> no_bos{403, 407, 2};
  EXPECT_EQ(tokenizer_->decode(no_bos, false, false), "Once upon");
  EXPECT_EQ(tokenizer_->decode(no_bos, false, true), "Once upon</s>");
  // remove_special drops EOS only when the vocabulary adds it, which this one does not.
  EXPECT_EQ(tokenizer_->decode(no_bos, true, true), "Once upon</s>");
}

TEST_F(Stories260K, ParseSpecialMatchesControlTokensInText) {
  EXPECT_EQ(*tokenizer_->encode("<s>Once", false, true), (std::vector<TokenId>{1, 403}));
  auto literal = tokenizer_->encode("<s>Once", false, false);
  ASSERT_TRUE(literal);
  EXPECT_EQ(std::count(literal->begin(), literal->end(), 1), 0);
  EXPECT_EQ(tokenizer_->decode(*literal, false, false), "<s>Once");
}

// refs/quant-tiny.jsonl: the synthetic vocabulary has '▁tokN' tokens but no
// pieces to merge into them, so SPM spells the prompt in bytes.
TEST(QuantTiny, PromptIdsMatchLlamaCpp) {
  const auto tokenizer = load_tokenizer(data_path("models/quant/tiny-f32.gguf"));
  ASSERT_TRUE(tokenizer);
  std::ifstream lines(data_path("refs/quant-tiny.jsonl"));
  size_t n_lines = 0;
  for (std::string line; std::getline(lines, line); ++n_lines) {
    const auto ref = nlohmann::json::parse(line);
    auto ids = tokenizer->encode(ref["prompt"].get<std::string>(), true, false);
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, ref["prompt_ids"].get<std::vector<TokenId>>()) << ref["model"];
  }
  EXPECT_EQ(n_lines, 16u);
  const std::vector<TokenId> ids{1, 229, 153, 132, 119, 114, 110, 52, 51, 51};
  // The space marker went out as three byte tokens, and byte tokens decode to
  // their bytes: llama.cpp gives back U+2581 here, not a space.
  EXPECT_EQ(tokenizer->decode(ids, false, false), "\xE2\x96\x81tok100");
}

// Phi-3's chat markup: control tokens that end generation by their text, and
// (by the model's name) swallow the whitespace after them.
TEST(Phi3, ChatMarkup) {
  const auto tokenizer = load_tokenizer(data_path("vocab/ggml-vocab-phi-3.gguf"));
  ASSERT_TRUE(tokenizer);
  const Vocab& vocab = tokenizer->vocab();
  EXPECT_EQ(vocab.special().eos, 32000);  // <|endoftext|>
  EXPECT_EQ(vocab.special().eot, 32007);  // <|end|>
  EXPECT_EQ(vocab.special().pad, 32000);
  // </s> is user-defined in this file; its text makes it control and EOG.
  EXPECT_EQ(vocab.eog_ids(), (std::vector<TokenId>{2, 32000, 32007}));
  EXPECT_EQ(vocab.token(2).type, TokenType::kControl);
  EXPECT_TRUE(vocab.token(32010).rstrip);
  EXPECT_FALSE(vocab.token(32000).rstrip);

  auto ids = tokenizer->encode("<|user|>\nHello<|end|>\n<|assistant|>", true, true);
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<TokenId>{1, 32010, 15043, 32007, 32001}));
  EXPECT_EQ(tokenizer->decode(*ids, false, true), "<s><|user|> Hello<|end|><|assistant|>");
  EXPECT_EQ(tokenizer->decode(*ids, false, false), " Hello");
  // The [PAD...] filler tokens are of the unknown type: matched only as specials.
  EXPECT_EQ(*tokenizer->encode("[PAD32011]", false, true), std::vector<TokenId>{32011});
}

}  // namespace
}  // namespace rocmforge::tokenizer
