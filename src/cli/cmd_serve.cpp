// rocmforge serve: an OpenAI-compatible HTTP server over the serving engine,
// with llama-server's and vLLM's flags where they overlap.
//
// Exit status: 0 after a graceful shutdown (SIGINT or SIGTERM: drained);
// 1 when the server cannot start (bad flags, model, port); 128 + signal
// number when a second signal cut the drain short (130 for SIGINT, 143 for
// SIGTERM).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "cli/backend_choice.h"
#include "cli/cache_type_flags.h"
#include "cli/chat_loop.h"
#include "cli/command.h"
#include "engine/engine.h"
#include "kv/pool_size.h"
#include "model/model.h"
#include "server/http_server.h"
#include "server/signals.h"

namespace rocmforge::cli {
namespace {

struct ServeOptions {
  std::string model;
  std::string alias;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key;
  std::string api_key_file;
  int64_t n_ctx = 0;
  int64_t parallel = 16;
  int64_t max_queue = 128;
  int64_t batch_size = 0;  // 0: default_batch_tokens()
  std::string kv_memory = "0";
  CacheTypeFlags cache_types;
  bool no_prefix_cache = false;
  bool no_batch_invariant = false;
  int max_step_ms = -1;  // -1: the device's default (step_time_target)
  bool mixed_steps = false;
  DeviceFlags device;
  int n_threads = default_threads();
  int http_threads = 0;
  std::string chat_template;
  std::string chat_template_file;
  std::string max_body_size = "16M";
  int64_t shutdown_timeout_s = 30;
  std::string log_level = "info";
};

constexpr int64_t kDefaultContext = 4096;

// Tokens per engine step unless --batch-size says otherwise. A GPU runs a
// step of 2048 prompt tokens in well under 100 ms and gains from the larger
// GEMMs (a burst of prompts is admitted four times faster than at 512); on
// the CPU such a step would stall every running sequence for seconds.
int64_t default_batch_tokens(const backend::Backend& backend) {
  constexpr int64_t kGpuBatchTokens = 2048;  // llama-server's default -b
  constexpr int64_t kCpuBatchTokens = 512;
  return backend.memory_available() ? kGpuBatchTokens : kCpuBatchTokens;
}

// Threads that draw each step's tokens. With a GPU the host cores are free
// while the device works; the CPU backend's own pool has them all.
int sampling_threads(const backend::Backend& backend) {
  constexpr unsigned kMostSamplingThreads = 8;
  if (!backend.memory_available()) return 1;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, kMostSamplingThreads));
}

// How long a step that running streams wait on may take, unless --max-step-ms
// says otherwise. A GPU step of decodes is 10-30 ms: 80 ms leaves room for
// about 500 prompt tokens beside 64 decodes with the batch-invariant kernels
// and keeps the inter-token latency's tail under 100 ms. On the CPU a step of
// a few decodes alone can take longer than that; prompts are not capped.
std::chrono::milliseconds step_time_target(const backend::Backend& backend, int max_step_ms) {
  constexpr std::chrono::milliseconds kGpuStepTime{80};
  if (max_step_ms >= 0) return std::chrono::milliseconds(max_step_ms);
  return backend.memory_available() ? kGpuStepTime : std::chrono::milliseconds(0);
}

constexpr double kKvShareOfRam = 0.25;  // the automatic KV budget's ceiling on the CPU
// Kept free on a GPU for the forward pass's activations and graphs.
constexpr double kGpuActivationShare = 0.1;
constexpr double kGpuActivationBytes = 512.0 * 1024 * 1024;

// "4096", "512K", "2M", "1.5G", "2GiB": bytes, binary multiples.
Result<size_t> parse_size(const std::string& text, std::string_view flag) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return RF_ERROR(kInvalidArgument, "{} must be a size such as 512M or 2G, got '{}'", flag, text);
  std::string unit(end, text.data() + text.size());
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::toupper(c); });
  double scale = 1.0;
  if (unit == "K" || unit == "KB" || unit == "KIB") {
    scale = 1024.0;
  } else if (unit == "M" || unit == "MB" || unit == "MIB") {
    scale = 1024.0 * 1024.0;
  } else if (unit == "G" || unit == "GB" || unit == "GIB") {
    scale = 1024.0 * 1024.0 * 1024.0;
  } else if (!unit.empty() && unit != "B") {
    return RF_ERROR(kInvalidArgument, "{}: unknown unit '{}' (K, M or G)", flag, unit);
  }
  if (!(value >= 0.0) || value * scale > 1e18) return RF_ERROR(kInvalidArgument, "{} is out of range: '{}'", flag, text);
  return static_cast<size_t>(value * scale);
}

