#include "tokenizer/incremental_detokenizer.h"

#include "tokenizer/clean_spaces.h"
#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, Options options)
    : tokenizer_(&tokenizer), options_(options), at_start_(!options.continues_text) {}

std::string IncrementalDetokenizer::push(TokenId id) {
  // decode_pieces() of a single token applies the start-of-text rule (the
  // dropped leading space) exactly as decode() of the whole sequence does.
  const std::string piece = at_start_ ? tokenizer_->decode_pieces({&id, 1}, false, options_.render_special)
                                      : tokenizer_->token_to_piece(id, options_.render_special);
  at_start_ = false;
  if (!tokenizer_->vocab().clean_spaces()) {
    pending_ += piece;
  } else {
    uncleaned_ += piece;
    const size_t cut = last_clean_cut(uncleaned_, no_cut_before_ + 1);
    if (cut > 0) {
      pending_ += clean_up_spaces(std::string_view(uncleaned_).substr(0, cut));
      uncleaned_.erase(0, cut);
    }
    no_cut_before_ = uncleaned_.size();
  }
  std::string text;
  pending_.erase(0, append_valid_utf8(pending_, false, text));
  return text;
}

std::string IncrementalDetokenizer::flush() {
  pending_ += clean_up_spaces(uncleaned_);
  uncleaned_.clear();
  no_cut_before_ = 0;
  std::string text = sanitize_utf8(pending_);
  pending_.clear();
  return text;
}

}  // namespace rocmforge::tokenizer
