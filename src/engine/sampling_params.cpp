#include "engine/sampling_params.h"

#include <cmath>

namespace rocmforge::engine {
namespace {

Status check_finite(const char* field, float value) {
  if (!std::isfinite(value)) return RF_ERROR(kInvalidArgument, "{} must be a finite number, got {}", field, value);
  return ok();
}

Status check_unit_interval(const char* field, float value) {
  if (!(value >= 0.0f && value <= 1.0f)) return RF_ERROR(kInvalidArgument, "{} must be in [0, 1], got {}", field, value);
  return ok();
}

}  // namespace

Status SamplingParams::validate() const {
  RF_TRY(check_finite("temperature", temperature));
  RF_TRY(check_unit_interval("top_p", top_p));
  RF_TRY(check_unit_interval("min_p", min_p));
  RF_TRY(check_finite("repeat_penalty", repeat_penalty));
  RF_TRY(check_finite("presence_penalty", presence_penalty));
  RF_TRY(check_finite("frequency_penalty", frequency_penalty));
  // llama.cpp accepts any factor; 0 would divide by zero and a negative one
  // would flip the sign of every repeated token's logit.
  if (repeat_penalty <= 0.0f) return RF_ERROR(kInvalidArgument, "repeat_penalty must be > 0, got {}", repeat_penalty);
  if (repeat_last_n < -1) return RF_ERROR(kInvalidArgument, "repeat_last_n must be >= -1, got {}", repeat_last_n);
  if (min_keep < 0) return RF_ERROR(kInvalidArgument, "min_keep must be >= 0, got {}", min_keep);
  if (n_probs < 0) return RF_ERROR(kInvalidArgument, "n_probs must be >= 0, got {}", n_probs);
  return ok();
}

}  // namespace rocmforge::engine
