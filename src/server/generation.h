// POST /v1/completions and /v1/chat/completions, end to end on one HTTP
// thread: parse and prepare the request, submit it, then answer with one
// JSON body or stream server-sent events as the engine produces them.
//
// A stream is written from inside a single call of httplib's content
// provider, which waits on the request's event channel. A failed write means
// the client went away: the request is cancelled at once, so the engine
// frees its KV blocks at its next step. (The peer's close shows on the first
// or second write after it, i.e. within two tokens; a non-streaming client
// that leaves is not noticed, and its request runs to its end.)
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "server/openai_response.h"
#include "server/server_context.h"

namespace rocmforge::server {

void handle_generation(ServerContext& ctx, Api api, const std::string& request_id, std::string_view body,
                       httplib::Response& res);

}  // namespace rocmforge::server
