// Pre-tokenizers on their own: the words each splits text into, before BPE.
//
// Llama 3's and Qwen 2's vocabularies are too large to ship, so their
// expressions are tested here, alternative by alternative. Each expected
// split was derived by hand from the expression (leftmost alternative that
// matches, greedy, with backtracking; unmatched text between matches is a
// word of its own), and every one was checked against llama.cpp's own
// unicode_regex_split (src/unicode.cpp at 80fb11a, built outside this
// repository), which agreed on all of them.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tokenizer/pre_tokenizer_specs.h"

namespace rocmforge::tokenizer {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view name, std::string_view text) {
  auto spec = find_pre_tokenizer(name);
  EXPECT_TRUE(spec) << spec.error().to_string();
  if (!spec) return {};
  auto pre = PreTokenizer::create((*spec)->patterns);
  EXPECT_TRUE(pre) << pre.error().to_string();
  if (!pre) return {};
  auto words = pre->split(text);
  EXPECT_TRUE(words) << words.error().to_string();
  if (!words) return {};
  Words out;
  for (size_t i = 0; i < words->size(); ++i) out.emplace_back(words->word(i));
  return out;
}

// (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
TEST(PreTokenizerLlama3, ContractionsInBothCasesAreWordsOfTheirOwn) {
  EXPECT_EQ(split("llama-bpe", "I'm you'RE he's SHE'S we've they'D it'll WE'LL don't CAN'T"),
            (Words{"I",     "'m", " you", "'RE", " he", "'s",  " SHE", "'S", " we",  "'ve",
                   " they", "'D", " it",  "'ll", " WE", "'LL", " don", "'t", " CAN", "'T"}));
  // Not a contraction: the apostrophe leads the letters.
  EXPECT_EQ(split("llama-bpe", "'x"), (Words{"'x"}));
}

TEST(PreTokenizerLlama3, NumbersGoInGroupsOfUpToThree) {
  EXPECT_EQ(split("llama-bpe", "1234567 12 1"), (Words{"123", "456", "7", " ", "12", " ", "1"}));
  EXPECT_EQ(split("llama-bpe", "3D"), (Words{"3", "D"}));
}

TEST(PreTokenizerLlama3, LettersOfAnyScriptRunTogether) {
  EXPECT_EQ(split("llama-bpe", "我想在apple工作1314151天～"),
            (Words{"我想在apple工作", "131", "415", "1", "天", "～"}));
}

TEST(PreTokenizerLlama3, PunctuationRunsTakeALeadingSpaceAndTrailingNewlines) {
  EXPECT_EQ(split("llama-bpe", "Hello!!! ...\n\nnext"), (Words{"Hello", "!!!", " ...\n\n", "next"}));
  EXPECT_EQ(split("llama-bpe", ".Net $x"), (Words{".Net", " $", "x"}));
}

TEST(PreTokenizerLlama3, NewlinesAndTrailingSpaces) {
  EXPECT_EQ(split("llama-bpe", "a  \n\n  b   "), (Words{"a", "  \n\n", " ", " b", "   "}));
  EXPECT_EQ(split("llama-bpe", "\nword"), (Words{"\n", "word"}));
  EXPECT_EQ(split("llama-bpe", "Hello world\r\n\r\nbye"), (Words{"Hello", " world", "\r\n\r\n", "bye"}));
}

TEST(PreTokenizerLlama3, OneSpaceOrTabLeadsTheWordAfterIt) {
  EXPECT_EQ(split("llama-bpe", "   Hello"), (Words{"  ", " Hello"}));
  EXPECT_EQ(split("llama-bpe", "\tword"), (Words{"\tword"}));
}

TEST(PreTokenizerLlama3, EmojiAreSymbols) {
  EXPECT_EQ(split("llama-bpe", "🦙🦙 hi 😁!"), (Words{"🦙🦙", " hi", " 😁!"}));
  EXPECT_EQ(split("llama-bpe", "😶\u200D🌫️"), (Words{"😶\u200D🌫️"}));  // one ZWJ sequence
}

TEST(PreTokenizerLlama3, EveryNameOfTheListSplitsAlike) {
  const std::string text = "I'm you'RE 1234 \n\n x";
  const Words expected = split("llama-bpe", text);
  for (const char* name : {"llama3", "llama-v3", "falcon3", "pixtral", "dbrx", "smaug-bpe", "glm4", "chatglm-bpe"}) {
    EXPECT_EQ(split(name, text), expected) << name;
  }
}

