// rocmforge bench: prompt-processing and generation speed, measured the way
// llama-bench measures them (random prompt tokens in one batch for ppN; N
// single-token steps from an empty context for tgN; a warm-up run first;
// mean and standard deviation over repetitions), printed as its table; with
// -b, also the aggregate decode speed of B sequences generating together
// after a prompt each (bench_batched.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "cli/backend_choice.h"
#include "cli/bench_batched.h"
#include "cli/cache_type_flags.h"
#include "cli/command.h"
#include "engine/session.h"
#include "model/forward.h"
#include "model/model.h"

namespace rocmforge::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string model;
  std::vector<int> n_prompt{512};
  std::vector<int> n_gen{128};
  int reps = 5;
  int n_threads = default_threads();
  int64_t n_ubatch = 512;
  std::vector<int> n_seqs;  // batched decode tests
  int n_beside = 0;         // prompt tokens beside their decodes
  int64_t ctx_size = 0;     // positions each sequence's cache is sized for (0: what the tests need)
  DeviceFlags device;
  CacheTypeFlags cache_types;
  bool batch_invariant = false;
  bool json = false;
};

struct TestResult {
  std::string name;  // "pp512", "tg128"
  int n_tokens;
  std::vector<double> tps;  // one per repetition

  double mean() const {
    double s = 0;
    for (double v : tps) s += v;
    return tps.empty() ? 0.0 : s / static_cast<double>(tps.size());
  }
  double stddev() const {
    if (tps.size() < 2) return 0.0;
    const double m = mean();
    double s = 0;
    for (double v : tps) s += (v - m) * (v - m);
    return std::sqrt(s / static_cast<double>(tps.size() - 1));
  }
};

// Seconds to process `tokens` as a prompt from an empty context.
Result<double> time_prompt(engine::Session& session, const std::vector<int32_t>& tokens) {
  session.reset();
  const auto start = Clock::now();
  RF_TRY(session.append(tokens));
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Seconds to generate `n` tokens one step at a time from an empty context.
Result<double> time_generation(engine::Session& session, int n, int32_t token) {
  session.reset();
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) RF_TRY(session.append(std::span<const int32_t>(&token, 1), /*generated=*/true));
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string human_bytes(double bytes) {
  return bytes >= 1024.0 * 1024 * 1024 ? fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024))
                                       : fmt::format("{:.2f} MiB", bytes / (1024.0 * 1024));
}

std::string human_params(double n) {
  return n >= 1e9 ? fmt::format("{:.2f} B", n / 1e9) : fmt::format("{:.2f} M", n / 1e6);
}

