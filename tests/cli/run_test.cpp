// rocmforge run, bench and synth driven as a user drives them: a child
// process, its exit code, stdout and stderr.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "model_file_builder.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::testing {
namespace {

const std::string kStories = source_path("models/stories260K.gguf");

// The program's path, then `args`.
std::vector<std::string> command_line(const std::vector<std::string>& args) {
  std::vector<std::string> argv{cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RunResult cli(const std::vector<std::string>& args) { return run_command(command_line(args)); }

nlohmann::json stories_reference(const std::string& prompt) {
  std::ifstream in(data_path("refs/stories260K-greedy.llamacpp.json"));
  const nlohmann::json all = nlohmann::json::parse(in);
  for (const auto& r : all["results"]) {
    if (r["prompt"] == prompt) return r;
  }
  return {};
}

TEST(RunCommand, JsonGreedyOutputMatchesLlamaCpp) {
  const nlohmann::json ref = stories_reference("Once upon a time");
  ASSERT_FALSE(ref.is_null());
  const RunResult r = cli({"run", "-m", kStories, "-p", "Once upon a time", "-n", "64", "--temp", "0", "--json",
                           "--top-logprobs", "3", "-t", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["prompt_tokens"], ref["prompt_ids"]);
  EXPECT_EQ(out["tokens"], ref["generated_ids"]);
  EXPECT_EQ(out["text"], ref["text"]);
  EXPECT_GT(out["timings"]["prompt_tps"].get<double>(), 0.0);
  EXPECT_GT(out["timings"]["gen_tps"].get<double>(), 0.0);
  ASSERT_EQ(out["top_logprobs"].size(), 64u);
  for (size_t i = 0; i < 64; ++i) {
    const auto& top = out["top_logprobs"][i];
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0]["id"], out["tokens"][i]);  // greedy picks the most likely
    EXPECT_GE(top[0]["logprob"].get<double>(), top[1]["logprob"].get<double>());
    EXPECT_LE(top[0]["logprob"].get<double>(), 0.0);
  }
}

TEST(RunCommand, StreamsPromptAndTextToStdoutAndSpeedToStderr) {
  const nlohmann::json ref = stories_reference("The little dog");
  const RunResult r = cli({"run", "-m", kStories, "-p", "The little dog", "-n", "64", "--temp", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ref["full_text"].get<std::string>() + "\n");
  EXPECT_NE(r.err.find("prompt:"), std::string::npos);
  EXPECT_NE(r.err.find("generation:"), std::string::npos);
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos);
}

TEST(RunCommand, SameSeedSameTextDifferentSeedDifferentText) {
  auto sample = [](const std::string& seed) {
    const RunResult r = cli({"run", "-m", kStories, "-p", "Once upon a time", "-n", "48", "--temp", "1.0",
                             "--seed", seed, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["tokens"];
  };
  EXPECT_EQ(sample("42"), sample("42"));
  EXPECT_NE(sample("42"), sample("43"));
}

// Without --top-logprobs a sampled step reads back its row's best
// candidates and settles the draw from them where they suffice; with it,
// the whole row. The seeded tokens are the same either way, for each set
// of filters (and greedy's argmax is the whole row's).
TEST(RunCommand, SampledTokensAreTheSameFromCandidatesAndFromWholeRows) {
  const std::vector<std::vector<std::string>> settings = {
      {"--temp", "0.8", "--top-k", "40"},
      {"--temp", "1.0", "--top-p", "0.9", "--top-k", "0"},
      {"--temp", "0.7", "--min-p", "0.05", "--top-k", "0", "--top-p", "1"},
      {"--temp", "0.9", "--top-k", "20", "--repeat-penalty", "1.2"},
      {"--temp", "0"}};
  for (const auto& setting : settings) {
    SCOPED_TRACE(setting[1]);
    std::vector<std::string> args{"run", "-m", kStories, "-p", "Once upon a time", "-n", "48", "--seed", "7",
                                  "--ignore-eos", "--json", "-t", "2"};
    args.insert(args.end(), setting.begin(), setting.end());
    const RunResult candidates = cli(args);
    args.insert(args.end(), {"--top-logprobs", "1"});
    const RunResult rows = cli(args);
    ASSERT_EQ(candidates.exit_code, 0) << candidates.err;
    ASSERT_EQ(rows.exit_code, 0) << rows.err;
    const auto a = nlohmann::json::parse(candidates.out);
    const auto b = nlohmann::json::parse(rows.out);
    EXPECT_EQ(a["tokens"].size(), 48u);
    EXPECT_EQ(a["tokens"], b["tokens"]);
  }
}

TEST(RunCommand, StopsAtEndOfSequenceUnlessIgnoreEos) {
  // stories260K never writes its EOS (stories start with BOS instead), so this
  // copy declares "▁was" (286), the third greedy token after "Once upon a time", as EOS.
  const std::string model = write_edited_copy(
      kStories, "eos_was",
      ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_u32("tokenizer.ggml.eos_token_id", 286); }));
  const RunResult stop = cli({"run", "-m", model, "-p", "Once upon a time", "-n", "64", "--temp", "0", "--json"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  const auto s = nlohmann::json::parse(stop.out);
  EXPECT_EQ(s["stop_reason"], "eos");
  EXPECT_EQ(s["tokens"], nlohmann::json::array({432, 383}));
  const RunResult go = cli({"run", "-m", model, "-p", "Once upon a time", "-n", "64", "--temp", "0", "--json",
                            "--ignore-eos"});
  ASSERT_EQ(go.exit_code, 0) << go.err;
  const auto g = nlohmann::json::parse(go.out);
  EXPECT_EQ(g["tokens"], stories_reference("Once upon a time")["generated_ids"]);
  EXPECT_EQ(g["stop_reason"], "length");
}

void expect_one_line_error(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(r.elapsed.count(), 1000);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("rocmforge: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(RunCommand, BadInputIsOneClearError) {
  expect_one_line_error(cli({"run", "-m", "/nonexistent.gguf", "-p", "x"}), "/nonexistent.gguf");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", std::string(200, 'a') + " b c d e f", "-c", "8"}),
                        "context size 8");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--top-p", "2"}), "top_p");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--device", "tpu"}), "--device");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--gpu-f16-weights", "maybe"}),
                        "--gpu-f16-weights must be auto, on or off, got 'maybe'");
  expect_one_line_error(cli({"bench", "-m", kStories, "--gpu-f16-weights", "yes"}), "--gpu-f16-weights");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--cache-type", "q2"}), "--cache-type");
  expect_one_line_error(cli({"run", "-m", kStories}), "-p TEXT or -f FILE");
}