// Qwen 2: Llama 3's expression with single digits.
TEST(PreTokenizerQwen2, DigitsOneByOne) {
  EXPECT_EQ(split("qwen2", "1234 56"), (Words{"1", "2", "3", "4", " ", "5", "6"}));
  EXPECT_EQ(split("qwen2", "I'm you'RE"), (Words{"I", "'m", " you", "'RE"}));
  EXPECT_EQ(split("deepseek-r1-qwen", "1234 56"), split("qwen2", "1234 56"));
}

// GPT-4o as llama.cpp adapted it: an upper-case run, then a lower-case run,
// where "upper" is any letter but a-z and "lower" any letter but A-Z.
TEST(PreTokenizerGpt4o, CaseRunsAndContractionsStayWithTheirWord) {
  EXPECT_EQ(split("gpt-4o", "HelloWorld"), (Words{"Hello", "World"}));
  EXPECT_EQ(split("gpt-4o", "CamelCASE"), (Words{"Camel", "CASE"}));
  EXPECT_EQ(split("gpt-4o", "don't DON'T"), (Words{"don't", " DON'T"}));
  EXPECT_EQ(split("gpt-4o", "12345"), (Words{"123", "45"}));
  EXPECT_EQ(split("gpt-4o", "a/b\n//\n"), (Words{"a", "/b", "\n", "//\n"}));
  // 'É' is "upper" and "lower" at once: the first alternative takes it alone.
  EXPECT_EQ(split("gpt-4o", "ÉCOLE école"), (Words{"É", "COLE", " école"}));
}

