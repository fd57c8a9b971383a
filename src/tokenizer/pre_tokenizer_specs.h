// The pre-tokenizers of byte-level BPE vocabularies, named by
// tokenizer.ggml.pre: for each name, the list of regular expressions that
// split text into words before BPE (applied one after another, each to the
// pieces the previous one left, keeping matches and the text between them as
// pieces), and the tokenizer flags llama.cpp ties to the name.
//
// The expressions are llama.cpp's (llm_tokenizer_bpe), character for
// character; pre_tokenizer.cpp says how they are given to PCRE2.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "rocmforge/error.h"

namespace rocmforge::tokenizer {

struct PreTokenizerSpec {
  std::string_view name;
  std::span<const std::string_view> patterns;
  // A word that is a token as a whole becomes that token without merging.
  bool ignore_merges = false;
  // decode() applies llama.cpp's clean-up of spaces before punctuation.
  bool clean_spaces = true;
  // The default of tokenizer.ggml.add_bos_token when the file has none.
  bool add_bos = false;
  // No default BOS id (tokenizer.ggml.bos_token_id may still set one).
  bool no_default_bos = false;
};

// The name tokenizer.ggml.pre means when a file has none, as llama.cpp.
constexpr std::string_view kDefaultPreTokenizer = "default";

// kUnsupported for an unknown name; the message lists the known ones.
Result<const PreTokenizerSpec*> find_pre_tokenizer(std::string_view name);

// Every known name, in table order.
std::span<const PreTokenizerSpec> pre_tokenizer_specs();

}  // namespace rocmforge::tokenizer
