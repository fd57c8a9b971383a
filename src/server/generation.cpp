#include "server/generation.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "server/generation_request.h"
#include "server/http_reply.h"
#include "server/sse.h"

namespace rocmforge::server {
namespace {

// How long one wait on the event channel lasts (events end it at once), and
// so how often a waiting answer looks whether its client is still there.
constexpr auto kProbeInterval = std::chrono::milliseconds(250);

std::string_view api_name(Api api) { return api == Api::kChat ? "chat" : "completions"; }

std::string millis(std::optional<double> seconds) {
  return seconds ? fmt::format("{:.1f}", *seconds * 1e3) : std::string("-");
}

void log_finish(const ServerContext& ctx, const std::string& id, Api api, bool stream, const engine::Finish& f) {
  ctx.log.info("request id={} api={} stream={} finish={} prompt_tokens={} cached_tokens={} completion_tokens={} "
               "queue_ms={} ttft_ms={} e2e_ms={}{}",
               id, api_name(api), stream, engine::finish_reason_name(f.reason), f.usage.prompt_tokens,
               f.usage.cached_prompt_tokens, f.usage.completion_tokens, millis(f.timings.queue_s),
               millis(f.timings.time_to_first_token_s), millis(f.timings.end_to_end_s),
               f.error ? fmt::format(" error=\"{}\"", f.error->message()) : std::string());
}

bool finished_normally(const engine::Finish& f) {
  return f.reason == engine::FinishReason::kStop || f.reason == engine::FinishReason::kLength;
}

ApiError finish_error(const ServerContext& ctx, const engine::Finish& f) {
  return api_error(f.error ? *f.error : RF_ERROR(kInternal, "the request ended without a reason"), std::nullopt,
                   ctx.phase());
}

// A request's events, waited for while its client is watched: every
// kProbeInterval of the wait, `alive` is asked whether the client is still
// there (see generation.h).
class WatchedEvents {
 public:
  WatchedEvents(engine::RequestHandle& handle, std::function<bool()> alive)
      : handle_(handle), alive_(std::move(alive)) {}

  // The next event; nullopt once the stream has ended without one, or once
  // `alive` has said no (client_gone() tells which).
  std::optional<engine::Event> next() {
    while (!handle_.done()) {
      if (std::chrono::steady_clock::now() >= probe_at_) {
        if (!alive_()) {
          gone_ = true;
          return std::nullopt;
        }
        probe_at_ = std::chrono::steady_clock::now() + kProbeInterval;
      }
      if (std::optional<engine::Event> e = handle_.next(kProbeInterval)) return e;
    }
    return std::nullopt;
  }
  bool client_gone() const { return gone_; }

