// Dot-product tiles: the CPU matmul's inner kernel.
//
// A tile computes out[r * out_stride + c] = dot(weight row r, activation row c)
// for r < n_rows <= kMaxTile and c < n_cols <= kMaxTile, each row holding `n`
// elements (a multiple of the weight type's block size). Weight rows are in
// the weight's type, `w_stride` bytes apart; activation rows are in
// vec_dot_type(weight type) (see quantize_activations), `a_stride` bytes apart.
// Loads are shared both ways: each weight block is decoded once for all
// columns, each activation block once for all rows. Within a block products
// are summed in integers, across blocks in float, as ggml does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/isa.h"

namespace rocmforge::quant {

inline constexpr int kMaxTile = 4;

using DotTileFn = void (*)(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t a_stride,
                           int n_cols, float* out, size_t out_stride);

// The fastest kernel for this CPU; nullptr for a type without kernels
// (check_supported() says why).
DotTileFn dot_tile(gguf::GgmlType weight_type);

// The kernel of one level, for tests and benchmarks; nullptr when the type has
// no kernel or this CPU cannot run `isa`.
DotTileFn dot_tile(gguf::GgmlType weight_type, Isa isa);

}  // namespace rocmforge::quant
