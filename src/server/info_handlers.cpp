#include "server/info_handlers.h"

#include <fmt/format.h>

#include "server/field_reader.h"
#include "server/http_reply.h"
#include "server/openai_request.h"

namespace rocmforge::server {
namespace {

Json model_object(const ServedModel& m) {
  Json o = Json::object();
  o["id"] = m.id;
  o["object"] = "model";
  o["created"] = m.created;
  o["owned_by"] = "rocmforge";
  o["max_model_len"] = m.n_ctx;
  o["meta"] = {{"n_vocab", m.n_vocab}, {"n_ctx_train", m.n_ctx_train}, {"n_ctx", m.n_ctx}};
  return o;
}

void send_field_error(httplib::Response& res, const Error& error, const FieldReader& fields) {
  send_error(res, api_error(error, fields.failed_param()));
}

// The value of the first of `keys` that is present.
Result<std::optional<std::string>> string_alias(FieldReader& f, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (auto v = RF_TRY(f.string(key))) return v;
  }
  return std::optional<std::string>();
}

Result<std::optional<bool>> bool_alias(FieldReader& f, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (auto v = RF_TRY(f.boolean(key))) return v;
  }
  return std::optional<bool>();
}

Result<Json> tokenize(const ServerContext& ctx, FieldReader& f) {
  const std::optional<std::string> text = RF_TRY(string_alias(f, {"content", "prompt"}));
  if (!text) return f.invalid("content", "missing required parameter: 'content' (or 'prompt')");
  const bool add_special = RF_TRY(bool_alias(f, {"add_special", "add_special_tokens"})).value_or(false);
  const bool with_pieces = RF_TRY(f.boolean("with_pieces")).value_or(false);
  auto ids = ctx.tokenizer.encode(*text, add_special, true);
  if (!ids) return f.invalid("content", fmt::format("cannot tokenize the content: {}", ids.error().message()));
  Json tokens = Json::array();
  for (const int32_t id : *ids) {
    if (with_pieces) {
      tokens.push_back({{"id", id}, {"piece", ctx.tokenizer.token_to_piece(id, true)}});
    } else {
      tokens.push_back(id);
    }
  }
  Json out = Json::object();
  out["tokens"] = std::move(tokens);
  out["count"] = ids->size();
  out["max_model_len"] = ctx.model.n_ctx;
  return out;
}

Result<Json> detokenize(const ServerContext& ctx, FieldReader& f) {
  const Json* tokens = f.find("tokens");
  if (!tokens) return f.invalid("tokens", "missing required parameter: 'tokens'");
  if (!tokens->is_array()) return f.type_error("tokens", "an array of token ids", *tokens);
  const TokenIds ids = RF_TRY(parse_token_ids(f, *tokens, "tokens", ctx.model.n_vocab));
  Json out = Json::object();
  out["content"] = ctx.tokenizer.decode(ids, false, true);
  return out;
}

template <class Fn>
void answer_json_body(std::string_view body, httplib::Response& res, Fn&& fn) {
  Result<Json> json = parse_json_body(body);
  if (!json) return send_error(res, api_error(json.error()));
  FieldReader fields(*json);
  Result<Json> out = fn(fields);
  if (!out) return send_field_error(res, out.error(), fields);
  send_json(res, 200, *out);
}

}  // namespace

void handle_health(const ServerContext& ctx, httplib::Response& res) {
  if (ctx.draining) return send_json(res, 503, {{"status", "shutting_down"}});
  send_json(res, 200, {{"status", "ok"}});
}

void handle_metrics(const ServerContext& ctx, httplib::Response& res) {
  res.status = 200;
  res.set_content(ctx.metrics.render(ctx.engine.stats()), "text/plain; version=0.0.4; charset=utf-8");
}

void handle_models(const ServerContext& ctx, httplib::Response& res) {
  send_json(res, 200, {{"object", "list"}, {"data", Json::array({model_object(ctx.model)})}});
}

void handle_model(const ServerContext& ctx, const std::string& model_id, httplib::Response& res) {
  if (model_id != ctx.model.id) {
    ApiError e = api_error(RF_ERROR(kNotFound, "the model '{}' does not exist", model_id), "model");
    e.code = "model_not_found";
    return send_error(res, e);
  }
  send_json(res, 200, model_object(ctx.model));
}

void handle_tokenize(const ServerContext& ctx, std::string_view body, httplib::Response& res) {
  answer_json_body(body, res, [&](FieldReader& f) { return tokenize(ctx, f); });
}

void handle_detokenize(const ServerContext& ctx, std::string_view body, httplib::Response& res) {
  answer_json_body(body, res, [&](FieldReader& f) { return detokenize(ctx, f); });
}

}  // namespace rocmforge::server