 private:
  engine::RequestHandle& handle_;
  std::function<bool()> alive_;
  std::chrono::steady_clock::time_point probe_at_ = std::chrono::steady_clock::now() + kProbeInterval;
  bool gone_ = false;
};

// The events of a request collected into `builder` until its finish;
// nullopt when its client has gone first.
std::optional<engine::Finish> collect(WatchedEvents& events, ResponseBuilder& builder) {
  while (std::optional<engine::Event> e = events.next()) {
    builder.append(*e);
    if (e->finish) return std::move(e->finish);
  }
  if (events.client_gone()) return std::nullopt;
  engine::Finish lost;
  lost.reason = engine::FinishReason::kError;
  lost.error = RF_ERROR(kInternal, "the request's stream ended without a finish");
  return lost;
}

// HTTP/1.0 has no chunked framing: its clients get the whole body with its
// length and status as it is known, and are not watched while they wait.
void answer_whole_with_length(ServerContext& ctx, const std::string& id, Api api, engine::RequestHandle& handle,
                              ResponseBuilder& builder, httplib::Response& res) {
  WatchedEvents events(handle, [] { return true; });
  const std::optional<engine::Finish> f = collect(events, builder);
  log_finish(ctx, id, api, false, *f);
  if (finished_normally(*f)) return send_json(res, 200, builder.body(*f));
  send_error(res, finish_error(ctx, *f));
}

// A generation answered from httplib's content provider, streamed or whole.
struct Answer {
  ServerContext& ctx;
  std::string id;
  Api api;
  bool stream;
  std::shared_ptr<engine::RequestHandle> handle;
  ResponseBuilder builder;
  InFlight::Ticket ticket;  // counted in flight until the answer is written
};

bool write_event(httplib::DataSink& sink, std::string_view payload) {
  const std::string event = sse_event(payload);
  return sink.write(event.data(), event.size());
}

bool client_gone(Answer& a) {
  a.handle->cancel();
  a.ctx.log.info("request id={} api={} stream={} finish=client_disconnected", a.id, api_name(a.api), a.stream);
  return false;
}

// The whole stream, in one call of the content provider (see generation.h).
bool run_stream(Answer& s, httplib::DataSink& sink) {
  for (const Json& chunk : s.builder.stream_start()) {
    if (!write_event(sink, dump_json(chunk))) return client_gone(s);
  }
  // Watched as a whole answer is: a client that leaves before the first
  // token (queued, or in a long prefill) is seen without a write.
  WatchedEvents events(*s.handle, [&sink] { return sink.is_writable(); });
  while (std::optional<engine::Event> e = events.next()) {
    for (const Json& chunk : s.builder.stream_event(*e)) {
      if (!write_event(sink, dump_json(chunk))) return client_gone(s);
    }
    if (!e->finish) continue;
    log_finish(s.ctx, s.id, s.api, true, *e->finish);
    bool written = true;
    if (finished_normally(*e->finish)) {
      for (const Json& chunk : s.builder.stream_finish(*e->finish)) written = written && write_event(sink, dump_json(chunk));
    } else {
      // The 200 is already sent: the error travels as an event, as vLLM sends it.
      written = write_event(sink, error_body(finish_error(s.ctx, *e->finish)));
    }
    if (!written || !write_event(sink, kSseDone)) return client_gone(s);
    sink.done();
    return true;
  }
  if (events.client_gone()) return client_gone(s);
  if (!write_event(sink, error_body(api_error(RF_ERROR(kInternal, "the request's stream ended without a finish"))))) {
    return client_gone(s);
  }
  sink.done();
  return true;
}

// The whole answer, in one call of the content provider (see generation.h).
bool run_whole(Answer& a, httplib::DataSink& sink) {
  WatchedEvents events(*a.handle, [&sink] { return sink.is_writable(); });
  const std::optional<engine::Finish> f = collect(events, a.builder);
  if (!f) return client_gone(a);
  log_finish(a.ctx, a.id, a.api, false, *f);
  // The 200 is already sent: a failure is told by the error body alone.
  const std::string body = finished_normally(*f) ? dump_json(a.builder.body(*f)) : error_body(finish_error(a.ctx, *f));
  if (!sink.write(body.data(), body.size())) return client_gone(a);
  sink.done();
  return true;
}

void reject(const ServerContext& ctx, const std::string& id, const ApiError& error, httplib::Response& res) {
  ctx.log.info("request id={} rejected status={} error=\"{}\"", id, error.status, error.message);
  send_error(res, error);
}

}  // namespace

void handle_generation(ServerContext& ctx, Api api, const std::string& request_id, std::string_view http_version,
                       std::string_view body, httplib::Response& res) {
  // Counted before the drain check, so a shutdown that found nothing in
  // flight can never be followed by a request it did not wait for.
  InFlight::Ticket ticket = ctx.in_flight.enter();
  if (ctx.draining) {
    return reject(ctx, request_id, api_error(RF_ERROR(kCapacity, "draining"), std::nullopt, ServerPhase::kDraining), res);
  }
  Result<Json> json = parse_json_body(body);
  if (!json) return reject(ctx, request_id, api_error(json.error()), res);
  FieldReader fields(*json);
  Result<PreparedGeneration> prepared = prepare_generation(ctx, api, fields, request_id);
  if (!prepared) {
    ApiError error = api_error(prepared.error(), fields.failed_param(), ctx.phase());
    if (fields.failed_code()) error.code = fields.failed_code();
    return reject(ctx, request_id, error, res);
  }
  const bool stream = prepared->stream;
  ResponseBuilder builder(std::move(prepared->shape), ctx.tokenizer);
  Result<std::shared_ptr<engine::RequestHandle>> handle = ctx.engine.submit(std::move(prepared->request));
  if (!handle) return reject(ctx, request_id, api_error(handle.error(), std::nullopt, ctx.phase()), res);
  if (!stream && http_version == "HTTP/1.0") {
    return answer_whole_with_length(ctx, request_id, api, **handle, builder, res);
  }

  auto answer = std::make_shared<Answer>(
      Answer{ctx, request_id, api, stream, std::move(*handle), std::move(builder), std::move(ticket)});
  res.status = 200;
  if (stream) res.set_header("Cache-Control", "no-cache");
  // A stream is exactly "text/event-stream": httplib compresses other text types, which would hold chunks back.
  res.set_chunked_content_provider(
      stream ? "text/event-stream" : "application/json",
      [answer](size_t, httplib::DataSink& sink) {
        return answer->stream ? run_stream(*answer, sink) : run_whole(*answer, sink);
      },
      [answer](bool success) {
        if (!success) answer->handle->cancel();
      });
}

}  // namespace rocmforge::server
