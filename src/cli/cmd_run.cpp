// rocmforge run: generate text from a prompt, streaming it to stdout, with
// llama-cli's flags and defaults where they overlap.
#include <iostream>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/backend_choice.h"
#include "cli/cache_type_flags.h"
#include "cli/chat_loop.h"
#include "cli/command.h"
#include "cli/generation.h"
#include "engine/logprobs.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "model/forward.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string prompt;
  std::string prompt_file;
  int n_predict = -1;
  int n_threads = default_threads();
  int64_t n_ctx = 0;
  int64_t n_batch = 512;
  DeviceFlags device;
  CacheTypeFlags cache_types;
  bool ignore_eos = false;
  bool json = false;
  bool display_prompt = true;
  int top_logprobs = 0;
  int64_t seed = -1;
  bool chat = false;
  std::string system;
  std::string chat_template_file;
  std::string chat_template;
  engine::SamplingParams sampling;
  std::string log_level = "warn";
};

Result<std::string> read_prompt(const RunOptions& o) {
  if (o.prompt_file.empty()) return o.prompt;
  std::ifstream in(o.prompt_file, std::ios::binary);
  if (!in) return RF_ERROR(kNotFound, "cannot read prompt file '{}'", o.prompt_file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
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

Status run(RunOptions o) {
  const core::Logger log(RF_TRY(core::parse_log_level(o.log_level)));
  if (!o.prompt.empty() && !o.prompt_file.empty()) {
    return RF_ERROR(kInvalidArgument, "give the prompt with -p TEXT or -f FILE, not both");
  }
  const bool chat_mode = o.chat || !o.system.empty() || !o.chat_template.empty() || !o.chat_template_file.empty();
  if (!o.chat && o.prompt.empty() && o.prompt_file.empty()) {
    return RF_ERROR(kInvalidArgument, "give a prompt with -p TEXT or -f FILE (or talk with --chat)");
  }
  if (chat_mode && o.json) return RF_ERROR(kInvalidArgument, "--json does not go with chat mode");
  if (o.n_batch <= 0) return RF_ERROR(kInvalidArgument, "--batch-size must be positive");
  if (o.top_logprobs < 0) return RF_ERROR(kInvalidArgument, "--top-logprobs must not be negative");
  o.sampling.seed = o.seed < 0 ? engine::kRandomSeed : static_cast<uint64_t>(o.seed);
  RF_TRY(o.sampling.validate());
  const backend::KvTypes kv_types = RF_TRY(parse_cache_types(o.cache_types));
  const std::string prompt_text = RF_TRY(read_prompt(o));

  auto backend = RF_TRY(make_backend(o.device, o.n_threads, log));
  auto model = RF_TRY(model::Model::load(o.model, *backend));
  auto tok = RF_TRY(tokenizer::Tokenizer::from_gguf(model->file()));
  const model::ModelConfig& config = model->config();
  if (o.n_ctx < 0) return RF_ERROR(kInvalidArgument, "--ctx-size must not be negative");
  const int64_t n_ctx = o.n_ctx == 0 ? config.n_ctx_train : o.n_ctx;

  std::vector<int32_t> prompt;
  if (!chat_mode) {
    prompt = RF_TRY(tok->encode(prompt_text, true, true));
    if (prompt.empty()) return RF_ERROR(kInvalidArgument, "the prompt has no tokens");
    if (static_cast<int64_t>(prompt.size()) > n_ctx) {
      return RF_ERROR(kInvalidArgument, "the prompt has {} tokens, more than the context size {} (--ctx-size)",
                      prompt.size(), n_ctx);
    }
  }
  model::ForwardOptions fo;
  fo.max_batch_tokens = o.n_batch;
  fo.max_seqs = 1;
  fo.max_seq_len = n_ctx;
  fo.kv_types = kv_types;
  auto forward = RF_TRY(model::ForwardPass::create(config, model->weights(), *backend, fo));
  engine::Session session(*forward, n_ctx);
  engine::Sampler sampler = RF_TRY(engine::Sampler::create(o.sampling, static_cast<int32_t>(config.n_vocab),
                                                           static_cast<int32_t>(n_ctx)));
  log.info("model: {} ({}), {} layers, context {}, backend {}, seed {}", config.name, config.arch->name,
           config.n_layer, n_ctx, backend->name(), sampler.seed());

  const GenerateOptions gen{o.n_predict, o.ignore_eos, o.top_logprobs, !o.json};
  if (chat_mode) {
    const chat::ChatTemplate tmpl = RF_TRY(choose_template(model->file(), *tok, o.chat_template_file, o.chat_template));
    ChatOptions chat{o.system, std::nullopt, o.chat, gen};
    if (!prompt_text.empty()) chat.first_message = prompt_text;
    return run_chat(session, sampler, *tok, tmpl, chat, std::cin);
  }
  if (!o.json && o.display_prompt) RF_TRY(write_stdout(prompt_text));
  const Generation g = RF_TRY(generate(session, sampler, *tok, std::move(prompt), gen));
  if (o.json) {
    print_json(g);
  } else {
    RF_TRY(write_stdout("\n"));
  }
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
  add_device_flags(*app, o.device);
  add_cache_type_flags(*app, o.cache_types);
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
  app->add_flag("-i,--chat", o.chat, "Chat interactively with the model's chat template (one line per turn)");
  app->add_option("--system", o.system, "System message of the conversation (chat mode; -sys as in llama-cli)");
  app->add_option("--chat-template-file", o.chat_template_file, "Jinja chat template to use instead of the model's");
  app->add_option("--chat-template", o.chat_template, "Built-in chat format to use instead of the model's template");
  app->add_option("--log-level", o.log_level, "debug, info, warn, error or off");
  return {app, [opts] { return run(*opts); }};
}

}  // namespace rocmforge::cli
