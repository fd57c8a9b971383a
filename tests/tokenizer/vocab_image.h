// Small vocabularies written as GGUF images in memory, for tests that need a
// vocabulary of a particular shape or one with hostile metadata.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::tokenizer::testing {

struct TokenSpec {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
};

// <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then `extra`: the
// layout of a SentencePiece vocabulary with byte fallback.
std::vector<TokenSpec> spm_tokens(const std::vector<TokenSpec>& extra);

// A writer holding tokenizer.ggml.model "llama" and the tokens, scores and
// types of `tokens`; tests add or replace keys on it.
gguf::GgufWriter vocab_writer(const std::vector<TokenSpec>& tokens);

// GPT-2's byte alphabet in byte order (so byte b is token b: 'a' is 97, the
// space 'Ġ' is 32), then `extra`.
std::vector<TokenSpec> byte_level_tokens(const std::vector<TokenSpec>& extra);

// A "gpt2" vocabulary of `tokens`, with tokenizer.ggml.merges `merges` and
// tokenizer.ggml.pre `pre` (none when empty).
gguf::GgufWriter bpe_writer(const std::vector<TokenSpec>& tokens, std::vector<std::string> merges,
                            const std::string& pre);

Result<Vocab> read_vocab(const gguf::GgufWriter& writer);
Result<std::unique_ptr<Tokenizer>> read_tokenizer(const gguf::GgufWriter& writer);

}  // namespace rocmforge::tokenizer::testing
