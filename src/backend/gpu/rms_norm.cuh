// RMS norm: out = x / sqrt(mean(x^2) + eps) * weight, row by row, optionally
// after a residual add (x = a + b, kept) and with a converted copy of out
// for the matmul that reads it: one pass over memory instead of three.
#pragma once

#include <cstdint>

#include "backend/gpu/act_store.cuh"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

struct NormArgs {
  const float* x = nullptr;  // [rows, x_stride]
  int64_t x_stride = 0;
  // With a residual: x' = x + residual is what is normalised, and is written to sum.
  const float* residual = nullptr;  // [rows, residual_stride] or null
  int64_t residual_stride = 0;
  float* sum = nullptr;  // [rows, sum_stride]
  int64_t sum_stride = 0;
  const float* weight = nullptr;  // [cols]
  float eps = 0.0f;
  int64_t rows = 0;
  int64_t cols = 0;
  float* out = nullptr;  // [rows, out_stride]; may alias x, residual or sum
  int64_t out_stride = 0;
  ActOut act;  // converted copy of out, if any
};

Status launch_rms_norm(const NormArgs& args, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
