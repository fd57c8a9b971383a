// POST /v1/completions and /v1/chat/completions, end to end on one HTTP
// thread: parse and prepare the request, submit it, then answer with one
// JSON body or stream server-sent events as the engine produces them.
//
// Both are written from inside a single call of httplib's content
// provider, which waits on the request's event channel; the handler itself
// cannot see the connection (httplib 0.11 gives it no socket). While it
// waits for events, either kind asks the DataSink every 250 ms whether the
// socket is still writable, which in httplib 0.11 also peeks at it (recv
// MSG_PEEK): the peer's close or reset shows there without a byte written,
// so a whole answer (which writes nothing until its end) and a stream still
// queued or in a long prefill see their client leave. (A full send buffer,
// a client reading slowly, makes the probe wait up to the write timeout, as
// a write would.) A stream also learns it from a failed write, on the first
// or second write after the peer's close. Either way the request is
// cancelled at once and the engine frees its queue slot or KV blocks at its
// next step.
//
// A whole answer goes out chunked, its 200 sent before the result is known:
// errors found before the engine takes the request keep their status, but a
// request that fails later (shutdown's deadline, a forward error) is
// answered 200 with the OpenAI error body ({"error": {...}}) as the body.
// HTTP/1.0 has no chunked framing: such clients get the whole body with its
// length and real status, as before, without the watch.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "server/openai_response.h"
#include "server/server_context.h"

namespace rocmforge::server {

// `http_version` is the request's ("HTTP/1.1" or "HTTP/1.0").
void handle_generation(ServerContext& ctx, Api api, const std::string& request_id, std::string_view http_version,
                       std::string_view body, httplib::Response& res);

}  // namespace rocmforge::server