// The KV pool's bytes when --kv-memory leaves it open. On a GPU: what the
// backend may still allocate after the weights, less room for the forward
// pass's activations (vLLM's way: the KV cache takes the rest of the
// device). On the CPU: room for --parallel full contexts, at most a quarter
// of the RAM, at least one context.
size_t default_kv_budget(const backend::Backend& backend, size_t per_block, int64_t context_blocks, int64_t max_seqs) {
  if (const std::optional<uint64_t> device = backend.memory_available()) {
    const auto left = static_cast<double>(*device);
    return static_cast<size_t>(std::max(0.0, left * (1.0 - kGpuActivationShare) - kGpuActivationBytes));
  }
  const auto ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  const double context = static_cast<double>(per_block) * static_cast<double>(context_blocks);
  return static_cast<size_t>(std::max(std::min(context * static_cast<double>(max_seqs), ram * kKvShareOfRam), context));
}

Result<int64_t> kv_pool_blocks(const ServeOptions& o, const backend::Backend& backend, const model::ModelConfig& c,
                               const engine::EngineOptions& eo, const core::Logger& log) {
  const backend::KvLayout layout{c.n_layer, c.n_head_kv, c.head_dim, c.head_dim_v, eo.block_size, 0, eo.kv_types};
  RF_TRY(backend::check_kv_layout(layout));
  const size_t per_block = kv::block_bytes(layout);
  const int64_t context_blocks = (eo.n_ctx + eo.block_size - 1) / eo.block_size;
  size_t budget = RF_TRY(parse_size(o.kv_memory, "--kv-memory"));
  if (budget == 0) budget = default_kv_budget(backend, per_block, context_blocks, eo.max_seqs);
  auto blocks = kv::blocks_for_budget(per_block, budget, context_blocks);
  if (!blocks) return std::move(blocks).error().with_context("--kv-memory must hold one full context (--ctx-size)");
  log.info("KV cache: {} blocks of {} tokens ({} MiB, K {}, V {}), {} full contexts of {}", *blocks, eo.block_size,
           static_cast<size_t>(*blocks) * per_block >> 20, gguf::ggml_type_name(eo.kv_types.k),
           gguf::ggml_type_name(eo.kv_types.v), *blocks / context_blocks, eo.n_ctx);
  return blocks;
}

Result<server::ApiKey> api_key(const ServeOptions& o) {
  if (!o.api_key_file.empty()) return server::ApiKey::from_file(o.api_key_file);
  if (!o.api_key.empty()) return server::ApiKey::from_value(o.api_key);
  return server::ApiKey();
}

Status check(const ServeOptions& o) {
  if (o.port < 0 || o.port > 65535) return RF_ERROR(kInvalidArgument, "--port must be in [0, 65535], got {}", o.port);
  if (o.n_ctx < 0) return RF_ERROR(kInvalidArgument, "--ctx-size must not be negative");
  if (o.parallel <= 0 || o.max_queue <= 0) {
    return RF_ERROR(kInvalidArgument, "--parallel and --max-queue must be positive");
  }
  if (o.batch_size < 0) return RF_ERROR(kInvalidArgument, "--batch-size must not be negative");
  if (o.max_step_ms < -1) return RF_ERROR(kInvalidArgument, "--max-step-ms must not be negative");
  if (o.http_threads < 0) return RF_ERROR(kInvalidArgument, "--http-threads must not be negative");
  if (o.shutdown_timeout_s < 0) return RF_ERROR(kInvalidArgument, "--shutdown-timeout must not be negative");
  return ok();
}

Status serve(const ServeOptions& o) {
  RF_TRY(check(o));
  const backend::KvTypes kv_types = RF_TRY(parse_cache_types(o.cache_types));
  // Before any thread exists, so that every thread inherits the mask.
  RF_TRY(server::block_shutdown_signals());
  const core::Logger log(RF_TRY(core::parse_log_level(o.log_level)));
  server::HttpOptions http;
  http.host = o.host;
  http.port = o.port;
  http.routes.api_key = RF_TRY(api_key(o));
  http.routes.max_body_bytes = RF_TRY(parse_size(o.max_body_size, "--max-body-size"));
  http.shutdown_timeout = std::chrono::seconds(o.shutdown_timeout_s);
  http.n_threads = o.http_threads > 0 ? o.http_threads : static_cast<int>(o.parallel + o.max_queue + 8);

  // Serving batches unrelated requests: a request's output must not depend on them.
  auto backend = RF_TRY(make_backend(o.device, o.n_threads, log, !o.no_batch_invariant, o.parallel));
  auto model = RF_TRY(model::Model::load(o.model, *backend));
  auto tok = RF_TRY(tokenizer::Tokenizer::from_gguf(model->file()));
  const chat::ChatTemplate tmpl = RF_TRY(choose_template(model->file(), *tok, o.chat_template_file, o.chat_template));
  const model::ModelConfig& config = model->config();

  engine::EngineOptions eo;
  eo.n_ctx = o.n_ctx > 0 ? o.n_ctx : std::min(config.n_ctx_train, kDefaultContext);
  eo.max_seqs = o.parallel;
  eo.max_queue = o.max_queue;
  eo.max_batch_tokens = o.batch_size > 0 ? o.batch_size : default_batch_tokens(*backend);
  eo.sampling_threads = sampling_threads(*backend);
  eo.max_step_time = step_time_target(*backend, o.max_step_ms);
  // On the H200 a step of 2,000 prompt tokens beside 60 decodes took 73 ms,
  // the two apart 57 + 7 (bench/RESULTS-gpu-runs-15-32.md, run 23): on a GPU they alternate.
  eo.separate_prompt_steps = backend->memory_available().has_value() && !o.mixed_steps;
  eo.kv_types = kv_types;
  eo.prefix_caching = !o.no_prefix_cache;
  eo.n_kv_blocks = RF_TRY(kv_pool_blocks(o, *backend, config, eo, log));
  eo.logger = &log;
  server::Metrics metrics;
  eo.on_timing = [&metrics](const engine::TimingSample& sample) { metrics.observe(sample); };
  auto engine = RF_TRY(engine::Engine::create(*model, *tok, *backend, eo));

  server::ServedModel served;
  served.id = o.alias.empty() ? std::filesystem::path(o.model).stem().string() : o.alias;
  served.path = o.model;
  served.n_ctx = eo.n_ctx;
  served.n_vocab = tok->n_tokens();
  served.n_ctx_train = config.n_ctx_train;
  served.created = static_cast<int64_t>(std::time(nullptr));
  server::ServerContext ctx(*engine, *tok, tmpl, std::move(served), metrics, log);
  auto server = RF_TRY(server::HttpServer::bind(ctx, http));
  log.info("serving '{}' ({}, {} layers) on {}: context {}, {} sequences at once, queue {}, API key {}, "
           "batch-invariant {}",
           ctx.model.id, config.arch->name, config.n_layer, backend->name(), eo.n_ctx, eo.max_seqs, eo.max_queue,
           http.routes.api_key.required() ? "required" : "off", o.no_batch_invariant ? "off" : "on");
  return server->run();
}

}  // namespace