// llama.cpp's -ctk/-ctv (and --cache-type-k/-v), on every command that makes a KV cache.
TEST(CacheTypeFlags, UnsupportedTypesAreOneClearErrorListingTheAllowedOnes) {
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "-ctk", "q4_0"}),
                        "--cache-type-k must be one of f32, f16, bf16, q8_0, got 'q4_0'");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--cache-type-v", "q4_1"}),
                        "--cache-type-v must be one of f32, f16, bf16, q8_0, got 'q4_1'");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--cache-type", "q8"}),
                        "--cache-type must be one of f32, f16, bf16, q8_0, got 'q8'");
  expect_one_line_error(cli({"bench", "-m", kStories, "-ctv", "q5_1"}), "--cache-type-v must be one of");
  expect_one_line_error(cli({"serve", "-m", kStories, "--port", "0", "-ctk", "iq4_nl"}),
                        "--cache-type-k must be one of");
}

// stories260K's greedy tokens for this prompt are the same with a Q8_0 cache
// (tests/model/stories_reference_test.cpp measures the other prompts).
TEST(CacheTypeFlags, Q8_0CacheGeneratesTheF16CachesTokens) {
  const nlohmann::json ref = stories_reference("Once upon a time");
  ASSERT_FALSE(ref.is_null());
  const std::vector<std::vector<std::string>> spellings = {
      {"-ctk", "q8_0", "-ctv", "q8_0"}, {"--cache-type", "q8_0"}, {"--cache-type", "f32", "--cache-type-k", "q8_0"}};
  for (const std::vector<std::string>& flags : spellings) {
    std::vector<std::string> args = {"run", "-m", kStories, "-p", "Once upon a time", "-n", "64", "--temp", "0",
                                     "--json", "-t", "2"};
    args.insert(args.end(), flags.begin(), flags.end());
    const RunResult r = cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"], ref["generated_ids"]) << flags[1];
  }
}

