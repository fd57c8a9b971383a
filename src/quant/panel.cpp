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

// Below this many tokens the 4x4 tiles are as fast: a panel's packing costs
// about as much as four tokens' dot products.
constexpr int64_t kMinTokens = 8;

}  // namespace

bool panel_applies(gguf::GgmlType weight_type, const MatmulShape& shape) {
  return weight_type == gguf::GgmlType::kQ4_0 && shape.n_tokens >= kMinTokens && best_isa() == Isa::kAvx512 &&
         detail::routes_for(weight_type, shape).wide == detail::Route::kRepacked;
}

size_t panel_bytes(int64_t k) { return static_cast<size_t>(k / kBlockElems) * detail::kPanelBlockBytes; }

size_t panel_sums_bytes(int64_t k) { return static_cast<size_t>(k / kBlockElems) * (sizeof(float) + sizeof(int32_t)); }

void pack_panel(int64_t k, const void* w, size_t w_stride, int n_rows, void* panel) {
  assert(n_rows >= 1 && n_rows <= kPanelRows && best_isa() == Isa::kAvx512);
  detail::pack_panel_avx512(k / kBlockElems, static_cast<const uint8_t*>(w), w_stride, n_rows,
                            static_cast<uint8_t*>(panel));
}

void panel_sums(int64_t k, const void* a, void* sums) {
  const int64_t nb = k / kBlockElems;
  const auto* blocks = static_cast<const BlockQ8_0*>(a);
  auto* d = static_cast<std::byte*>(sums);
  std::byte* bias = d + static_cast<size_t>(nb) * sizeof(float);
  for (int64_t b = 0; b < nb; ++b) {
    const float da = fp16_to_fp32(blocks[b].d);
    int32_t sum = 0;
    for (int8_t q : blocks[b].qs) sum += q;
    sum *= -8;
    std::memcpy(d + b * sizeof(float), &da, sizeof(da));
    std::memcpy(bias + b * sizeof(int32_t), &sum, sizeof(sum));
  }
}

void panel_gemm(int64_t k, const void* panel, int n_rows, const void* a, size_t a_stride, const void* sums,
                size_t sums_stride, int64_t n_cols, float* out, size_t out_stride) {
  assert(n_rows >= 1 && n_rows <= kPanelRows && best_isa() == Isa::kAvx512);
  detail::panel_gemm_avx512(k / kBlockElems, static_cast<const uint8_t*>(panel), n_rows,
                            static_cast<const uint8_t*>(a), a_stride, static_cast<const uint8_t*>(sums), sums_stride,
                            n_cols, out, out_stride);
}

}  // namespace rocmforge::quant
