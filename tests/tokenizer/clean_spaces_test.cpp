// llama.cpp's clean-up of spaces at decode, and where a text may be cut so
// that cleaning its parts apart gives the same.
#include "tokenizer/clean_spaces.h"

#include <gtest/gtest.h>

#include <string>

namespace rocmforge::tokenizer {
namespace {

TEST(CleanSpaces, SpaceBeforeSentencePunctuationGoes) {
  EXPECT_EQ(clean_up_spaces("Hello , world ! Why ? End ."), "Hello, world! Why? End.");
  EXPECT_EQ(clean_up_spaces(" ,x"), ",x");
  EXPECT_EQ(clean_up_spaces("a  ."), "a .");  // one space per mark
  EXPECT_EQ(clean_up_spaces("a ; b"), "a ; b");
}

TEST(CleanSpaces, LoneApostropheLosesBothSpaces) {
  EXPECT_EQ(clean_up_spaces("rock ' n roll"), "rock'n roll");
  // The space after a cleaned apostrophe no longer counts as a space.
  EXPECT_EQ(clean_up_spaces(" ' ' '"), "'' '");
}

TEST(CleanSpaces, ContractionsKeepTheirOwnRules) {
  EXPECT_EQ(clean_up_spaces("it 's I 'm we 're you 've"), "it's I'm we're you've");
  EXPECT_EQ(clean_up_spaces("don 't I 'd we 'll"), "don 't I 'd we 'll");
  EXPECT_EQ(clean_up_spaces("x 'r"), "x 'r");
  EXPECT_EQ(clean_up_spaces(""), "");
  EXPECT_EQ(clean_up_spaces(" "), " ");
}

// Every cut last_clean_cut() allows keeps the clean-up of the whole, over
// every string of up to 7 characters from an alphabet that exercises each rule.
TEST(CleanSpaces, CutsAreSafe) {
  const std::string alphabet = " 'sre.a";
  size_t n_checked = 0;
  std::string text;
  const auto visit = [&](auto&& self, size_t depth) -> void {
    for (size_t cut = last_clean_cut(text, 1); cut > 0; cut = last_clean_cut(text.substr(0, cut - 1), 1)) {
      ASSERT_EQ(clean_up_spaces(text.substr(0, cut)) + clean_up_spaces(text.substr(cut)), clean_up_spaces(text))
          << "'" << text << "' cut at " << cut;
      ++n_checked;
    }
    if (depth == 7) return;
    for (char c : alphabet) {
      text.push_back(c);
      self(self, depth + 1);
      text.pop_back();
    }
  };
  visit(visit, 0);
  EXPECT_GT(n_checked, 100000u);
}

TEST(CleanSpaces, CutsNeedThreeQuietBytes) {
  EXPECT_EQ(last_clean_cut("abc", 1), 3u);
  EXPECT_EQ(last_clean_cut("ab", 1), 0u);
  EXPECT_EQ(last_clean_cut("abc d", 1), 3u);
  EXPECT_EQ(last_clean_cut("abc'def", 1), 7u);
  EXPECT_EQ(last_clean_cut("abc'de", 1), 3u);
  EXPECT_EQ(last_clean_cut("abc'de", 4), 0u);
}

}  // namespace
}  // namespace rocmforge::tokenizer