TEST(CacheTypeFlags, BenchReportsTheCacheTypesAndRunsBatchedDecodeWithThem) {
  const RunResult r = cli(
      {"bench", "-m", kStories, "-p", "16", "-n", "8", "-r", "1", "-b", "3", "-ctk", "q8_0", "-ctv", "f16", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2]["test"], "pp16+tg8 x3");
  for (const auto& row : rows) {
    EXPECT_EQ(row["type_k"], "q8_0");
    EXPECT_EQ(row["type_v"], "f16");
    EXPECT_GT(row["avg_ts"].get<double>(), 0.0);
  }
}

TEST(RunCommand, ModelWhoseMetadataContradictsItsTensorsIsOneClearError) {
  const std::string missing = write_edited_copy(
      write_small_model("cli_base"), "cli_missing",
      ModelEdit::keeping([](const gguf::TensorInfo& t) { return t.name != "blk.0.attn_v.weight"; }));
  expect_one_line_error(cli({"run", "-m", missing, "-p", "x"}), "blk.0.attn_v.weight");
  const std::string shape = write_edited_copy(
      write_small_model("cli_base2"), "cli_shape",
      ModelEdit::of_metadata([](gguf::GgufWriter& w) { w.set_u32("llama.embedding_length", 128); }));
  expect_one_line_error(cli({"run", "-m", shape, "-p", "x"}), "token_embd.weight");
}

RunResult cli_with_input(const std::vector<std::string>& args, const std::string& input) {
  return run_command(command_line(args), input);
}

