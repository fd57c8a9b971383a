#include "engine/session.h"

#include <algorithm>
#include <numeric>

namespace rocmforge::engine {

Session::Session(model::ForwardPass& forward, int64_t n_ctx) : forward_(forward), n_ctx_(n_ctx) {
  const int64_t blocks = (n_ctx + forward.kv_layout().block_size - 1) / forward.kv_layout().block_size;
  block_table_.resize(static_cast<size_t>(blocks));
  std::iota(block_table_.begin(), block_table_.end(), 0);
}

Result<std::span<const float>> Session::append(std::span<const int32_t> tokens, bool generated) {
  if (tokens.empty()) return RF_ERROR(kInvalidArgument, "no tokens to process");
  if (n_past_ + static_cast<int64_t>(tokens.size()) > n_ctx_) {
    return RF_ERROR(kCapacity, "{} tokens do not fit in the context: {} of {} positions are used", tokens.size(),
                    n_past_, n_ctx_);
  }
  const int64_t chunk = forward_.options().max_batch_tokens;
  std::span<const float> logits;
  for (size_t begin = 0; begin < tokens.size(); begin += static_cast<size_t>(chunk)) {
    const size_t n = std::min(tokens.size() - begin, static_cast<size_t>(chunk));
    batch_.clear();
    const bool last = begin + n == tokens.size();
    const auto end = static_cast<int32_t>(n_past_ + static_cast<int64_t>(n));
    RF_TRY(batch_.add({tokens.subspan(begin, n), static_cast<int32_t>(n_past_), block_table_, last, generated ? 0 : end},
                      forward_.kv_layout().block_size, forward_.kv_layout().n_blocks));
    logits = RF_TRY(forward_.run(batch_));
    n_past_ += static_cast<int64_t>(n);
  }
  return logits;
}

}  // namespace rocmforge::engine
