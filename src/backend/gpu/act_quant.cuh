// Converting F32 activations to the format a weight type's kernels read
// (quant_types.cuh: ActFormat), on the device, with the CPU backend's rounding.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/quant_types.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Converted activations: for kQ8/kQ8S/kQ8K, int8 quants `q` and per
// 32-element unit (d, sum), (d, s) or (d, int16 sums of 16) in `ds`; for
// kF16/kBF16, halves in `q`; for kF32, the floats (a copy with 16-byte
// aligned rows, or the source itself when its rows are aligned). Rows are
// `stride` bytes (q) and `cols / 32` float2 (ds) apart.
struct ActView {
  ActFormat format = ActFormat::kF32;
  const uint8_t* q = nullptr;  // [rows, stride] bytes
  const float2* ds = nullptr;  // [rows, cols / 32]
  size_t stride = 0;
};

// Bytes of one converted row of `cols` activations, a multiple of 16 (q part;
// ds adds cols / 32 float2 for act_has_ds formats).
size_t act_row_bytes(ActFormat format, int64_t cols);

Status launch_act_quant(ActFormat format,
                        const float* x,  // [rows, x_stride] F32
                        int64_t x_stride, int64_t rows, int64_t cols,
                        uint8_t* q,   // [rows, act_row_bytes(format, cols)]
                        float2* ds,   // [rows, cols / 32] (act_has_ds formats)
                        rt::Stream stream);

}  // namespace rocmforge::backend::gpu
