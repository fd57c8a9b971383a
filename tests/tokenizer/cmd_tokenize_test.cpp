// rocmforge tokenize, run as a child process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gguf/gguf_writer.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::tokenizer {
namespace {

using rocmforge::testing::cli_path;
using rocmforge::testing::data_path;
using rocmforge::testing::RunResult;
using rocmforge::testing::source_path;

RunResult tokenize(std::vector<std::string> args) {
  args.insert(args.begin(), {cli_path(), "tokenize"});
  return rocmforge::testing::run_command(args);
}

const std::string kStories = source_path("models/stories260K.gguf");

TEST(CmdTokenize, IdsOnlyIsAPythonList) {
  const RunResult r = tokenize({"-m", kStories, "-p", "Once upon a time", "--ids-only"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[1, 403, 407, 261, 378]\n");
  EXPECT_EQ(tokenize({"-m", kStories, "-p", "Once upon a time", "--ids", "--no-bos"}).out, "[403, 407, 261, 378]\n");
}

TEST(CmdTokenize, ListsEachTokenWithItsPiece) {
  const RunResult r = tokenize({"-m", kStories, "-p", "Once upon"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "     1 -> '<s>'\n   403 -> ' Once'\n   407 -> ' upon'\n");
}

TEST(CmdTokenize, BytesOfACharacterAreShownInHex) {
  const RunResult r = tokenize({"-m", kStories, "-p", "\xF0\x9F\xA6\x99", "--no-bos"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "   410 -> ' '\n"
            "   243 -> '<f0>' (UTF-8 decode failure)\n"
            "   162 -> '<9f>' (UTF-8 decode failure)\n"
            "   169 -> '<a6>' (UTF-8 decode failure)\n"
            "   156 -> '<99>' (UTF-8 decode failure)\n");
}

TEST(CmdTokenize, Json) {
  const RunResult r = tokenize({"-m", kStories, "-p", "Once upon", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["ids"], nlohmann::json({1, 403, 407}));
  ASSERT_EQ(out["tokens"].size(), 3u);
  EXPECT_EQ(out["tokens"][0]["id"], 1);
  EXPECT_EQ(out["tokens"][0]["piece"], "<s>");
  EXPECT_EQ(out["tokens"][1]["piece"], " Once");
  EXPECT_EQ(r.out.rfind("{\"tokens\":", 0), 0u) << r.out;
}

TEST(CmdTokenize, SpecialTokensAreParsedUnlessTurnedOff) {
  EXPECT_EQ(tokenize({"-m", kStories, "-p", "<s>Once", "--ids"}).out, "[1, 1, 403]\n");
  const RunResult literal = tokenize({"-m", kStories, "-p", "<s>Once", "--ids", "--no-parse-special"});
  ASSERT_EQ(literal.exit_code, 0) << literal.err;
  EXPECT_EQ(literal.out.find(", 1,"), std::string::npos) << literal.out;
  EXPECT_EQ(tokenize({"-m", kStories, "-p", "<s>Once", "--ids", "--parse-special"}).out, "[1, 1, 403]\n");
}

TEST(CmdTokenize, ReadsThePromptFromAFile) {
  const auto path = std::filesystem::temp_directory_path() / "rocmforge_cmd_tokenize_prompt.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "Once upon a time\n";
  }
  const RunResult r = tokenize({"-m", kStories, "-f", path.string(), "--ids"});
  std::filesystem::remove(path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[1, 403, 407, 261, 378, 13]\n");
}

TEST(CmdTokenize, WorksOnVocabularyOnlyFiles) {
  const RunResult r = tokenize({"-m", data_path("vocab/ggml-vocab-llama-spm.gguf"), "-p", "Hello world", "--ids"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[1, 15043, 3186]\n");
}

TEST(CmdTokenize, ByteLevelBpeAndWordPieceVocabularies) {
  const std::string gpt2 = data_path("vocab/ggml-vocab-gpt-2.gguf");
  const RunResult ids = tokenize({"-m", gpt2, "-p", "Hello world, it's", "--ids"});
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  EXPECT_EQ(ids.out, "[15496, 995, 11, 340, 338]\n");
  const RunResult listing = tokenize({"-m", gpt2, "-p", "Hello world"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_EQ(listing.out, " 15496 -> 'Hello'\n   995 -> ' world'\n");
  const RunResult bert = tokenize({"-m", data_path("vocab/ggml-vocab-bert-bge.gguf"), "-p", "Hello World", "--ids"});
  ASSERT_EQ(bert.exit_code, 0) << bert.err;
  EXPECT_EQ(bert.out, "[101, 7592, 2088, 102]\n");
}

TEST(CmdTokenize, ErrorsAreReportedWithANonZeroExit) {
  const RunResult missing = tokenize({"-m", "/nonexistent/model.gguf", "-p", "a"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("rocmforge: error"), std::string::npos) << missing.err;

  // A tokenizer model this build does not implement.
  const auto t5_path = std::filesystem::temp_directory_path() / "rocmforge_cmd_tokenize_t5.gguf";
  gguf::GgufWriter t5;
  t5.set_string("tokenizer.ggml.model", "t5");
  t5.set_string_array("tokenizer.ggml.tokens", {"a"});
  ASSERT_TRUE(t5.write(t5_path.string()));
  const RunResult unsupported = tokenize({"-m", t5_path.string(), "-p", "a"});
  std::filesystem::remove(t5_path);
  EXPECT_EQ(unsupported.exit_code, 1);
  EXPECT_NE(unsupported.err.find("supported: llama, gpt2, bert"), std::string::npos) << unsupported.err;

  EXPECT_NE(tokenize({"-m", kStories}).exit_code, 0);
  EXPECT_NE(tokenize({"-m", kStories, "-p", "a", "-f", "b"}).exit_code, 0);
  EXPECT_NE(tokenize({"-m", kStories, "-p", "a", "--json", "--ids"}).exit_code, 0);
  EXPECT_NE(tokenize({"-m", kStories, "-f", "/nonexistent/prompt.txt"}).exit_code, 0);
}

}  // namespace
}  // namespace rocmforge::tokenizer
