// Whole weight matrices from the device layout to plain F16 rows, for the
// BLAS path (dense_gemm.cuh).
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/matmul.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Whether launch_dequant_f16 handles weights of this type (the quantised ones).
bool dequant_f16_supported(gguf::GgmlType type);

// dst[r, k] = w[r, k] as F16, rows of w.cols elements back to back.
Status launch_dequant_f16(const WeightView& w, uint16_t* dst, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
