// Prompt processing of Q4_0 weights in packed panels (AVX-512 VNNI).
//
// The 4x4 dot tiles read Q4_0 in its file layout: every block's integer dot
// ends in a horizontal sum, which costs more than the dot products. Here the
// matmul packs kPanelRows weight rows at a time into a panel where lane r of
// a vector holds 4 quants of row r, unpacked to bytes: one vpdpbusd with 4
// activation bytes broadcast adds 4 elements to each of the 16 rows' dots, and
// a block's 8 steps leave its whole integer dots in the lanes, no reduction.
// The panel is reused for every token of the product (packing is cheap next
// to hundreds of tokens), so weights stay in the file mapping.
//
// Float operations per output: acc = fma(float(block's integer dot), dw * da,
// acc) over the blocks in order, as in llama.cpp's repacked Q4_0 GEMM and
// the Repacked route of the dot tiles: the bits are theirs.
//
// Panel layout, per block: 8 x 64 bytes (step s, lane r: row r's elements
// 4s..4s+3 as unsigned nibbles 0..15), then 16 floats (each row's d).
// Activation sums, per token: nb floats (each Q8_0 block's d), then nb int32
// (-8 x the sum of the block's quants: the nibbles' bias of 8).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/dot.h"

namespace rocmforge::quant {

inline constexpr int kPanelRows = 16;

// Whether the product runs on panels: Q4_0 weights on llama.cpp's repacked
// route, enough tokens to repay the packing, and a CPU with AVX-512 VNNI.
bool panel_applies(gguf::GgmlType weight_type, const MatmulShape& shape);

size_t panel_bytes(int64_t k);     // one panel of rows of k elements
size_t panel_sums_bytes(int64_t k);  // one token's activation sums

// Rows of k Q4_0 elements, w_stride bytes apart, n_rows <= kPanelRows (rows
// past n_rows are packed as zeros) into a panel of panel_bytes(k).
void pack_panel(int64_t k, const void* w, size_t w_stride, int n_rows, void* panel);

// One token's Q8_0 activations (k elements) into panel_sums_bytes(k) bytes.
void panel_sums(int64_t k, const void* a, void* sums);

// out[c * out_stride + r] = row r of the panel . token c, for r < n_rows and
// c < n_cols: tokens a_stride bytes apart in Q8_0, their sums sums_stride apart.
void panel_gemm(int64_t k, const void* panel, int n_rows, const void* a, size_t a_stride, const void* sums,
                size_t sums_stride, int64_t n_cols, float* out, size_t out_stride);

}  // namespace rocmforge::quant
