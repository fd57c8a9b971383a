#include "engine/session.h"

#include <algorithm>
#include <numeric>

namespace rocmforge::engine {

Session::Session(model::ForwardPass& forward, int64_t n_ctx) : forward_(forward), n_ctx_(n_ctx) {
  const int64_t blocks = (n_ctx + forward.kv_layout().block_size - 1) / forward.kv_layout().block_size;
  block_table_.resize(static_cast<size_t>(blocks));
  std::iota(block_table_.begin(), block_table_.end(), 0);
}

Result<int64_t> Session::prepare_last(std::span<const int32_t> tokens, bool generated) {
  if (tokens.empty()) return RF_ERROR(kInvalidArgument, "no tokens to process");
  if (n_past_ + static_cast<int64_t>(tokens.size()) > n_ctx_) {
    return RF_ERROR(kCapacity, "{} tokens do not fit in the context: {} of {} positions are used", tokens.size(),
                    n_past_, n_ctx_);
  }
  const auto chunk = static_cast<size_t>(forward_.options().max_batch_tokens);
  for (size_t begin = 0;; begin += chunk) {
    const size_t n = std::min(tokens.size() - begin, chunk);
    batch_.clear();
    const bool last = begin + n == tokens.size();
    const auto end = static_cast<int32_t>(n_past_ + static_cast<int64_t>(n));
    RF_TRY(batch_.add({tokens.subspan(begin, n), static_cast<int32_t>(n_past_), block_table_, last, generated ? 0 : end},
                      forward_.kv_layout().block_size, forward_.kv_layout().n_blocks));
    if (last) return static_cast<int64_t>(n);
    RF_TRY(forward_.run(batch_));
    n_past_ += static_cast<int64_t>(n);
  }
}

Result<std::span<const float>> Session::append(std::span<const int32_t> tokens, bool generated) {
  const int64_t n = RF_TRY(prepare_last(tokens, generated));
  const std::span<const float> logits = RF_TRY(forward_.run(batch_));
  n_past_ += n;
  return logits;
}

Result<int32_t> Session::append_argmax(std::span<const int32_t> tokens, bool generated) {
  const int64_t n = RF_TRY(prepare_last(tokens, generated));
  const std::span<const int32_t> ids = RF_TRY(forward_.run_argmax(batch_));
  n_past_ += n;
  return ids.front();
}

Result<model::TopCandidates> Session::append_top_k(std::span<const int32_t> tokens, bool generated) {
  const int64_t n = RF_TRY(prepare_last(tokens, generated));
  const model::TopCandidates top = RF_TRY(forward_.run_top_k(batch_));
  n_past_ += n;
  return top;
}

Result<std::span<const float>> Session::read_last_row() {
  const int32_t row = 0;
  return forward_.read_logits(std::span<const int32_t>(&row, 1));
}

}  // namespace rocmforge::engine
