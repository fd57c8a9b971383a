#include "engine/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace rocmforge::engine {
namespace {

uint64_t resolve_seed(uint64_t seed) {
  if (seed != kRandomSeed) return seed;
  std::random_device device;
  uint64_t picked = kRandomSeed;
  // The sentinel itself is redrawn: a reported seed must reproduce the run.
  while (picked == kRandomSeed) picked = (static_cast<uint64_t>(device()) << 32) | device();
  return picked;
}

// A double uniform in [0, 1) from the top 53 bits of one draw.
double uniform01(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

}  // namespace

Result<Sampler> Sampler::create(const SamplingParams& params, int32_t n_vocab, int32_t n_ctx) {
  RF_TRY(params.validate());
  if (n_vocab <= 0) return RF_ERROR(kInvalidArgument, "sampler: vocabulary size must be > 0, got {}", n_vocab);
  int32_t window = params.repeat_last_n;
  if (window == -1) {
    if (n_ctx <= 0) return RF_ERROR(kInvalidArgument, "repeat_last_n = -1 needs a context size > 0, got {}", n_ctx);
    window = n_ctx;
  }
  return Sampler(params, n_vocab, window, resolve_seed(params.seed));
}

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab, int32_t window, uint64_t seed)
    : params_(params),
      n_vocab_(n_vocab),
      seed_(seed),
      rng_(seed),
      penalties_(window, params.repeat_penalty, params.frequency_penalty, params.presence_penalty) {}

int32_t Sampler::sample(std::span<const float> logits) {
  assert(logits.size() == static_cast<size_t>(n_vocab_));
  penalised_.clear();
  if (penalties_.active()) penalties_.penalised(logits, penalised_);

  if (params_.temperature <= 0.0f) {
    candidates_.select_top_k(logits, 1, penalised_);
    return candidates_.view().front().id;
  }
  if (params_.top_k > 0 && params_.top_k < n_vocab_) {
    candidates_.select_top_k(logits, static_cast<size_t>(params_.top_k), penalised_);
  } else {
    candidates_.select_all(logits, penalised_);
  }
  const auto min_keep = static_cast<size_t>(params_.min_keep);
  candidates_.keep_top_p(params_.top_p, min_keep);
  candidates_.keep_min_p(params_.min_p, min_keep);
  return draw();
}

bool Sampler::picks_argmax() const {
  // top-k 1 leaves one candidate, which every draw takes.
  return (params_.temperature <= 0.0f || params_.top_k == 1) && !penalties_.active();
}

std::optional<int32_t> Sampler::sample_from_top(const TopRow& top) {
  assert(top.n_vocab == n_vocab_ && !top.best.empty());
  if (top.whole()) {
    // The row itself, NaN read back as -inf, which every step of sample() treats alike.
    whole_row_.resize(static_cast<size_t>(n_vocab_));
    for (const Candidate& c : top.best) whole_row_[static_cast<size_t>(c.id)] = c.logit;
    return sample(whole_row_);
  }
  if (penalties_.active() && !penalties_.only_lowers()) return std::nullopt;
  top_ranking_.assign(top, penalties_);
  const std::span<const Candidate> leaders = top_ranking_.leaders();
  if (leaders.empty()) return std::nullopt;
  if (params_.temperature <= 0.0f) return leaders.front().id;
  if (!std::isfinite(top.best.front().logit) || !std::isfinite(leaders.front().logit)) return std::nullopt;

  // The filters of sample(), over the very candidates they would leave.
  const auto min_keep = static_cast<size_t>(params_.min_keep);
  if (params_.top_k > 0 && params_.top_k < n_vocab_) {
    const auto k = static_cast<size_t>(params_.top_k);
    if (k > leaders.size()) return std::nullopt;
    candidates_.assign(leaders.first(k), true);
    candidates_.keep_top_p(params_.top_p, min_keep);
  } else if (params_.top_p < 1.0f) {
    const std::optional<size_t> n = top_ranking_.top_p_count(params_.top_p, min_keep);
    if (!n) return std::nullopt;
    candidates_.assign(leaders.first(*n), false);
  } else if (params_.min_p > 0.0f) {
    // keep_min_p's threshold over the whole row; it keeps leaders only, and at least min_keep of them.
    const float min_logit = leaders.front().logit + std::log(params_.min_p);
    if (!top_ranking_.leads_all_above(min_logit) || min_keep > leaders.size()) return std::nullopt;
    candidates_.assign(leaders, false);
  } else {
    return std::nullopt;  // temperature alone draws from every token
  }
  candidates_.keep_min_p(params_.min_p, min_keep);
  return draw();
}

bool Sampler::may_sample_from_top(size_t k) const {
  if (k >= static_cast<size_t>(n_vocab_)) return true;
  if (penalties_.active() && !penalties_.only_lowers()) return false;
  if (params_.temperature <= 0.0f) return true;
  if (params_.top_k > 0 && params_.top_k < n_vocab_) return static_cast<size_t>(params_.top_k) <= k;
  return params_.top_p < 1.0f || params_.min_p > 0.0f;
}

// Temperature, softmax and one draw over what the filters kept.
int32_t Sampler::draw() {
  const std::span<const Candidate> kept = candidates_.view();
  const double u = uniform01(rng_());
  const float temperature = params_.temperature;
  float max = -std::numeric_limits<float>::infinity();
  for (const Candidate& c : kept) max = std::max(max, c.logit / temperature);
  if (std::isinf(max)) {
    // All masked (-inf), or an infinite logit that takes all the mass.
    for (const Candidate& c : kept) {
      if (c.logit / temperature == max) return c.id;
    }
  }

  weights_.resize(kept.size());
  double total = 0.0;
  for (size_t i = 0; i < kept.size(); ++i) {
    weights_[i] = std::exp(kept[i].logit / temperature - max);
    total += weights_[i];
  }
  const double target = u * total;
  double mass = 0.0;
  int32_t chosen = kept.front().id;
  for (size_t i = 0; i < kept.size(); ++i) {
    mass += weights_[i];
    // A zero-weight (masked) token is never chosen, even when u is 0.
    if (weights_[i] > 0.0) chosen = kept[i].id;
    if (mass > target) break;
  }
  return chosen;
}

Status Sampler::accept(int32_t token) { return accept(std::span<const int32_t>(&token, 1)); }

Status Sampler::accept(std::span<const int32_t> tokens) {
  for (int32_t token : tokens) {
    if (token < 0 || token >= n_vocab_) {
      return RF_ERROR(kInvalidArgument, "token id {} is outside the vocabulary [0, {})", token, n_vocab_);
    }
  }
  for (int32_t token : tokens) penalties_.accept(token);
  return ok();
}

void Sampler::reset() {
  penalties_.clear();
  rng_.seed(seed_);
}

}  // namespace rocmforge::engine