TEST(RunChat, InteractiveTurnsUseTheFallbackTemplateAndReuseTheCache) {
  const RunResult r = cli_with_input({"run", "-m", kStories, "--chat", "-sys", "You tell stories.", "-n", "12",
                                      "--temp", "0"},
                                     "Tell me a story.\nAnd then?\n/exit\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("model has no chat template; using built-in 'chatml'"), std::string::npos);
  // Three prompts: before each of the two turns and before /exit.
  size_t prompts = 0;
  for (size_t at = r.out.find("> "); at != std::string::npos; at = r.out.find("> ", at + 2)) ++prompts;
  EXPECT_GE(prompts, 3u) << r.out;
  // Two turns, each with its speed line; the second feeds only the new part.
  size_t first = r.err.find("prompt:");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(r.err.find("prompt:", first + 1), std::string::npos) << r.err;
}

TEST(RunChat, TemplateFileDecidesThePromptText) {
  // A template that passes the last message through unchanged makes chat mode
  // generate exactly what plain mode generates for the same text.
  const std::string path = (std::filesystem::temp_directory_path() / "rocmforge_passthrough.jinja").string();
  {
    std::ofstream out(path);
    out << "{{ bos_token }}{{ messages[-1]['content'] }}";
  }
  const RunResult chat = cli({"run", "-m", kStories, "-p", "Once upon a time", "--chat-template-file", path, "-n",
                              "16", "--temp", "0"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  const RunResult plain = cli({"run", "-m", kStories, "-p", "Once upon a time", "-n", "16", "--temp", "0",
                               "--no-display-prompt"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(chat.out, plain.out);
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--chat-template", "nonexistent-format"}),
                        "nonexistent-format");
  expect_one_line_error(cli({"run", "-m", kStories, "-p", "x", "--chat", "--json"}), "--json");
}

TEST(SynthCommand, WritesAModelThatRunsAndInspects) {
  const std::string path = (std::filesystem::temp_directory_path() / "rocmforge_cli_synth_q4_0.gguf").string();
  const RunResult s = cli({"synth", path, "--shape", "tiny", "--type", "q4_0"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const RunResult r = cli({"run", "-m", path, "-p", "tok1 tok2", "-n", "8", "--temp", "0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"].size(), 8u);
  const RunResult i = cli({"inspect", path, "--json"});
  ASSERT_EQ(i.exit_code, 0) << i.err;
  const auto info = nlohmann::json::parse(i.out);
  EXPECT_EQ(info["model"]["n_embd"], 256);
  EXPECT_EQ(info["model"]["n_layer"], 2);
  EXPECT_EQ(info["tensors"][2]["type"], "q4_0");
  expect_one_line_error(cli({"synth", path, "--shape", "huge"}), "unknown shape 'huge'");
  // A llama.cpp file type's mixture runs too; an unknown type names the valid ones.
  const RunResult m = cli({"synth", path, "--shape", "tiny", "--type", "q4_k_m"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const RunResult mr = cli({"run", "-m", path, "-p", "tok1 tok2", "-n", "4", "--temp", "0", "--json"});
  ASSERT_EQ(mr.exit_code, 0) << mr.err;
  EXPECT_EQ(nlohmann::json::parse(mr.out)["tokens"].size(), 4u);
  expect_one_line_error(cli({"synth", path, "--type", "q9_z"}), "Q4_K_M");
}

TEST(BenchCommand, ReportsPromptAndGenerationSpeed) {
  const RunResult r = cli({"bench", "-m", kStories, "-p", "32", "-n", "16", "-r", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["test"], "pp32");
  EXPECT_EQ(rows[1]["test"], "tg16");
  for (const auto& row : rows) {
    EXPECT_EQ(row["samples_ts"].size(), 2u);
    EXPECT_GT(row["avg_ts"].get<double>(), 0.0);
  }
  const RunResult table = cli({"bench", "-m", kStories, "-p", "8", "-n", "4", "-r", "1"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(" pp8 |"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("t/s"), std::string::npos);
}

// --ctx-size sizes the cache as a server's would: the same tests run over
// a longer context; a negative size is one clear error.
TEST(BenchCommand, CtxSizeSizesTheCacheForLongerSequences) {
  const RunResult r = cli({"bench", "-m", kStories, "-p", "16", "-n", "8", "-r", "1", "-b", "2", "-c", "2048", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1]["test"], "tg8");
  for (const auto& row : rows) EXPECT_GT(row["avg_ts"].get<double>(), 0.0);
  expect_one_line_error(cli({"bench", "-m", kStories, "-c", "-5"}), "--ctx-size");
}

// Batched decode with a prompt chunk beside every decode step: its own row
// in the results, next to the plain one; a negative count is one clear error.
TEST(BenchCommand, BatchedDecodeWithAPromptBesideTheDecodes) {
  const RunResult r = cli({"bench", "-m", kStories, "-p", "16", "-n", "4", "-r", "1", "-b", "2", "--prompt-beside",
                           "24", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2]["test"], "pp16+tg4 x2 +24p");
  EXPECT_EQ(rows[2]["n_tokens"], 8);
  EXPECT_GT(rows[2]["avg_ts"].get<double>(), 0.0);
  const RunResult bad = cli({"bench", "-m", kStories, "-p", "16", "-n", "4", "-b", "2", "--prompt-beside", "-3"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--prompt-beside must not be negative"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace rocmforge::testing
