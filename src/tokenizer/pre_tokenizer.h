// Splits text into the words byte-level BPE merges within, with a
// pre-tokenizer's regular expressions (pre_tokenizer_specs.h), as llama.cpp's
// unicode_regex_split does: each expression splits every piece the previous
// one left into its matches and the text between them.
//
// The expressions run in PCRE2 (UTF, Unicode properties, JIT-compiled once).
// llama.cpp runs them in std::regex over a rewritten text, or in hand-written
// splitters for the common ones; translate_pattern() rewrites an expression
// so that PCRE2 gives llama.cpp's pieces, not its own reading of it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rocmforge/error.h"

struct pcre2_real_code_8;

namespace rocmforge::tokenizer {

// The PCRE2 expression for one of llama.cpp's:
// - \s and \S mean llama.cpp's whitespace (Unicode White_Space, which has
//   U+0085; PCRE2's \s does not);
// - a character class's literal members lose the non-ASCII whitespace they
//   include (llama.cpp replaces non-ASCII whitespace by U+000B before
//   matching, so a range like U+0800-U+4E00 does not reach U+3000);
// - "((?=[\p{L}])([^a-z]))" becomes "[^\P{L}a-z]" (and likewise for A-Z):
//   the same characters, without a backtracking group per letter;
// - "\s+$" becomes "(?<!\s)\s+$": the same match, found in linear time.
// kInternal for a construct these rules do not cover (\S inside a class, a
// non-ASCII character outside one).
Result<std::string> translate_pattern(std::string_view pattern);

class PreTokenizer {
 public:
  // kInternal when an expression does not compile.
  static Result<PreTokenizer> create(std::span<const std::string_view> patterns);

  struct Words {
    // The input as llama.cpp reads it: decode_utf8_lenient() written back as
    // UTF-8 (each ill-formed byte became U+FFFD).
    std::string text;
    std::vector<size_t> ends;  // word i is text[ends[i - 1] (0 for i == 0), ends[i])

    size_t size() const { return ends.size(); }
    std::string_view word(size_t i) const {
      const size_t begin = i == 0 ? 0 : ends[i - 1];
      return std::string_view(text).substr(begin, ends[i] - begin);
    }
  };

  // Safe to call from several threads at once. kInvalidArgument when PCRE2
  // gives up on the text (its match limits).
  Result<Words> split(std::string_view text) const;

 private:
  struct CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
  };
  using Code = std::unique_ptr<pcre2_real_code_8, CodeDeleter>;

  explicit PreTokenizer(std::vector<Code> codes) : codes_(std::move(codes)) {}

  std::vector<Code> codes_;
};

}  // namespace rocmforge::tokenizer
