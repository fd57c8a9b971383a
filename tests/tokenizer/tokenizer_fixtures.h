// Loading the repository's vocabularies and llama.cpp's tokenizer test vectors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::tokenizer::testing {

// Loads the tokenizer of a GGUF file; fails the calling test on error.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path);

// Builds the tokenizer of a vocabulary image; fails the calling test on error.
std::unique_ptr<Tokenizer> build_tokenizer(const gguf::GgufWriter& writer);

// encode() without BOS/EOS; fails the calling test on error.
std::vector<TokenId> encode(const Tokenizer& tokenizer, std::string_view text, bool parse_special = false);

struct VocabCase {
  std::string text;
  std::vector<TokenId> ids;  // without BOS
};

// A vocabulary's .inp/.out pair, read as llama.cpp's test-tokenizer-0 reads
// it: inputs separated by "\n__ggml_vocab_test__\n" (so each case loses the
// newline before the separator), one line of space-separated ids per case.
std::vector<VocabCase> read_vocab_cases(const std::string& vocab_path);

std::string read_file(const std::string& path);

}  // namespace rocmforge::tokenizer::testing
