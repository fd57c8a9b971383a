// Dot-product tiles: the CPU matmul's inner kernel.
//
// A tile computes out[r * out_stride + c] = dot(weight row r, activation row c)
// for r < n_rows <= kMaxTile and c < n_cols <= kMaxTile, each row holding `n`
// elements (a multiple of the weight type's block size). Weight rows are in
// the weight's type, `w_stride` bytes apart; activation rows are in
// vec_dot_type(weight type) (see quantize_activations), `a_stride` bytes apart.
// Loads are shared both ways: each weight block is decoded once for all
// columns, each activation block once for all rows.
//
// Every output is bit-identical to llama.cpp's on x86 with AVX-512 (its zen4
// build, one thread), on every level: llama.cpp picks one of several kernels
// by the shape of the whole product (ggml_vec_dot_* for one token, llamafile's
// tinyBLAS for batches, the repacked gemv/gemm of CPU_REPACK weights, the IQ
// panel), each with its own order of float operations, and the tile follows
// the one llama.cpp takes. Tiles must cover tokens in aligned groups of
// kMaxTile (tokens 4t..4t+3), as the matmul walks them: the repacked kernels
// treat full groups and the last partial group differently.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/isa.h"

namespace rocmforge::quant {

inline constexpr int kMaxTile = 4;

using DotTileFn = void (*)(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t a_stride,
                           int n_cols, float* out, size_t out_stride);

// The product a tile belongs to; 0 means unknown. Unknown n_out is taken as a
// multiple of 8 (as in real models); unknown n_tokens makes every 1-column
// tile a one-token product (decode) and every wider tile part of a batch of
// at least 8 tokens (prompt processing).
struct MatmulShape {
  int64_t n_out = 0;     // weight rows
  int64_t n_tokens = 0;  // activation rows
};

// The fastest kernel for this CPU; nullptr for a type without kernels
// (check_supported() says why).
DotTileFn dot_tile(gguf::GgmlType weight_type, const MatmulShape& shape = {});

// The kernel of one level, for tests and benchmarks; nullptr when the type has
// no kernel or this CPU cannot run `isa`. Every level gives the same bits.
DotTileFn dot_tile(gguf::GgmlType weight_type, Isa isa, const MatmulShape& shape = {});

}  // namespace rocmforge::quant
