#include "cli/serve_load.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/sse.h"

namespace rocmforge::cli {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int64_t kMaxThreads = 1024;  // clients in flight when neither a concurrency nor a rate bounds them

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::unique_ptr<httplib::Client> make_client(const LoadOptions& o) {
  auto c = std::make_unique<httplib::Client>(o.url);
  c->set_connection_timeout(std::chrono::seconds(10));
  c->set_read_timeout(o.timeout);
  c->set_write_timeout(o.timeout);
  c->set_keep_alive(true);
  // httplib writes the headers and the body apart: with Nagle's algorithm the
  // body would wait for the server's delayed ACK (40 ms on Linux).
  c->set_tcp_nodelay(true);
  if (!o.api_key.empty()) c->set_bearer_token_auth(o.api_key);
  return c;
}

// The model and vocabulary size from /v1/models, for what the options leave open.
Status ask_server(LoadOptions& o) {
  if (!o.model.empty() && o.vocab_size > 0) return ok();
  auto c = make_client(o);
  const httplib::Result r = c->Get("/v1/models");
  if (!r) return RF_ERROR(kIo, "cannot reach {}: {}", o.url, httplib::to_string(r.error()));
  if (r->status != 200) return RF_ERROR(kIo, "{}/v1/models answered {}: {}", o.url, r->status, r->body);
  const json models = json::parse(r->body, nullptr, false);
  if (models.is_discarded() || !models.contains("data") || !models["data"].is_array() || models["data"].empty()) {
    return RF_ERROR(kParse, "{}/v1/models lists no model", o.url);
  }
  const json& first = models["data"][0];
  if (o.model.empty() && first.contains("id") && first["id"].is_string()) o.model = first["id"].get<std::string>();
  if (o.vocab_size <= 0) {
    const json* n_vocab = first.contains("meta") ? &first["meta"] : nullptr;
    if (!n_vocab || !n_vocab->contains("n_vocab") || !(*n_vocab)["n_vocab"].is_number_integer()) {
      return RF_ERROR(kInvalidArgument, "the server does not say its vocabulary size: give --vocab-size");
    }
    o.vocab_size = (*n_vocab)["n_vocab"].get<int32_t>();
  }
  return ok();
}

std::string request_body(const LoadOptions& o, std::mt19937_64& rng) {
  std::uniform_int_distribution<int32_t> pick(0, o.vocab_size - 1);
  json prompt = json::array();
  for (int64_t i = 0; i < o.input_len; ++i) prompt.push_back(pick(rng));
  return json({{"model", o.model},
               {"prompt", std::move(prompt)},
               {"max_tokens", o.output_len},
               {"temperature", 0},
               {"ignore_eos", true},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}}})
      .dump();
}

// Whether a completion chunk carries generated text.
bool carries_text(const json& chunk) {
  if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return false;
  const json& choice = chunk["choices"][0];
  const json* text = choice.contains("text") ? &choice["text"] : nullptr;
  if (!text && choice.contains("delta") && choice["delta"].contains("content")) text = &choice["delta"]["content"];
  return text && text->is_string() && !text->get<std::string>().empty();
}

