// rocmforge run: generate text from a prompt, streaming it to stdout, with
// llama-cli's flags and defaults where they overlap.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/backend_choice.h"
#include "cli/command.h"
#include "engine/logprobs.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "model/forward.h"
#include "model/model.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct RunOptions {
  std::string model;
  std::string prompt;
  std::string prompt_file;
  int n_predict = -1;
  int n_threads = default_threads();
  int64_t n_ctx = 0;
  int64_t n_batch = 512;
  std::string device = "auto";
  std::string cache_type = "f16";
  bool ignore_eos = false;
  bool json = false;
  bool display_prompt = true;
  int top_logprobs = 0;
  int64_t seed = -1;
  engine::SamplingParams sampling;
  std::string log_level = "warn";
};

struct Generation {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;
  std::string text;
  std::vector<std::vector<engine::TokenLogprob>> top_logprobs;
  double prompt_seconds = 0.0;
  double gen_seconds = 0.0;
  std::string stop_reason = "length";
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Result<std::string> read_prompt(const RunOptions& o) {
  if (o.prompt_file.empty()) return o.prompt;
  std::ifstream in(o.prompt_file, std::ios::binary);
  if (!in) return RF_ERROR(kNotFound, "cannot read prompt file '{}'", o.prompt_file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status write_stdout(std::string_view text) {
  if (text.empty()) return ok();
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return RF_ERROR(kIo, "cannot write to stdout");
  }
  return ok();
}

// The generation loop: prompt as one batch (in chunks), then one token per step.
Result<Generation> generate(const RunOptions& o, engine::Session& session, engine::Sampler& sampler,
                            const tokenizer::Tokenizer& tok, std::string_view prompt_text,
                            std::vector<int32_t> prompt) {
  Generation g;
  g.prompt_tokens = std::move(prompt);
  const bool stream = !o.json;
  if (stream && o.display_prompt) {
    RF_TRY(write_stdout(prompt_text));
  }
  RF_TRY(sampler.accept(g.prompt_tokens));
  const auto prompt_start = Clock::now();
  std::span<const float> logits = RF_TRY(session.append(g.prompt_tokens));
  g.prompt_seconds = seconds_since(prompt_start);

  tokenizer::IncrementalDetokenizer detok(tok, {.render_special = false, .continues_text = true});
  const auto gen_start = Clock::now();
  const int64_t budget = o.n_predict < 0 ? session.n_ctx() - session.n_past() : o.n_predict;
  for (int64_t i = 0; i < budget; ++i) {
    if (o.top_logprobs > 0) g.top_logprobs.push_back(engine::top_logprobs(logits, o.top_logprobs));
    const int32_t token = sampler.sample(logits);
    if (!o.ignore_eos && tok.is_eog(token)) {
      g.stop_reason = "eos";
      if (o.top_logprobs > 0) g.top_logprobs.pop_back();
      break;
    }
    g.tokens.push_back(token);
    RF_TRY(sampler.accept(token));
    const std::string piece = detok.push(token);
    g.text += piece;
    if (stream) RF_TRY(write_stdout(piece));
    if (i + 1 == budget) break;
    if (session.n_past() >= session.n_ctx()) {
      g.stop_reason = "context";
      break;
    }
    logits = RF_TRY(session.append(std::span<const int32_t>(&token, 1)));
  }
  const std::string rest = detok.flush();
  g.text += rest;
  if (stream) RF_TRY(write_stdout(rest + "\n"));
  g.gen_seconds = seconds_since(gen_start);
  return g;
}

void print_json(const Generation& g) {
  nlohmann::json out;
  out["prompt_tokens"] = g.prompt_tokens;
  out["tokens"] = g.tokens;
  out["text"] = g.text;
  out["stop_reason"] = g.stop_reason;
  const double n_gen = static_cast<double>(g.tokens.size());
  out["timings"] = {
      {"prompt_tps", g.prompt_seconds > 0 ? static_cast<double>(g.prompt_tokens.size()) / g.prompt_seconds : 0.0},
      {"gen_tps", g.gen_seconds > 0 ? n_gen / g.gen_seconds : 0.0},
      {"prompt_ms", g.prompt_seconds * 1e3},
      {"gen_ms", g.gen_seconds * 1e3}};
  if (!g.top_logprobs.empty()) {
    nlohmann::json positions = nlohmann::json::array();
    for (const auto& row : g.top_logprobs) {
      nlohmann::json entries = nlohmann::json::array();
      for (const engine::TokenLogprob& e : row) entries.push_back({{"id", e.token}, {"logprob", e.logprob}});
      positions.push_back(std::move(entries));
    }
    out["top_logprobs"] = std::move(positions);
  }
  // Invalid UTF-8 in generated text is replaced rather than failing the dump.
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void print_speed(const Generation& g) {
  auto line = [](const char* what, size_t n, double s) {
    std::fprintf(stderr, "%-10s %6zu tokens in %8.2f ms = %9.2f tokens/s\n", what, n, s * 1e3,
                 s > 0 ? static_cast<double>(n) / s : 0.0);
  };
  line("prompt:", g.prompt_tokens.size(), g.prompt_seconds);
  line("generation:", g.tokens.size(), g.gen_seconds);
}

Result<gguf::GgmlType> parse_cache_type(const std::string& name) {
  if (name == "f16") return gguf::GgmlType::kF16;
  if (name == "f32") return gguf::GgmlType::kF32;
  return RF_ERROR(kInvalidArgument, "--cache-type must be f16 or f32, got '{}'", name);
}

Status run(RunOptions o) {
  const core::Logger log(RF_TRY(core::parse_log_level(o.log_level)));
  if (o.prompt.empty() == o.prompt_file.empty()) {
    return RF_ERROR(kInvalidArgument, "give a prompt with -p TEXT or -f FILE (one of them)");
  }
  if (o.n_batch <= 0) return RF_ERROR(kInvalidArgument, "--batch-size must be positive");
  if (o.top_logprobs < 0) return RF_ERROR(kInvalidArgument, "--top-logprobs must not be negative");
  o.sampling.seed = o.seed < 0 ? engine::kRandomSeed : static_cast<uint64_t>(o.seed);
  RF_TRY(o.sampling.validate());
  const gguf::GgmlType kv_type = RF_TRY(parse_cache_type(o.cache_type));
  const std::string prompt_text = RF_TRY(read_prompt(o));

  auto backend = RF_TRY(make_backend(o.device, o.n_threads, log));
  auto model = RF_TRY(model::Model::load(o.model, *backend));
  auto tok = RF_TRY(tokenizer::Tokenizer::from_gguf(model->file()));
  const model::ModelConfig& config = model->config();
  if (o.n_ctx < 0) return RF_ERROR(kInvalidArgument, "--ctx-size must not be negative");
  const int64_t n_ctx = o.n_ctx == 0 ? config.n_ctx_train : o.n_ctx;

  std::vector<int32_t> prompt = RF_TRY(tok->encode(prompt_text, true, true));
  if (prompt.empty()) return RF_ERROR(kInvalidArgument, "the prompt has no tokens");
  if (static_cast<int64_t>(prompt.size()) > n_ctx) {
    return RF_ERROR(kInvalidArgument, "the prompt has {} tokens, more than the context size {} (--ctx-size)",
                    prompt.size(), n_ctx);
  }
  model::ForwardOptions fo;
  fo.max_batch_tokens = o.n_batch;
  fo.max_seqs = 1;
  fo.max_seq_len = n_ctx;
  fo.kv_type = kv_type;
  auto forward = RF_TRY(model::ForwardPass::create(config, model->weights(), *backend, fo));
  engine::Session session(*forward, n_ctx);
  engine::Sampler sampler = RF_TRY(engine::Sampler::create(o.sampling, static_cast<int32_t>(config.n_vocab),
                                                           static_cast<int32_t>(n_ctx)));
  log.info("model: {} ({}), {} layers, context {}, backend {}, seed {}", config.name, config.arch->name,
           config.n_layer, n_ctx, backend->name(), sampler.seed());

  const Generation g = RF_TRY(generate(o, session, sampler, *tok, prompt_text, std::move(prompt)));
  if (o.json) print_json(g);
  print_speed(g);
  return ok();
}

}  // namespace

Subcommand add_run_command(CLI::App& root) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* app = root.add_subcommand("run", "Generate text from a prompt");
  RunOptions& o = *opts;
  engine::SamplingParams& s = o.sampling;
  app->add_option("-m,--model", o.model, "GGUF model file")->required();
  app->add_option("-p,--prompt", o.prompt, "Prompt text");
  app->add_option("-f,--file", o.prompt_file, "Read the prompt from a file");
  app->add_option("-n,--n-predict", o.n_predict, "Tokens to generate (-1: until end of sequence or context)");
  app->add_option("-t,--threads", o.n_threads, "CPU threads");
  app->add_option("-c,--ctx-size", o.n_ctx, "Context size (0: the model's training context)");
  app->add_option("-b,--batch-size", o.n_batch, "Prompt tokens per forward step");
  app->add_option("--device", o.device, "cpu, gpu or auto");
  app->add_option("--cache-type", o.cache_type, "KV cache type: f16 or f32");
  app->add_option("--temp", s.temperature, "Temperature (<= 0: greedy)");
  app->add_option("--top-k", s.top_k, "Top-k sampling (<= 0: off)");
  app->add_option("--top-p", s.top_p, "Top-p sampling (1: off)");
  app->add_option("--min-p", s.min_p, "Min-p sampling (0: off)");
  app->add_option("--repeat-penalty", s.repeat_penalty, "Repetition penalty (1: off)");
  app->add_option("--repeat-last-n", s.repeat_last_n, "Tokens the penalties look back over (-1: context)");
  app->add_option("--presence-penalty", s.presence_penalty, "Presence penalty");
  app->add_option("--frequency-penalty", s.frequency_penalty, "Frequency penalty");
  app->add_option("-s,--seed", o.seed, "Random seed (-1: random)");
  app->add_flag("--ignore-eos", o.ignore_eos, "Keep generating after end of sequence");
  app->add_flag("--json", o.json, "Print one JSON object instead of streaming text");
  app->add_option("--top-logprobs", o.top_logprobs, "With --json: the K most likely tokens at each step");
  app->add_flag("!--no-display-prompt", o.display_prompt, "Do not echo the prompt");
  app->add_option("--log-level", o.log_level, "debug, info, warn, error or off");
  return {app, [opts] { return run(*opts); }};
}

}  // namespace rocmforge::cli
