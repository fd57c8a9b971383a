// The endpoints that do not generate: /health, /metrics, /v1/models,
// /tokenize and /detokenize (llama-server's shapes, with vLLM's field names
// accepted too).
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "server/server_context.h"

namespace rocmforge::server {

// 200 {"status": "ok"}; 503 {"status": "shutting_down"} while draining, so
// a load balancer stops sending requests.
void handle_health(const ServerContext& ctx, httplib::Response& res);
// Prometheus text format.
void handle_metrics(const ServerContext& ctx, httplib::Response& res);
// {"object": "list", "data": [model]}; the model object carries
// max_model_len and llama-server's "meta" (n_vocab, n_ctx_train, n_ctx).
void handle_models(const ServerContext& ctx, httplib::Response& res);
void handle_model(const ServerContext& ctx, const std::string& model_id, httplib::Response& res);
// {"content" | "prompt": text, "add_special" | "add_special_tokens": false,
// "with_pieces": false} → {"tokens": [...], "count": n, "max_model_len": n_ctx}.
// Special tokens written in the text are parsed.
void handle_tokenize(const ServerContext& ctx, std::string_view body, httplib::Response& res);
// {"tokens": [ids]} → {"content": text}, special tokens rendered.
void handle_detokenize(const ServerContext& ctx, std::string_view body, httplib::Response& res);

}  // namespace rocmforge::server
