// Vector kernels of the CPU backend besides dot products, in the arithmetic
// of ggml's CPU backend so that our outputs match llama.cpp's bit for bit:
// - y += x * s and y *= s over F32 or F16 rows; F16 rows are rounded back to
//   F16 after every step, as ggml's flash attention does with an F16 V cache;
// - SiLU-gated products and softmax rows, whose exponentials use the same
//   polynomial as ggml's vectorised expf (full vectors) and libm's expf (the
//   tail), so the SIMD width of each level matters and is kept.
#pragma once

#include <cstdint>

namespace rocmforge::backend::cpu {

struct VecOps {
  void (*mad_f32)(float* y, const float* x, float s, int64_t n);
  void (*scale_f32)(float* y, float s, int64_t n);
  void (*mad_f16)(uint16_t* y, const uint16_t* x, float s, int64_t n);
  void (*scale_f16)(uint16_t* y, float s, int64_t n);
  // y[i] = silu(x[i]) * g[i]
  void (*swiglu)(float* y, const float* x, const float* g, int64_t n);
  // y[i] = exp(x[i] - max); returns the sum of y (accumulated in double).
  double (*exp_sum)(float* y, const float* x, float max, int64_t n);
  // Rotates n_rot / 2 pairs of x in place by cos_sin[2i], cos_sin[2i+1]: pair i
  // is (x[2i], x[2i+1]) when `half` is 0 (NORM), (x[i], x[i+half]) otherwise
  // (NEOX). x0' = fma(x0, c, -(x1 s)), x1' = fma(x0, s, x1 c), as ggml computes it.
  void (*rope_rotate)(float* x, const float* cos_sin, int64_t n_rot, int64_t half);
  // Dot products as ggml_vec_dot_f16 / _f32 (attention's q.k): four vector
  // accumulators over full steps, a tree reduction, then the tail.
  float (*dot_f16)(const uint16_t* x, const uint16_t* y, int64_t n);
  float (*dot_f32)(const float* x, const float* y, int64_t n);
};

// The fastest implementation the running CPU supports.
const VecOps& vec_ops();

const VecOps& vec_ops_scalar();
const VecOps& vec_ops_avx2();
const VecOps& vec_ops_avx512();

}  // namespace rocmforge::backend::cpu
