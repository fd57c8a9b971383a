// rocmforge inspect, run as a user would: tables and JSON for a real model,
// and for hostile files one error line, exit code 1, well within a second.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gguf_image.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::gguf {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using rocmforge::testing::cli_path;
using rocmforge::testing::run_command;
using rocmforge::testing::RunResult;
using rocmforge::testing::source_path;

std::filesystem::path write_temp(const std::string& name, std::span<const std::byte> bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("rocmforge_inspect_" + name);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(InspectCli, PrintsMetadataTensorsAndTotals) {
  const RunResult run = run_command({cli_path(), "inspect", source_path("models/stories260K.gguf")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("GGUF version 3, alignment 32, data at byte 14176"));
  EXPECT_THAT(run.out, HasSubstr("metadata: 19 entries"));
  EXPECT_THAT(run.out, HasSubstr("[\"<unk>\", \"<s>\", \"</s>\", \"<0x00>\", \"<0x01>\", \"<0x02>\", ... 512 items]"));
  EXPECT_THAT(run.out, HasSubstr("llama.attention.layer_norm_rms_epsilon  float32         1e-05"));
  EXPECT_THAT(run.out, HasSubstr("tensors: 48"));
  EXPECT_THAT(run.out, HasSubstr("  blk.0.ffn_down.weight     f32       [172, 64]     43.00 KiB"));
  EXPECT_THAT(run.out, HasSubstr("total: 292.8 K params, 1.12 MiB in 48 tensors"));
  EXPECT_EQ(run.err, "");
}

// Each RoPE scaling type has its name in the derived configuration (Phi-3's LongRoPE here).
TEST(InspectCli, NamesTheRopeScaling) {
  const auto path = std::filesystem::temp_directory_path() / "rocmforge_inspect_longrope.gguf";
  const RunResult synth =
      run_command({cli_path(), "synth", path.string(), "--shape", "tiny-rope-longrope", "--type", "q8_0"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  const RunResult run = run_command({cli_path(), "inspect", path.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("scaling longrope"));
  std::filesystem::remove(path);
}

TEST(InspectCli, JsonHasTheSameInformation) {
  const RunResult run = run_command({cli_path(), "inspect", "--json", source_path("models/stories260K.gguf")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["file"]["version"], 3);
  EXPECT_EQ(json["file"]["data_offset"], 14176);
  ASSERT_EQ(json["metadata"].size(), 19u);
  EXPECT_EQ(json["metadata"][0]["key"], "tokenizer.ggml.tokens");
  EXPECT_EQ(json["metadata"][0]["type"], "array[string]");
  EXPECT_EQ(json["metadata"][0]["length"], 512);
  EXPECT_EQ(json["metadata"][0]["value"][1], "<s>");
  EXPECT_EQ(json["metadata"][11]["value"], 2048);
  ASSERT_EQ(json["tensors"].size(), 48u);
  EXPECT_EQ(json["tensors"][1], nlohmann::json::parse(R"({"name": "output_norm.weight", "type": "f32",
      "shape": [64], "offset": 145248, "bytes": 256})"));
  EXPECT_EQ(json["totals"], nlohmann::json::parse(R"({"tensors": 48, "params": 292800, "bytes": 1171200})"));
}

TEST(InspectCli, HostileFilesGiveOneErrorLineAndExitCode1) {
  testing::GgufImage absurd_count;  // would ask for 2^63 tensor infos
  absurd_count.header(uint64_t{1} << 63, 0);
  testing::GgufImage zero_dimension;
  zero_dimension.header(1, 0).tensor_info("blk.0.attn_q.weight", {64, 0}, 0, 0).pad_to(32).zeros(64);
  const std::vector<std::byte> cut = testing::small_valid_file();
  const std::vector<std::pair<std::string, std::span<const std::byte>>> files = {
      {"absurd_count.gguf", absurd_count.bytes()},
      {"zero_dimension.gguf", zero_dimension.bytes()},
      {"truncated.gguf", std::span(cut).first(cut.size() - 1)},
  };
  for (const auto& [name, bytes] : files) {
    SCOPED_TRACE(name);
    const auto path = write_temp(name, bytes);
    const RunResult run = run_command({cli_path(), "inspect", path.string()}, {}, std::chrono::seconds(10));
    EXPECT_FALSE(run.timed_out);
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.out, "");
    EXPECT_THAT(run.err, StartsWith("rocmforge: error: '" + path.string() + "': "));
    EXPECT_THAT(run.err, HasSubstr(" at byte "));
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_LT(run.elapsed, std::chrono::seconds(1));
    std::filesystem::remove(path);
  }
}

TEST(InspectCli, AMissingFileIsOneErrorLine) {
  const RunResult run = run_command({cli_path(), "inspect", "/nonexistent/model.gguf"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "rocmforge: error: cannot open '/nonexistent/model.gguf': No such file or directory\n");
}

}  // namespace
}  // namespace rocmforge::gguf
