// Splits raw text around the special tokens written in it, before any model
// tokenizes the pieces in between (llama.cpp's tokenizer_st_partition).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace rocmforge::tokenizer {

// Either a run of raw text (token empty) or one special token.
struct Fragment {
  std::string_view text;
  std::optional<TokenId> token;
};

// User-defined tokens are always matched; control and unknown tokens only
// when parse_special. Longer tokens are matched first, each left to right;
// a token's lstrip/rstrip flags drop the whitespace beside it. The fragments
// view `text`, which must outlive them. Empty text gives no fragments.
std::vector<Fragment> partition_special_tokens(const Vocab& vocab, std::string_view text, bool parse_special);

}  // namespace rocmforge::tokenizer
