// Entry points of the files built with per-file ISA flags (-mavx2 ...,
// -mavx512f ...). Only dispatch code calls them, after isa_available().
//
// Those files share nothing with inline or template functions of the rest of
// the program (an out-of-line copy built with their flags could be the one the
// linker keeps): they include only this header, route.h, blocks.h, dot.h, C
// headers, <immintrin.h> and the driver headers whose templates sit in an
// anonymous namespace (tile_dispatch.h, quant_tile.h, float_tile.h,
// avx512_common.h, kquant_tile.h, ...), and keep their own code in an anonymous namespace.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/dot.h"
#include "quant/route.h"

namespace rocmforge::quant::detail {

// Dot tiles; nullptr for a type the level has no kernel for.
DotTileFn scalar_dot_tile(gguf::GgmlType weight_type, Routes routes);
DotTileFn scalar_k_dot_tile(gguf::GgmlType weight_type, Routes routes);  // the 256-element types
DotTileFn avx2_dot_tile(gguf::GgmlType weight_type, Routes routes);
DotTileFn avx512_dot_tile(gguf::GgmlType weight_type, Routes routes);
DotTileFn avx512_bf16_dot_tile(Routes routes);
DotTileFn avx2_k_dot_tile(gguf::GgmlType weight_type, Routes routes);
DotTileFn avx512_k_dot_tile(gguf::GgmlType weight_type, Routes routes);  // BF16 x BF16 with vdpbf16ps: only where the CPU has AVX512_BF16

// Panels (see panel.h), nb blocks per row. A Q4_0 panel block is 8 steps of
// 16 rows x 4 bytes, then 16 floats; a Q8_0 one is 8 pairs of rows x 64
// bytes, then 8 pairs x 16 floats.
inline constexpr size_t kPanelBlockBytes = 8 * 64 + 16 * sizeof(float);
inline constexpr size_t kQ8PanelBlockBytes = 8 * 64 + 8 * 16 * sizeof(float);
void pack_panel_avx512(int64_t nb, const uint8_t* w, size_t w_stride, int n_rows, uint8_t* panel);
void panel_gemm_avx512(int64_t nb, const uint8_t* panel, int n_rows, const uint8_t* a, size_t a_stride,
                       const uint8_t* sums, size_t sums_stride, int64_t n_cols, float* out, size_t out_stride);
void pack_q8_panel_avx512(int64_t nb, const uint8_t* w, size_t w_stride, int n_rows, uint8_t* panel);
void q8_panel_gemm_avx512(int64_t nb, const uint8_t* panel, int n_rows, const uint8_t* a, size_t a_stride,
                          const uint8_t* sums, size_t sums_stride, int64_t n_cols, float* out, size_t out_stride);

// Activation formats (see activations.h); AVX2 + F16C.
void quantize_q8_0_avx2(const float* x, void* out, int64_t n);
void quantize_q8_1_avx2(const float* x, void* out, int64_t n);
void convert_f32_to_f16_avx2(const float* src, uint16_t* dst, int64_t n);
void convert_f16_to_f32_avx2(const uint16_t* src, float* dst, int64_t n);
void convert_f32_to_bf16_avx2(const float* src, uint16_t* dst, int64_t n);

}  // namespace rocmforge::quant::detail
