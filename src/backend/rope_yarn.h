// The host-side constants of ggml's RoPE (rope_f32 with YaRN), shared by the
// backends so each computes them with the same float operations.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

#include "backend/backend.h"

namespace rocmforge::backend {

struct RopeConstants {
  float theta_scale = 1.0f;  // base^(-2 / n_rot): the angle ratio of consecutive pairs
  float corr_low = 0.0f;     // YaRN ramp over rotated pairs (only with ext_factor != 0)
  float corr_high = 0.0f;
  float mscale = 1.0f;  // attn_factor, times YaRN's magnitude correction when it is on
};

// The dimension at which rotation `n_rot_turns` wraps within the original context.
inline float yarn_corr_dim(int64_t n_dims, int64_t n_ctx_orig, float n_rot_turns, float base) {
  return static_cast<float>(n_dims) *
         std::log(static_cast<float>(n_ctx_orig) / (n_rot_turns * 2.0f * std::numbers::pi_v<float>)) /
         (2.0f * std::log(base));
}

inline RopeConstants rope_constants(const RopeParams& p) {
  RopeConstants c;
  c.theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));
  c.mscale = p.attn_factor;
  if (p.ext_factor != 0.0f) {
    const float start = std::floor(yarn_corr_dim(p.n_rot, p.n_ctx_orig, p.beta_fast, p.freq_base));
    const float end = std::ceil(yarn_corr_dim(p.n_rot, p.n_ctx_orig, p.beta_slow, p.freq_base));
    c.corr_low = std::max(0.0f, start);
    c.corr_high = std::min(static_cast<float>(p.n_rot - 1), end);
    c.mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
  }
  return c;
}

}  // namespace rocmforge::backend
