// ggml's reference (de)quantisation (ggml-quants.c, *_ref), one row at a time.
// These define the formats: the kernels are tested against them.
#pragma once

#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::quant {

// `type` is a supported type, Q8_1 or Q8_K; `n` is a multiple of its block size.
void dequantize_row(gguf::GgmlType type, const void* src, float* dst, int64_t n);

// quantize_row_*_ref semantics, the bytes llama-quantize writes without an
// importance matrix (IQ4_NL: quantize_iq4_nl's 7 scale tries, which the _ref
// function skips; F16/BF16: round to nearest even).
void quantize_row(gguf::GgmlType type, const float* src, void* dst, int64_t n);

}  // namespace rocmforge::quant
