#include "tokenizer/clean_spaces.h"

namespace rocmforge::tokenizer {
namespace {

bool is_sentence_punctuation(char c) { return c == '?' || c == '!' || c == '.' || c == ','; }

std::string drop_space_before_punctuation(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && text[i - 1] == ' ' && is_sentence_punctuation(text[i])) out.pop_back();
    out.push_back(text[i]);
  }
  return out;
}

std::string drop_spaces_around_lone_apostrophe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char prev = '\0';  // llama.cpp blanks a dropped following space, so it is no longer a space
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'' && prev == ' ' && i + 1 < text.size() && text[i + 1] == ' ') {
      out.back() = c;
      ++i;
      prev = '\0';
      continue;
    }
    out.push_back(c);
    prev = c;
  }
  return out;
}

std::string drop_space_before_contraction(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && text[i - 1] == ' ' && text[i] == '\'' && i + 1 < text.size()) {
      const char next = text[i + 1];
      const bool two_letters = i + 2 < text.size() && (next == 'r' || next == 'v') && text[i + 2] == 'e';
      if (next == 's' || next == 'm' || two_letters) out.pop_back();
    }
    out.push_back(text[i]);
  }
  return out;
}

bool is_sensitive(char c) { return c == ' ' || c == '\''; }

}  // namespace

std::string clean_up_spaces(std::string_view text) {
  return drop_space_before_contraction(drop_spaces_around_lone_apostrophe(drop_space_before_punctuation(text)));
}

size_t last_clean_cut(std::string_view text, size_t from) {
  size_t cut = text.size();
  while (cut >= 3 && cut >= from) {
    size_t blocker = cut;  // the last sensitive byte of the three before the cut
    for (size_t i = cut - 3; i < cut; ++i) {
      if (is_sensitive(text[i])) blocker = i;
    }
    if (blocker == cut) return cut;
    cut = blocker;
  }
  return 0;
}

}  // namespace rocmforge::tokenizer
