#include "tokenizer/special_partition.h"

namespace rocmforge::tokenizer {
namespace {

// C's isspace in the "C" locale, which llama.cpp's strip flags use.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

void split_at_token(std::string_view text, TokenId id, const TokenData& token, std::vector<Fragment>& out) {
  while (true) {
    const size_t match = text.find(token.text);
    if (match == std::string_view::npos) {
      if (!text.empty()) out.push_back({text, std::nullopt});
      return;
    }
    std::string_view left = text.substr(0, match);
    if (token.lstrip) {
      while (!left.empty() && is_space(left.back())) left.remove_suffix(1);
    }
    if (!left.empty()) out.push_back({left, std::nullopt});
    out.push_back({{}, id});
    text.remove_prefix(match + token.text.size());
    if (token.rstrip) {
      while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    }
  }
}

}  // namespace

std::vector<Fragment> partition_special_tokens(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({text, std::nullopt});
  std::vector<Fragment> next;
  for (TokenId id : vocab.special_token_ids()) {
    const TokenData& token = vocab.token(id);
    if (!parse_special && (token.type == TokenType::kControl || token.type == TokenType::kUnknown)) continue;
    next.clear();
    for (const Fragment& fragment : fragments) {
      if (fragment.token) {
        next.push_back(fragment);
      } else {
        split_at_token(fragment.text, id, token, next);
      }
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace rocmforge::tokenizer
