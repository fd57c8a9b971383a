// rocmforge bench-serve: load an OpenAI-compatible server (rocmforge serve,
// llama-server, vLLM) with streaming completions and report throughput and
// latencies as vLLM's serving benchmark does. Prompts are random token ids
// (the completions endpoint takes them as OpenAI's does), so the input
// length is exact and no tokenizer is needed on the client.
#include <cstdio>
#include <fstream>
#include <limits>

#include "cli/bench_serve_report.h"
#include "cli/command.h"
#include "cli/serve_load.h"

namespace rocmforge::cli {
namespace {

struct BenchServeOptions {
  LoadOptions load;
  int64_t timeout_s = 600;
  std::string json_path;
};

Status bench_serve(BenchServeOptions o) {
  if (o.timeout_s <= 0) return RF_ERROR(kInvalidArgument, "--timeout must be positive");
  o.load.timeout = std::chrono::seconds(o.timeout_s);
  const LoadRun run = RF_TRY(run_load(o.load));
  const ServeReport report = make_report(run, o.load.request_rate);
  std::fputs(format_report(report).c_str(), stdout);
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << report_json(report).dump(2) << "\n";
    if (!out) return RF_ERROR(kIo, "cannot write '{}'", o.json_path);
  }
  if (report.completed == 0) return RF_ERROR(kIo, "no request succeeded: {}", report.first_error);
  return ok();
}

}  // namespace

Subcommand add_bench_serve_command(CLI::App& root) {
  auto opts = std::make_shared<BenchServeOptions>();
  LoadOptions& l = opts->load;
  CLI::App* app = root.add_subcommand("bench-serve", "Measure an OpenAI-compatible server under load (as vLLM's serving benchmark)");
  app->add_option("--url", l.url, "The server, e.g. http://127.0.0.1:8080")->required();
  app->add_option("-n,--num-prompts", l.n_requests, "Requests to send");
  app->add_option("--concurrency,--max-concurrency", l.concurrency, "Requests in flight at most (0: no bound)");
  app->add_option("--request-rate", l.request_rate, "Requests per second, Poisson arrivals (default: all at once)");
  app->add_option("--input-len", l.input_len, "Prompt tokens per request (random ids)");
  app->add_option("--output-len", l.output_len, "Tokens generated per request (ignore_eos)");
  app->add_option("--model", l.model, "Model name to send (default: the server's first)");
  app->add_option("--api-key", l.api_key, "Bearer key, when the server wants one");
  app->add_option("--vocab-size", l.vocab_size, "Draw prompt ids below this (default: the server's n_vocab)");
  app->add_option("--seed", l.seed, "Seed of the prompts and arrival times (default: a fresh one)");
  app->add_option("--warmup", l.warmup, "Requests sent before the clock starts");
  app->add_option("--timeout", opts->timeout_s, "Seconds a request may take");
  app->add_option("--json", opts->json_path, "Also write the results to this JSON file");
  return {app, [opts] { return bench_serve(*opts); }};
}

}  // namespace rocmforge::cli
