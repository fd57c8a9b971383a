#include "server/generation.h"

#include <chrono>
#include <memory>
#include <optional>

#include "server/generation_request.h"
#include "server/http_reply.h"
#include "server/sse.h"

namespace rocmforge::server {
namespace {

// How long one wait on the event channel lasts; events end it at once.
constexpr auto kEventWait = std::chrono::milliseconds(500);

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

// Waits for the stream's next event; nullopt once it has ended without one.
std::optional<engine::Event> next_event(engine::RequestHandle& handle) {
  while (!handle.done()) {
    if (std::optional<engine::Event> e = handle.next(kEventWait)) return e;
  }
  return std::nullopt;
}

void answer_whole(ServerContext& ctx, const std::string& id, Api api, engine::RequestHandle& handle,
                  ResponseBuilder& builder, httplib::Response& res) {
  while (std::optional<engine::Event> e = next_event(handle)) {
    builder.append(*e);
    if (!e->finish) continue;
    log_finish(ctx, id, api, false, *e->finish);
    if (finished_normally(*e->finish)) return send_json(res, 200, builder.body(*e->finish));
    return send_error(res, finish_error(ctx, *e->finish));
  }
  send_error(res, api_error(RF_ERROR(kInternal, "the request's stream ended without a finish")));
}

struct Stream {
  ServerContext& ctx;
  std::string id;
  Api api;
  std::shared_ptr<engine::RequestHandle> handle;
  ResponseBuilder builder;
  InFlight::Ticket ticket;  // counted in flight until the stream is written
};

bool write_event(httplib::DataSink& sink, std::string_view payload) {
  const std::string event = sse_event(payload);
  return sink.write(event.data(), event.size());
}

bool client_gone(Stream& s) {
  s.handle->cancel();
  s.ctx.log.info("request id={} api={} stream=true finish=client_disconnected", s.id, api_name(s.api));
  return false;
}

// The whole stream, in one call of the content provider (see generation.h).
bool run_stream(Stream& s, httplib::DataSink& sink) {
  for (const Json& chunk : s.builder.stream_start()) {
    if (!write_event(sink, dump_json(chunk))) return client_gone(s);
  }
  while (std::optional<engine::Event> e = next_event(*s.handle)) {
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
  if (!write_event(sink, error_body(api_error(RF_ERROR(kInternal, "the request's stream ended without a finish"))))) {
    return client_gone(s);
  }
  sink.done();
  return true;
}

void reject(const ServerContext& ctx, const std::string& id, const ApiError& error, httplib::Response& res) {
  ctx.log.info("request id={} rejected status={} error=\"{}\"", id, error.status, error.message);
  send_error(res, error);
}

}  // namespace

void handle_generation(ServerContext& ctx, Api api, const std::string& request_id, std::string_view body,
                       httplib::Response& res) {
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
  if (!stream) return answer_whole(ctx, request_id, api, **handle, builder, res);

  auto state = std::make_shared<Stream>(Stream{ctx, request_id, api, std::move(*handle), std::move(builder), std::move(ticket)});
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  // Exactly "text/event-stream": httplib compresses other text types, which would hold chunks back.
  res.set_chunked_content_provider(
      "text/event-stream", [state](size_t, httplib::DataSink& sink) { return run_stream(*state, sink); },
      [state](bool success) {
        if (!success) state->handle->cancel();
      });
}

}  // namespace rocmforge::server
