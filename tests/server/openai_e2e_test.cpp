// The official `openai` npm client (tests/server/node) against a running
// server: what a real application sees, streamed and not, for both
// endpoints. The package is installed with `npm ci` from the committed
// package-lock.json the first time this test runs (it needs the npm
// registry once; later runs use the installed copy in the build tree).
#include <gtest/gtest.h>

#include <filesystem>

#include "http_test_client.h"
#include "server_process.h"
#include "testing/subprocess.h"

namespace rocmforge::server::testing {
namespace {

const std::string kNodeDir = ROCMFORGE_SERVER_NODE_DIR;

bool have_openai_package() { return std::filesystem::exists(kNodeDir + "/node_modules/openai/package.json"); }

TEST(OpenAiClientTest, TheOfficialNodeClientGetsWhatItExpects) {
  if (!have_openai_package()) {
    const rocmforge::testing::RunResult npm = rocmforge::testing::run_command(
        {"npm", "ci", "--no-audit", "--no-fund", "--prefix", kNodeDir}, {}, std::chrono::minutes(5));
    ASSERT_EQ(npm.exit_code, 0) << "npm ci failed (it needs node, npm and the npm registry):\n" << npm.err;
  }
  ASSERT_TRUE(have_openai_package());
  auto server = ServerProcess::start({"-c", "512", "--api-key", "sk-node-test"});
  ASSERT_NE(server, nullptr);
  const rocmforge::testing::RunResult node = rocmforge::testing::run_command(
      {"node", kNodeDir + "/openai_client.mjs", server->url(), "sk-node-test"}, {}, std::chrono::seconds(120));
  ASSERT_EQ(node.exit_code, 0) << node.err << "\nserver log:\n" << server->log();
  const Json out = Json::parse(node.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << node.out;

  EXPECT_EQ(out["models"], Json::array({"stories260K"}));
  EXPECT_EQ(out["completion"]["object"], "text_completion");
  EXPECT_FALSE(out["completion"]["text"].get<std::string>().empty());
  EXPECT_EQ(out["completion"]["finish_reason"], "length");
  EXPECT_EQ(out["completion"]["usage"]["completion_tokens"], 16);
  EXPECT_EQ(out["completion_stream"]["text"], out["completion"]["text"]);
  EXPECT_EQ(out["completion_stream"]["finish_reason"], "length");

  EXPECT_EQ(out["chat"]["object"], "chat.completion");
  EXPECT_EQ(out["chat"]["role"], "assistant");
  EXPECT_EQ(out["chat"]["usage"]["completion_tokens"], 12);
  EXPECT_EQ(out["chat_stream"]["role"], "assistant");
  EXPECT_EQ(out["chat_stream"]["content"], out["chat"]["content"]);
  EXPECT_EQ(out["chat_stream"]["finish_reason"], out["chat"]["finish_reason"]);
  // The same prompt again: only the cached tokens may differ.
  EXPECT_EQ(out["chat_stream"]["usage"]["prompt_tokens"], out["chat"]["usage"]["prompt_tokens"]);
  EXPECT_EQ(out["chat_stream"]["usage"]["completion_tokens"], 12);
  EXPECT_GT(out["chat_stream"]["usage"]["prompt_tokens_details"]["cached_tokens"], 0);

  EXPECT_EQ(out["error"]["status"], 400);
  EXPECT_EQ(out["error"]["param"], "temperature");
  EXPECT_EQ(out["error"]["type"], "invalid_request_error");
}

}  // namespace
}  // namespace rocmforge::server::testing
