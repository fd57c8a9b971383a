// rocmforge quantize driven as a user drives it: quantise, run the result,
// and the mistakes a user makes (each one exit code 1 and one line saying why).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::testing {
namespace {

namespace fs = std::filesystem;

const std::string kTinyF32 = data_path("models/quant/tiny-f32.gguf");

RunResult cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("rocmforge_quantize_cli_" + name)).string();
}

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

nlohmann::json quant_reference(const std::string& model) {
  std::ifstream in(data_path("refs/quant-tiny.jsonl"));
  for (std::string line; std::getline(in, line);) {
    nlohmann::json row = nlohmann::json::parse(line);
    if (row["model"] == model) return row;
  }
  return {};
}

// The whole of stderr is one line, the error.
void expect_one_error_line(const RunResult& r, const std::string& part) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("rocmforge: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
}

TEST(QuantizeCommand, QuantisesAsLlamaQuantizeAndTheResultRuns) {
  const std::string out = temp_path("mix.gguf");
  const RunResult q = cli({"quantize", kTinyF32, out, "q4_k_m", "-t", "2"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_TRUE(q.out.empty());
  EXPECT_NE(q.err.find("[  21/  21]"), std::string::npos) << q.err;  // stderr is no terminal: a line per tensor
  EXPECT_NE(q.err.find("model size: 7.00 MiB (32.00 bpw) -> 1.08 MiB (4.92 bpw)"), std::string::npos) << q.err;
  EXPECT_TRUE(file_bytes(out) == file_bytes(data_path("models/quant/tiny-mix-q4_k_m.gguf")));

  // llama.cpp's greedy continuation of its own Q4_K_M file.
  const nlohmann::json ref = quant_reference("tiny-mix-q4_k_m.gguf");
  ASSERT_FALSE(ref.is_null());
  const RunResult run = cli({"run", "-m", out, "-p", ref["prompt"], "-n", "32", "--temp", "0", "--ignore-eos",
                             "--json", "-t", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["tokens"], ref["greedy_ids"]);
  fs::remove(out);
}

TEST(QuantizeCommand, UnknownTypeListsTheValidOnes) {
  const RunResult r = cli({"quantize", kTinyF32, temp_path("bad.gguf"), "Q9_K"});
  expect_one_error_line(r, "unknown quantisation type 'Q9_K'");
  EXPECT_NE(r.err.find("Q4_K_M"), std::string::npos);
  EXPECT_NE(r.err.find("IQ4_XS"), std::string::npos);
  EXPECT_FALSE(fs::exists(temp_path("bad.gguf")));
}

TEST(QuantizeCommand, TypeItCannotProduceIsNamed) {
  expect_one_error_line(cli({"quantize", kTinyF32, temp_path("iq2.gguf"), "IQ2_XXS"}), "IQ2_XXS is not supported");
}

TEST(QuantizeCommand, RefusesToRequantiseUnlessAllowed) {
  const std::string q4 = data_path("models/quant/tiny-q4_0.gguf");
  const std::string out = temp_path("requant.gguf");
  expect_one_error_line(cli({"quantize", q4, out, "Q8_0"}), "--allow-requantize");
  EXPECT_FALSE(fs::exists(out));
  const RunResult allowed = cli({"quantize", q4, out, "Q8_0", "--allow-requantize"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  fs::remove(out);
}

TEST(QuantizeCommand, UnwritableOutputLeavesNothing) {
  expect_one_error_line(cli({"quantize", kTinyF32, "/nonexistent-dir/out.gguf", "Q8_0"}), "cannot create");
  // A folder as the output.
  expect_one_error_line(cli({"quantize", kTinyF32, fs::temp_directory_path().string(), "Q8_0"}), "cannot create");
}

TEST(QuantizeCommand, InputThatIsNotAGgufModel) {
  const std::string text = temp_path("text.gguf");
  std::ofstream(text) << "hello, not a model at all\n";
  expect_one_error_line(cli({"quantize", text, temp_path("out.gguf"), "Q8_0"}), "not a GGUF file");
  expect_one_error_line(cli({"quantize", temp_path("missing.gguf"), temp_path("out.gguf"), "Q8_0"}), "missing.gguf");
  fs::remove(text);
}

}  // namespace
}  // namespace rocmforge::testing
