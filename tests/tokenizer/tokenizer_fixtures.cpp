#include "tokenizer_fixtures.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gguf/gguf_file.h"
#include "vocab_image.h"

namespace rocmforge::tokenizer::testing {

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  auto file = gguf::GgufFile::open(path);
  EXPECT_TRUE(file) << file.error().to_string();
  if (!file) return nullptr;
  auto tokenizer = Tokenizer::from_gguf(*file);
  EXPECT_TRUE(tokenizer) << tokenizer.error().to_string();
  if (!tokenizer) return nullptr;
  return std::move(*tokenizer);
}

std::unique_ptr<Tokenizer> build_tokenizer(const gguf::GgufWriter& writer) {
  auto tokenizer = read_tokenizer(writer);
  EXPECT_TRUE(tokenizer) << tokenizer.error().to_string();
  if (!tokenizer) return nullptr;
  return std::move(*tokenizer);
}

std::vector<TokenId> encode(const Tokenizer& tokenizer, std::string_view text, bool parse_special) {
  auto ids = tokenizer.encode(text, false, parse_special);
  EXPECT_TRUE(ids) << ids.error().to_string();
  if (!ids) return {};
  return *ids;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::vector<VocabCase> read_vocab_cases(const std::string& vocab_path) {
  const std::string inputs = read_file(vocab_path + ".inp");
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  for (size_t pos = 0; pos < inputs.size();) {
    const size_t next = inputs.find(separator, pos);
    const size_t end = next == std::string::npos ? inputs.size() : next;
    cases.push_back({inputs.substr(pos, end - pos), {}});
    pos = next == std::string::npos ? inputs.size() : next + separator.size();
  }

  std::istringstream outputs(read_file(vocab_path + ".out"));
  size_t index = 0;
  for (std::string line; std::getline(outputs, line); ++index) {
    if (index >= cases.size()) {
      ADD_FAILURE() << vocab_path << ".out has more lines than .inp has cases";
      break;
    }
    std::istringstream ids(line);
    for (TokenId id = 0; ids >> id;) cases[index].ids.push_back(id);
  }
  EXPECT_EQ(index, cases.size()) << vocab_path << ": .inp and .out disagree on the number of cases";
  return cases;
}

}  // namespace rocmforge::tokenizer::testing
