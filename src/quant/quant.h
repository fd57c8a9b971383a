// The quantisation module's front door: which ggml types the CPU path handles,
// and (through the headers below) their reference conversions, activation
// conversion and dot kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf/ggml_type.h"
#include "quant/activations.h"
#include "quant/dot.h"
#include "quant/reference.h"
#include "rocmforge/error.h"

namespace rocmforge::quant {

// Weight types with reference conversions and dot kernels on every level.
std::span<const gguf::GgmlType> supported_types();

bool is_supported(gguf::GgmlType type);

// kUnsupported naming the type when it is not supported.
Status check_supported(gguf::GgmlType type);

// The activation format the type's dot kernel reads, as in ggml's CPU backend:
// Q4_0/Q5_0/Q8_0/IQ4_NL -> Q8_0, Q4_1/Q5_1 -> Q8_1, the K-quants and IQ4_XS
// -> Q8_K, F32/F16/BF16 -> themselves.
gguf::GgmlType vec_dot_type(gguf::GgmlType weight_type);

// Bytes of `n` elements of `type` (`n` a multiple of the block size).
inline size_t row_bytes(gguf::GgmlType type, int64_t n) { return gguf::ggml_row_size(type, n); }

}  // namespace rocmforge::quant