TEST(PreTokenizerTekken, SingleDigitsAndNoContractions) {
  EXPECT_EQ(split("tekken", "don't"), (Words{"don", "'t"}));
  EXPECT_EQ(split("tekken", "12345"), (Words{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(split("tekken", "ÉCOLE école"), (Words{"É", "COLE", " école"}));
}

TEST(PreTokenizerGpt2, ContractionsAreLowerCaseOnly) {
  EXPECT_EQ(split("gpt-2", "I'M 'll  x\n\ny"), (Words{"I", "'", "M", " '", "ll", " ", " x", "\n", "\n", "y"}));
}

// Lists of several expressions: each splits what the previous one left.
TEST(PreTokenizerLists, EachExpressionSplitsThePiecesOfThePrevious) {
  EXPECT_EQ(split("default", "a+b=1234567!"), (Words{"a", "+", "b", "=", "123", "456", "7", "!"}));
  EXPECT_EQ(split("falcon", "x`y 12345"), (Words{"x", "`", "y", " ", "123", "45"}));
  EXPECT_EQ(split("starcoder", "v2 = 10"), (Words{"v", "2", " =", " ", "1", "0"}));
  EXPECT_EQ(split("deepseek-coder", "int x=10;\n"), (Words{"int", " x", "=", "1", "0", ";", "\n"}));
  EXPECT_EQ(split("deepseek-llm", "Hello, 世界 123\n"), (Words{"Hello", ",", " ", "世界", " ", "123", "\n"}));
  EXPECT_EQ(split("deepseek-llm", "x  \n"), (Words{"x", "  ", "\n"}));
}

// llama.cpp hides non-ASCII whitespace from the characters a class lists:
// U+3000 lies in deepseek's range U+0800-U+4E00 but is not matched by it.
TEST(PreTokenizerLists, ClassRangesDoNotMatchWideWhitespace) {
  EXPECT_EQ(split("deepseek-llm", "中\u3000文"), (Words{"中", "\u3000", "文"}));
  EXPECT_EQ(split("deepseek-coder", "\u200D\u1680"), (Words{"\u200D", "\u1680"}));
}

TEST(PreTokenizer, IllFormedBytesAreReadAsLlamaCppReadsThem) {
  // Each stray byte is U+FFFD; an overlong NUL is a NUL; a surrogate's bytes
  // are one (symbol-like) character; a sequence past U+10FFFF is U+FFFD
  // per byte (llama.cpp throws there).
  EXPECT_EQ(split("llama-bpe", "a\xFF\xC3"), (Words{"a", "\uFFFD\uFFFD"}));
  EXPECT_EQ(split("llama-bpe", "x\xC0\x80y"), (Words{"x", std::string("\0y", 2)}));
  EXPECT_EQ(split("llama-bpe", "\xED\xA0\x80z"), (Words{"\xED\xA0\x80z"}));
  EXPECT_EQ(split("llama-bpe", "\xF7\xBF\xBF\xBF"), (Words{"\uFFFD\uFFFD\uFFFD\uFFFD"}));
  EXPECT_EQ(split("gpt-2", std::string("\0\0 a", 4)), (Words{std::string("\0\0", 2), " a"}));
}

TEST(PreTokenizer, EmptyTextHasNoWords) { EXPECT_TRUE(split("llama-bpe", "").empty()); }

TEST(PreTokenizer, TranslationRules) {
  const auto whitespace = std::string("[\\x{09}-\\x{0D} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}") +
                          "\\x{202F}\\x{205F}\\x{3000}]";
  EXPECT_EQ(*translate_pattern("\\s+"), whitespace + "+");
  EXPECT_EQ(*translate_pattern("(?!\\S)"), "(?!" + whitespace.substr(0, 1) + "^" + whitespace.substr(1) + ")");
  EXPECT_EQ(*translate_pattern("((?=[\\p{L}])([^a-z]))*"), "[^\\P{L}a-z]*");
  EXPECT_EQ(*translate_pattern("[\u3000-\u3002]"), "[\\x{3001}-\\x{3002}]");
  EXPECT_EQ(*translate_pattern("[!-/]"), "[!-/]");
  EXPECT_FALSE(translate_pattern("[\\S]"));
}

TEST(PreTokenizerSpecs, EveryNameCompilesAndUnknownNamesAreListed) {
  for (const PreTokenizerSpec& spec : pre_tokenizer_specs()) {
    EXPECT_TRUE(PreTokenizer::create(spec.patterns)) << spec.name;
  }
  auto unknown = find_pre_tokenizer("no-such-pre");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kUnsupported);
  for (const char* name : {"default", "llama-bpe", "qwen2", "tekken", "gpt-4o", "glm4", "deepseek-llm"}) {
    EXPECT_NE(unknown.error().message().find(name), std::string::npos) << name;
  }
}

TEST(PreTokenizer, SplitsFromManyThreadsAtOnce) {
  auto pre = PreTokenizer::create((*find_pre_tokenizer("llama-bpe"))->patterns);
  ASSERT_TRUE(pre);
  const std::string texts[] = {"I'm you'RE 1234567 \n\n x", "我想在apple工作1314151天～ 🦙🦙",
                               "  a\tb\r\nc!!"};
  std::vector<size_t> expected;
  for (const std::string& text : texts) expected.push_back(pre->split(text)->size());
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 500; ++round) {
        for (size_t i = 0; i < std::size(texts); ++i) mismatches[t] += pre->split(texts[i])->size() != expected[i];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// 100k characters of one word, one whitespace run, or mixed text: linear
// time for every expression list (no backtracking per character).
TEST(PreTokenizer, LongInputsSplitInLinearTime) {
  std::string mixed;
  while (mixed.size() < 100000) mixed += "The quick brown FOX's 12345 jumps; naïve café, 東京 🦙\n\n   \t";
  const std::string inputs[] = {mixed,
                                std::string(100000, 'a'),
                                std::string(100000, 'A'),
                                std::string(100000, ' '),
                                std::string(99999, ' ') + "x",
                                std::string(99999, ' ') + "\u4E2D",
                                std::string(100000, '!'),
                                std::string(100000, '7')};
  for (const PreTokenizerSpec& spec : pre_tokenizer_specs()) {
    auto pre = PreTokenizer::create(spec.patterns);
    ASSERT_TRUE(pre);
    for (const std::string& input : inputs) {
      const auto start = std::chrono::steady_clock::now();
      auto words = pre->split(input);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      ASSERT_TRUE(words) << spec.name << ": " << words.error().to_string();
      EXPECT_EQ(words->text, input);
      EXPECT_LT(ms, 500.0) << spec.name << " on " << input.substr(0, 20);
    }
  }
}

}  // namespace
}  // namespace rocmforge::tokenizer
