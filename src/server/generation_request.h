// From a parsed completions or chat request to what the engine runs: the
// model name checked, the chat template rendered, the prompt tokenized and
// checked against the context, defaults applied. Runs on the HTTP thread.
#pragma once

#include <string>

#include "engine/request.h"
#include "server/field_reader.h"
#include "server/openai_response.h"
#include "server/server_context.h"

namespace rocmforge::server {

struct PreparedGeneration {
  engine::Request request;
  ResponseShape shape;
  bool stream = false;
};

// Errors name the field at fault through `fields` (failed_param(), failed_code()).
Result<PreparedGeneration> prepare_generation(const ServerContext& ctx, Api api, FieldReader& fields,
                                              const std::string& request_id);

}  // namespace rocmforge::server
