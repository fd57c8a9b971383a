// Converting one row of F32 activations into the dot kernels' input format.
//
// The result is bit-identical to llama.cpp's x86 CPU backend (its from_float
// for the type): Q8_0/Q8_1 use d = amax / 127 and q = round_half_even(x * (127 /
// amax)), which can differ from the reference quantiser's roundf(x * (1 / d))
// on ties and where the two multipliers differ in their last bit; Q8_1's s is
// fp16(d * sum(q)); Q8_K is quantize_row_q8_K_ref, which x86 uses as is;
// F16 rounds to nearest even (F16C); BF16 is ggml's
// GGML_FP32_TO_BF16; F32 is a copy. Inputs are assumed finite.
#pragma once

#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/isa.h"

namespace rocmforge::quant {

// `act_type` is a vec_dot_type (F32, F16, BF16, Q8_0, Q8_1 or Q8_K); `n` is a
// multiple of its block size; `out` holds row_bytes(act_type, n) bytes.
void quantize_activations(gguf::GgmlType act_type, const float* x, void* out, int64_t n);

// The same through one level's code (the bits are the same on every level).
void quantize_activations(gguf::GgmlType act_type, const float* x, void* out, int64_t n, Isa isa);

}  // namespace rocmforge::quant