Subcommand add_serve_command(CLI::App& root) {
  auto opts = std::make_shared<ServeOptions>();
  ServeOptions& o = *opts;
  CLI::App* app = root.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  app->add_option("-m,--model", o.model, "GGUF model file")->required();
  app->add_option("--alias,--served-model-name", o.alias, "Model name clients use (default: the file name)");
  app->add_option("--host", o.host, "Address to listen on (0.0.0.0: every interface)");
  app->add_option("--port", o.port, "Port to listen on (0: any free port, printed at start)");
  CLI::Option* key = app->add_option("--api-key", o.api_key, "Require 'Authorization: Bearer KEY' (not on /health)");
  app->add_option("--api-key-file", o.api_key_file, "Read the API key from a file (keeps it out of ps)")->excludes(key);
  app->add_option("-c,--ctx-size", o.n_ctx, "Context per sequence (0: the model's, at most 4096)");
  app->add_option("--parallel", o.parallel,
                  "Sequences generating at once (on a GPU it also picks the batch-invariant decode kernels)");
  app->add_option("--max-queue", o.max_queue, "Requests waiting to start; past it requests get 429");
  app->add_option("-b,--batch-size", o.batch_size,
                  "Tokens per engine step, decodes plus prompt chunks (0: 2048 on a GPU, 512 on the CPU)");
  app->add_option("--kv-memory", o.kv_memory,
                  "KV cache size (512M, 4G; 0: on a GPU what the weights leave, on the CPU room for --parallel "
                  "full contexts, at most a quarter of RAM)");
  add_cache_type_flags(*app, o.cache_types);
  app->add_flag("--no-prefix-cache", o.no_prefix_cache, "Do not reuse the KV of repeated prompt prefixes");
  app->add_option("--max-step-ms", o.max_step_ms,
                  "Cap the prompt tokens of a step that running streams wait on so that it takes about this "
                  "long (learned from past steps; 0: no cap; default 80 on a GPU, 0 on the CPU)");
  app->add_flag("--mixed-steps", o.mixed_steps,
                "Let prompt chunks share a step with running decodes (the CPU's way; on a GPU they take turns, "
                "which measured faster)");
  app->add_flag("--no-batch-invariant", o.no_batch_invariant,
                "Let each step's size pick the fastest kernels: faster prompts and single-sequence decode, but "
                "a request's output may then depend on the requests it shares steps with");
  add_device_flags(*app, o.device);
  app->add_option("-t,--threads", o.n_threads, "CPU threads for the model");
  app->add_option("--http-threads", o.http_threads, "HTTP worker threads (0: --parallel + --max-queue + 8)");
  app->add_option("--chat-template", o.chat_template, "A built-in chat template instead of the model's");
  app->add_option("--chat-template-file", o.chat_template_file, "A Jinja chat template file instead of the model's");
  app->add_option("--max-body-size", o.max_body_size, "Largest request body (413 past it)");
  app->add_option("--shutdown-timeout", o.shutdown_timeout_s,
                  "Seconds running requests get to finish after SIGINT/SIGTERM");
  app->add_option("--log-level", o.log_level, "debug, info, warn, error or off");
  return {app, [opts] { return serve(*opts); }};
}

}  // namespace rocmforge::cli
