// What the HTTP handlers share: the engine they submit to, the tokenizer
// and chat template they prepare prompts with (on the HTTP threads), the
// model they serve, metrics, the logger, and whether the server is draining.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "chat/chat_template.h"
#include "core/log.h"
#include "engine/engine.h"
#include "server/api_error.h"
#include "server/in_flight.h"
#include "server/metrics.h"
#include "server/request_id.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::server {

struct ServedModel {
  std::string id;    // the name clients use in "model" (--alias; by default the file's name without .gguf)
  std::string path;  // the GGUF path given on the command line: accepted as "model" too
  int64_t n_ctx = 0;
  int32_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t created = 0;  // Unix time the server started
};

struct ServerContext {
  ServerContext(engine::Engine& e, const tokenizer::Tokenizer& t, const chat::ChatTemplate& c, ServedModel m,
                Metrics& metrics_, const core::Logger& logger)
      : engine(e), tokenizer(t), chat_template(c), model(std::move(m)), metrics(metrics_), log(logger) {}

  ServerPhase phase() const { return draining.load() ? ServerPhase::kDraining : ServerPhase::kServing; }

  engine::Engine& engine;
  const tokenizer::Tokenizer& tokenizer;
  const chat::ChatTemplate& chat_template;
  const ServedModel model;
  Metrics& metrics;
  const core::Logger& log;
  RequestIds ids;
  InFlight in_flight;                 // generation requests being answered
  std::atomic<bool> draining{false};  // a shutdown began: no new generation requests
};

}  // namespace rocmforge::server
