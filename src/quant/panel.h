// Prompt processing of Q4_0 and Q8_0 weights in packed panels (AVX-512 VNNI).
//
// The 4x4 dot tiles read weights in their file layout: Q4_0 ends every
// block's integer dot in a horizontal sum, Q8_0 re-biases and inserts every
// block per tile, and both run on 256-bit vectors. Here the matmul packs
// kPanelRows weight rows at a time into a panel laid out for 512-bit
// vpdpbusd, reused for every token of the product (packing is cheap next to
// hundreds of tokens), so weights stay in the file mapping.
//
// Q4_0: lane r of a vector holds 4 quants of row r, unpacked to bytes; one
// vpdpbusd with 4 activation bytes broadcast adds 4 elements to each of the
// 16 rows' dots, and a block's 8 steps leave its whole integer dots in the
// lanes. Float order per output: acc = fma(float(block's integer dot),
// dw * da, acc) over the blocks, as llama.cpp's repacked Q4_0 GEMM (the
// dot tiles' Repacked route).
// Q8_0: a vector holds one block of two rows (quants + 128, unsigned), one
// vpdpbusd per token gives both rows' 8 lane sums of 4 elements; per lane
// acc = fma(dw * da, float(lane sum), acc), then hsum_float_8, as
// llamafile's tinyBLAS (the Batched route). The bits are llama.cpp's.
//
// Panel layouts, per block. Q4_0: 8 x 64 bytes (step s, lane r: row r's
// elements 4s..4s+3 as nibbles 0..15), then 16 floats (each row's d). Q8_0:
// 8 pairs x 64 bytes (rows 2p and 2p + 1), then 8 pairs x 16 floats (each
// row's d in its half).
// Activation sums, per token: nb floats (each Q8_0 block's d), then the
// biases the weights' offsets need, int32: Q4_0 one per block (-8 x the sum
// of its quants), Q8_0 8 per block (-128 x the sum of each 4 quants).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/dot.h"

namespace rocmforge::quant {

inline constexpr int kPanelRows = 16;

// Whether the product runs on panels: Q4_0 or Q8_0 weights on the route the
// kernels reproduce, enough tokens to repay the packing, and a CPU with
// AVX-512 VNNI. The functions below take only such weight types.
bool panel_applies(gguf::GgmlType weight_type, const MatmulShape& shape);

size_t panel_bytes(gguf::GgmlType weight_type, int64_t k);       // one panel of rows of k elements
size_t panel_sums_bytes(gguf::GgmlType weight_type, int64_t k);  // one token's activation sums

// Rows of k elements, w_stride bytes apart, n_rows <= kPanelRows (rows past
// n_rows are packed as zeros) into a panel of panel_bytes(weight_type, k).
void pack_panel(gguf::GgmlType weight_type, int64_t k, const void* w, size_t w_stride, int n_rows, void* panel);

// One token's Q8_0 activations (k elements) into panel_sums_bytes bytes.
void panel_sums(gguf::GgmlType weight_type, int64_t k, const void* a, void* sums);

// out[c * out_stride + r] = row r of the panel . token c, for r < n_rows and
// c < n_cols: tokens a_stride bytes apart in Q8_0, their sums sums_stride apart.
void panel_gemm(gguf::GgmlType weight_type, int64_t k, const void* panel, int n_rows, const void* a, size_t a_stride,
                const void* sums, size_t sums_stride, int64_t n_cols, float* out, size_t out_stride);

}  // namespace rocmforge::quant
