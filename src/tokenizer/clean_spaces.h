// llama.cpp's clean_up_tokenization_spaces (the end of
// llama_vocab::impl::detokenize), which decode() applies for BPE and
// WordPiece vocabularies: in three passes over the text, in order,
//   1. a space before '?', '!', '.' or ',' goes;
//   2. " ' " becomes "'";
//   3. a space before "'s", "'m", "'re" or "'ve" goes (not before "'t", "'d" or "'ll").
#pragma once

#include <string>
#include <string_view>

namespace rocmforge::tokenizer {

std::string clean_up_spaces(std::string_view text);

// Where a text may be cut so that cleaning the two parts apart gives the
// same as cleaning it whole: after three bytes that are neither a space nor
// an apostrophe (no pass looks further across the cut, nor changes them).
// Returns the largest such cut at or after `from` (a byte count of `text`),
// or 0 when there is none.
size_t last_clean_cut(std::string_view text, size_t from);

}  // namespace rocmforge::tokenizer
