#include "tokenizer/incremental_detokenizer.h"

#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, Options options)
    : tokenizer_(&tokenizer), options_(options), at_start_(!options.continues_text) {}

std::string IncrementalDetokenizer::push(TokenId id) {
  // decode() of a single token applies the start-of-text rule (the dropped
  // leading space) exactly as decode() of the whole sequence does.
  pending_ += at_start_ ? tokenizer_->decode({&id, 1}, false, options_.render_special)
                        : tokenizer_->token_to_piece(id, options_.render_special);
  at_start_ = false;
  std::string text;
  pending_.erase(0, append_valid_utf8(pending_, false, text));
  return text;
}

std::string IncrementalDetokenizer::flush() {
  std::string text = sanitize_utf8(pending_);
  pending_.clear();
  return text;
}

}  // namespace rocmforge::tokenizer
