// The merge loop SentencePiece and byte-level BPE share (llama.cpp's
// llm_tokenizer_spm_session and llm_tokenizer_bpe_session): the text starts
// as one symbol per UTF-8 character; the best-ranked pair of neighbouring
// symbols is merged, again and again, until no pair has a rank. The models
// differ only in how a pair is ranked.
#pragma once

#include <algorithm>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {

// Reused between calls to avoid allocating per word.
class SymbolMerger {
 public:
  // Splits `text` into symbols and merges them; `rank(left, right)` gives a
  // pair's rank (lower merges first; ties go to the leftmost pair), or
  // nullopt when the pair does not merge. Returns the final symbols, which
  // view `text`.
  template <class Rank>
  const std::vector<std::string_view>& merge(std::string_view text, Rank rank);

 private:
  // A piece of the text in a doubly linked list over symbols_; a symbol
  // merged into its left neighbour keeps n_bytes == 0.
  struct Symbol {
    int prev = -1;
    int next = -1;
    size_t offset = 0;
    size_t n_bytes = 0;
  };
  struct Pair {
    double rank = 0.0;
    int left = 0;
    int right = 0;
    size_t n_bytes = 0;  // of the merged piece, to recognise stale entries
  };
  // Lowest rank first, then leftmost. Two live pairs never compare equal
  // (equal left means equal right), so the heap's tie-breaking is moot.
  struct PairOrder {
    bool operator()(const Pair& a, const Pair& b) const {
      return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
  };

  std::vector<Symbol> symbols_;
  std::vector<Pair> heap_;
  std::vector<std::string_view> result_;
};

template <class Rank>
const std::vector<std::string_view>& SymbolMerger::merge(std::string_view text, Rank rank) {
  symbols_.clear();
  heap_.clear();
  result_.clear();
  for (size_t offset = 0; offset < text.size();) {
    const size_t n_bytes = std::min(utf8_sequence_length(static_cast<uint8_t>(text[offset])), text.size() - offset);
    const int index = static_cast<int>(symbols_.size());
    symbols_.push_back({index - 1, offset + n_bytes == text.size() ? -1 : index + 1, offset, n_bytes});
    offset += n_bytes;
  }
  const auto symbol_text = [&](int i) {
    const Symbol& s = symbols_[static_cast<size_t>(i)];
    return text.substr(s.offset, s.n_bytes);
  };
  const auto try_add_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view left_text = symbol_text(left);
    const std::string_view right_text = symbol_text(right);
    if (const std::optional<double> r = rank(left_text, right_text)) {
      heap_.push_back({*r, left, right, left_text.size() + right_text.size()});
      std::push_heap(heap_.begin(), heap_.end(), PairOrder{});
    }
  };
  for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) try_add_pair(i - 1, i);

  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), PairOrder{});
    const Pair pair = heap_.back();
    heap_.pop_back();
    Symbol& left = symbols_[static_cast<size_t>(pair.left)];
    Symbol& right = symbols_[static_cast<size_t>(pair.right)];
    if (left.n_bytes == 0 || right.n_bytes == 0 || left.n_bytes + right.n_bytes != pair.n_bytes) continue;
    left.n_bytes += right.n_bytes;
    right.n_bytes = 0;
    left.next = right.next;
    if (right.next >= 0) symbols_[static_cast<size_t>(right.next)].prev = pair.left;
    try_add_pair(left.prev, pair.left);
    try_add_pair(pair.left, left.next);
  }
  for (int i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[static_cast<size_t>(i)].next) {
    result_.push_back(symbol_text(i));
  }
  return result_;
}

}  // namespace rocmforge::tokenizer
