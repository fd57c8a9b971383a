// Panels: when a product runs on them, their sizes, the activation sums, and
// the entry points into the AVX-512 kernels (panel_avx512.cpp).
#include "quant/panel.h"

#include <cassert>
#include <cstring>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/isa_kernels.h"
#include "quant/route.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

// Below this many tokens the 4x4 tiles are as fast: a panel's packing costs
// about as much as four tokens' dot products.
constexpr int64_t kMinTokens = 8;
constexpr int kLanes = 8;  // a Q8_0 product's lane sums, 4 elements each

int64_t blocks(int64_t k) { return k / kBlockElems; }

// Each block's d, then what the block's biases need: Q4_0's one int32, Q8_0's 8.
int bias_words(GgmlType type) { return type == GgmlType::kQ4_0 ? 1 : kLanes; }

}  // namespace

bool panel_applies(GgmlType weight_type, const MatmulShape& shape) {
  if (shape.n_tokens < kMinTokens || best_isa() != Isa::kAvx512) return false;
  const detail::Route route = detail::routes_for(weight_type, shape).wide;
  return (weight_type == GgmlType::kQ4_0 && route == detail::Route::kRepacked) ||
         (weight_type == GgmlType::kQ8_0 && route == detail::Route::kBatched);
}

size_t panel_bytes(GgmlType weight_type, int64_t k) {
  const size_t block = weight_type == GgmlType::kQ4_0 ? detail::kPanelBlockBytes : detail::kQ8PanelBlockBytes;
  return static_cast<size_t>(blocks(k)) * block;
}

size_t panel_sums_bytes(GgmlType weight_type, int64_t k) {
  return static_cast<size_t>(blocks(k)) * (sizeof(float) + bias_words(weight_type) * sizeof(int32_t));
}

void pack_panel(GgmlType weight_type, int64_t k, const void* w, size_t w_stride, int n_rows, void* panel) {
  assert(n_rows >= 1 && n_rows <= kPanelRows && best_isa() == Isa::kAvx512);
  const auto* src = static_cast<const uint8_t*>(w);
  auto* dst = static_cast<uint8_t*>(panel);
  if (weight_type == GgmlType::kQ4_0) {
    detail::pack_panel_avx512(blocks(k), src, w_stride, n_rows, dst);
  } else {
    detail::pack_q8_panel_avx512(blocks(k), src, w_stride, n_rows, dst);
  }
}

void panel_sums(GgmlType weight_type, int64_t k, const void* a, void* sums) {
  const int64_t nb = blocks(k);
  const int words = bias_words(weight_type);
  const int group = kBlockElems / words;  // quants per bias word
  const auto* act = static_cast<const BlockQ8_0*>(a);
  auto* d = static_cast<std::byte*>(sums);
  std::byte* bias = d + static_cast<size_t>(nb) * sizeof(float);
  // Q4_0's nibbles carry a bias of 8, Q8_0's quants one of 128 (see panel.h).
  const int32_t weight_bias = weight_type == GgmlType::kQ4_0 ? 8 : 128;
  for (int64_t b = 0; b < nb; ++b) {
    const float da = fp16_to_fp32(act[b].d);
    std::memcpy(d + b * sizeof(float), &da, sizeof(da));
    for (int j = 0; j < words; ++j) {
      int32_t sum = 0;
      for (int i = 0; i < group; ++i) sum += act[b].qs[j * group + i];
      sum *= -weight_bias;
      std::memcpy(bias + (b * words + j) * sizeof(int32_t), &sum, sizeof(sum));
    }
  }
}

void panel_gemm(GgmlType weight_type, int64_t k, const void* panel, int n_rows, const void* a, size_t a_stride,
                const void* sums, size_t sums_stride, int64_t n_cols, float* out, size_t out_stride) {
  assert(n_rows >= 1 && n_rows <= kPanelRows && best_isa() == Isa::kAvx512);
  const auto* p = static_cast<const uint8_t*>(panel);
  const auto* act = static_cast<const uint8_t*>(a);
  const auto* s = static_cast<const uint8_t*>(sums);
  if (weight_type == GgmlType::kQ4_0) {
    detail::panel_gemm_avx512(blocks(k), p, n_rows, act, a_stride, s, sums_stride, n_cols, out, out_stride);
  } else {
    detail::q8_panel_gemm_avx512(blocks(k), p, n_rows, act, a_stride, s, sums_stride, n_cols, out, out_stride);
  }
}

}  // namespace rocmforge::quant