RequestRecord send_one(httplib::Client& client, const std::string& body, int64_t input_len) {
  RequestRecord rec;
  rec.prompt_tokens = input_len;
  server::SseReader reader;
  std::optional<Clock::time_point> last;
  std::optional<int64_t> usage_tokens;
  int64_t text_chunks = 0;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = body;
  req.set_header("Content-Type", "application/json");
  const Clock::time_point start = Clock::now();
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    const Clock::time_point now = Clock::now();
    reader.feed(std::string_view(data, n));
    while (std::optional<std::string> event = reader.next()) {
      const json chunk = json::parse(*event, nullptr, false);
      if (chunk.is_discarded()) continue;  // [DONE]
      if (chunk.contains("error")) rec.error = chunk["error"].value("message", std::string("error event"));
      if (chunk.contains("usage") && chunk["usage"].is_object()) {
        usage_tokens = chunk["usage"].value("completion_tokens", int64_t{0});
      }
      if (!carries_text(chunk)) continue;
      ++text_chunks;
      if (last) {
        rec.itl_s.push_back(seconds(now - *last));
      } else {
        rec.ttft_s = seconds(now - start);
      }
      last = now;
    }
    return true;
  };
  const httplib::Result r = client.send(req);
  rec.e2e_s = seconds(Clock::now() - start);
  if (!r) {
    rec.error = httplib::to_string(r.error());
  } else if (r->status != 200) {
    rec.error = "HTTP " + std::to_string(r->status);
  } else if (text_chunks == 0 && rec.error.empty()) {
    // Tokens may come and render as no text (a random model stuck on control tokens): say so.
    rec.error = usage_tokens.value_or(0) > 0 ? "the stream carried no text (" + std::to_string(*usage_tokens) +
                                                   " generated tokens rendered as none)"
                                             : "the stream carried no text";
  }
  rec.output_tokens = usage_tokens.value_or(text_chunks);
  rec.ok = rec.error.empty();
  return rec;
}

Status check(const LoadOptions& o) {
  if (o.n_requests <= 0 || o.input_len <= 0 || o.output_len <= 0) {
    return RF_ERROR(kInvalidArgument, "the request count, input length and output length must be positive");
  }
  if (o.concurrency < 0 || o.warmup < 0) return RF_ERROR(kInvalidArgument, "--concurrency and --warmup must not be negative");
  if (!(o.request_rate > 0.0)) return RF_ERROR(kInvalidArgument, "--request-rate must be positive");
  if (!httplib::Client(o.url).is_valid()) return RF_ERROR(kInvalidArgument, "'{}' is not an http(s) URL", o.url);
  return ok();
}

}  // namespace

Result<LoadRun> run_load(LoadOptions o) {
  RF_TRY(check(o));
  RF_TRY(ask_server(o));
  const uint64_t seed = o.seed.value_or((uint64_t{std::random_device()()} << 32) | std::random_device()());
  std::mt19937_64 rng(seed);
  std::vector<std::string> bodies;
  for (int64_t i = 0; i < o.warmup + o.n_requests; ++i) bodies.push_back(request_body(o, rng));
  {
    auto client = make_client(o);
    for (int64_t i = 0; i < o.warmup; ++i) {
      const RequestRecord w = send_one(*client, bodies[static_cast<size_t>(i)], o.input_len);
      if (!w.ok) return RF_ERROR(kIo, "the warm-up request failed: {}", w.error);
    }
  }
  // Arrival offsets: Poisson at the rate, or all at once.
  std::vector<double> arrivals(static_cast<size_t>(o.n_requests), 0.0);
  if (std::isfinite(o.request_rate)) {
    std::exponential_distribution<double> gap(o.request_rate);
    double t = 0.0;
    for (double& a : arrivals) a = t += gap(rng);
  }
  LoadRun run;
  run.model = o.model;
  run.seed = seed;
  run.concurrency = o.concurrency;
  const int64_t n_workers = std::min({o.concurrency > 0 ? o.concurrency : o.n_requests, o.n_requests, kMaxThreads});
  run.records.resize(static_cast<size_t>(o.n_requests));
  std::atomic<int64_t> next{0};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  // A worker per request in flight; requests go out in arrival order, each
  // no earlier than its arrival time.
  for (int64_t w = 0; w < n_workers; ++w) {
    workers.emplace_back([&] {
      auto client = make_client(o);
      for (int64_t i = next++; i < o.n_requests; i = next++) {
        const auto idx = static_cast<size_t>(i);
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(arrivals[idx])));
        run.records[idx] = send_one(*client, bodies[static_cast<size_t>(o.warmup) + idx], o.input_len);
      }
    });
  }
  for (std::thread& t : workers) t.join();
  run.duration_s = seconds(Clock::now() - start);
  return run;
}

}  // namespace rocmforge::cli