Status bench(const BenchOptions& o) {
  if (o.reps <= 0) return RF_ERROR(kInvalidArgument, "--repetitions must be positive");
  if (o.ctx_size < 0) return RF_ERROR(kInvalidArgument, "--ctx-size must not be negative, got {}", o.ctx_size);
  const backend::KvTypes kv_types = RF_TRY(parse_cache_types(o.cache_types));
  const core::Logger log(core::LogLevel::kWarn);
  // Sized, like a server of --parallel B, for the most sequences it decodes together.
  const int64_t decode_rows = o.n_seqs.empty() ? 1 : *std::max_element(o.n_seqs.begin(), o.n_seqs.end());
  auto backend = RF_TRY(make_backend(o.device, o.n_threads, log, o.batch_invariant, decode_rows));
  auto model = RF_TRY(model::Model::load(o.model, *backend));
  const model::ModelConfig& c = model->config();

  int max_len = 1;
  for (int p : o.n_prompt) max_len = std::max(max_len, p);
  for (int g : o.n_gen) max_len = std::max(max_len, g);
  model::ForwardOptions fo;
  fo.max_batch_tokens = o.n_ubatch;
  fo.max_seqs = 1;
  fo.max_seq_len = std::max<int64_t>(max_len, o.ctx_size);
  fo.kv_types = kv_types;
  auto forward = RF_TRY(model::ForwardPass::create(c, model->weights(), *backend, fo));
  engine::Session session(*forward, fo.max_seq_len);

  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(c.n_vocab - 1));
  std::vector<TestResult> results;
  for (int n : o.n_prompt) {
    if (n <= 0) continue;
    std::vector<int32_t> tokens(static_cast<size_t>(n));
    for (int32_t& t : tokens) t = pick(rng);
    TestResult r{fmt::format("pp{}", n), n, {}};
    RF_TRY(time_prompt(session, tokens));  // warm-up
    for (int i = 0; i < o.reps; ++i) r.tps.push_back(n / RF_TRY(time_prompt(session, tokens)));
    results.push_back(std::move(r));
  }
  for (int n : o.n_gen) {
    if (n <= 0) continue;
    TestResult r{fmt::format("tg{}", n), n, {}};
    RF_TRY(time_generation(session, 1, 1));  // warm-up
    for (int i = 0; i < o.reps; ++i) r.tps.push_back(n / RF_TRY(time_generation(session, n, 1)));
    results.push_back(std::move(r));
  }
  if (!o.n_seqs.empty()) forward.reset();  // its KV cache makes room for the batched tests' own
  for (int b : o.n_seqs) {
    const BatchedDecode test{.n_seqs = b,
                             .n_prompt = o.n_prompt.empty() ? 512 : o.n_prompt.front(),
                             .n_gen = o.n_gen.empty() ? 128 : o.n_gen.front(),
                             .n_beside = o.n_beside,
                             .n_ubatch = o.n_ubatch,
                             .ctx_size = o.ctx_size,
                             .kv_types = kv_types};
    std::string name = fmt::format("pp{}+tg{} x{}", test.n_prompt, test.n_gen, b);
    if (o.n_beside > 0) name += fmt::format(" +{}p", o.n_beside);
    TestResult r{std::move(name), b * test.n_gen, {}};
    r.tps.push_back(RF_TRY(time_batched_decode(c, model->weights(), *backend, test, rng)));
    results.push_back(std::move(r));
  }

  uint64_t bytes = 0;
  for (const auto& t : model->file().tensors()) bytes += t.n_bytes;
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const TestResult& r : results) {
      out.push_back({{"model_filename", o.model}, {"model_size", bytes}, {"model_n_params", c.n_params},
                     {"backend", backend->name()}, {"n_threads", o.n_threads},
                     {"batch_invariant", o.batch_invariant}, {"gpu_f16_weights", o.device.gpu_f16_weights},
                     {"type_k", std::string(gguf::ggml_type_name(kv_types.k))},
                     {"type_v", std::string(gguf::ggml_type_name(kv_types.v))}, {"test", r.name},
                     {"n_tokens", r.n_tokens}, {"avg_ts", r.mean()}, {"stddev_ts", r.stddev()},
                     {"samples_ts", r.tps}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return ok();
  }
  std::printf("| %-28s | %12s | %10s | %-7s | %7s | %16s | %20s |\n", "model", "size", "params", "backend",
              "threads", "test", "t/s");
  std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", std::string(28, '-').c_str(),
              std::string(12, '-').c_str(), std::string(10, '-').c_str(), std::string(7, '-').c_str(),
              std::string(7, '-').c_str(), std::string(16, '-').c_str(), std::string(20, '-').c_str());
  for (const TestResult& r : results) {
    std::printf("| %-28s | %12s | %10s | %-7s | %7d | %16s | %20s |\n", c.name.substr(0, 28).c_str(),
                human_bytes(static_cast<double>(bytes)).c_str(), human_params(static_cast<double>(c.n_params)).c_str(),
                backend->name().c_str(), o.n_threads, r.name.c_str(),
                fmt::format("{:.2f} ± {:.2f}", r.mean(), r.stddev()).c_str());
  }
  return ok();
}

}  // namespace

Subcommand add_bench_command(CLI::App& root) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* app = root.add_subcommand("bench", "Measure prompt processing and generation speed (like llama-bench)");
  app->add_option("-m,--model", opts->model, "GGUF model file")->required();
  app->add_option("-p,--n-prompt", opts->n_prompt, "Prompt lengths (ppN tests)")->delimiter(',');
  app->add_option("-n,--n-gen", opts->n_gen, "Generation lengths (tgN tests)")->delimiter(',');
  app->add_option("-r,--repetitions", opts->reps, "Repetitions of each test");
  app->add_option("-t,--threads", opts->n_threads, "CPU threads");
  app->add_option("-b,--batch-size", opts->n_seqs,
                  "Sequences decoding together: aggregate decode speed after a prompt each (pp+tg xB tests); "
                  "the largest sizes the batch-invariant kernels as serve's --parallel does")
      ->delimiter(',');
  app->add_option("--prompt-beside", opts->n_beside,
                  "With -b: this many prompt tokens in every decode step too, as a serving step that shares one "
                  "with a prompt chunk (t/s still counts the decodes)");
  app->add_option("--ubatch-size", opts->n_ubatch, "Prompt tokens per forward step");
  app->add_option("-c,--ctx-size", opts->ctx_size,
                  "Positions each sequence's KV cache is sized for, as a server's --ctx-size (0, the default: "
                  "what the tests need)");
  add_device_flags(*app, opts->device);
  add_cache_type_flags(*app, opts->cache_types);
  app->add_flag("--batch-invariant", opts->batch_invariant,
                "The kernels serve runs: one configuration whatever a step's size "
                "(slower prompts and 1-sequence decode)");
  app->add_flag("--json", opts->json, "Print JSON instead of a table");
  return {app, [opts] { return bench(*opts); }};
}

}  // namespace rocmforge::cli
