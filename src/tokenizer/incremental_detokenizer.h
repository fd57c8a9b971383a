// Turns generated tokens into text as they arrive, for streaming to a
// terminal or an HTTP client. A character may be spread over several byte
// tokens (an emoji is often four), so bytes are held back until the
// character is whole: what push() returns is always valid UTF-8.
//
// Everything push() and flush() return, concatenated, is
// sanitize_utf8(decode(ids, false, render_special)) of all the ids pushed:
// exactly decode() whenever that is valid UTF-8, and otherwise the same text
// with each ill-formed sequence shown as U+FFFD. Where decode() cleans up
// spaces (clean_spaces.h), text is also held back until the clean-up of what
// follows cannot change it (at most until three bytes after the last space
// or apostrophe).
#pragma once

#include <string>

#include "tokenizer/tokenizer.h"

namespace rocmforge::tokenizer {

class IncrementalDetokenizer {
 public:
  struct Options {
    bool render_special = false;  // as decode()'s unparse_special
    // The tokens continue a text (a prompt) instead of starting one: the
    // first token's leading space is then kept.
    bool continues_text = false;
  };

  // `tokenizer` must outlive this object.
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer, Options options);
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer) : IncrementalDetokenizer(tokenizer, Options{}) {}

  // The text completed by this token (possibly empty).
  std::string push(TokenId id);
  // The end of the stream: an incomplete character still held back comes out
  // as U+FFFD.
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  Options options_;
  bool at_start_;
  std::string uncleaned_;     // decoded text whose space clean-up may still change
  size_t no_cut_before_ = 0;  // uncleaned_ has no clean cut at or below this size
  std::string pending_;       // bytes of an incomplete character
};

}  // namespace rocmforge::tokenizer
