// Small vector kernels the CPU attention needs besides dot products:
// y += x * s and y *= s over F32 or F16 rows. F16 rows are rounded back to
// F16 after every step, as ggml's flash attention does with an F16 V cache,
// so that our outputs match llama.cpp's.
#pragma once

#include <cstdint>

namespace rocmforge::backend::cpu {

struct VecOps {
  void (*mad_f32)(float* y, const float* x, float s, int64_t n);
  void (*scale_f32)(float* y, float s, int64_t n);
  void (*mad_f16)(uint16_t* y, const uint16_t* x, float s, int64_t n);
  void (*scale_f16)(uint16_t* y, float s, int64_t n);
};

// The fastest implementation the running CPU supports.
const VecOps& vec_ops();

const VecOps& vec_ops_scalar();
const VecOps& vec_ops_avx2();
const VecOps& vec_ops_avx512();

}  // namespace rocmforge::backend::cpu
