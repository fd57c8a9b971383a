// Picks the dot kernel of a type for an instruction-set level, and the route
// (which of llama.cpp's kernels to follow) for the product's shape.
#include "core/cpu_features.h"
#include "quant/dot.h"
#include "quant/isa_kernels.h"

namespace rocmforge::quant {
namespace {

using detail::Route;
using detail::Routes;
using gguf::GgmlType;

constexpr int64_t kSuperBlock = 256;  // the K-quants' and IQ4_XS's block: their kernels live apart

bool is_float(GgmlType type) { return type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16; }

// ggml_repack_get_optimal_repack_type() on an AVX-512 CPU.
bool repacked(GgmlType type, int64_t n_out) {
  const bool repackable = type == GgmlType::kQ4_0 || type == GgmlType::kIQ4_NL || type == GgmlType::kQ4_K ||
                          type == GgmlType::kQ2_K;
  return repackable && n_out % 8 == 0;
}

// llamafile_sgemm() accepts the product (the float types also need k % 16 or
// k % 32 == 0, which their tiles check).
bool batched(GgmlType type, int64_t n_out, int64_t n_tokens) {
  if (n_tokens < 2) return false;
  if (is_float(type)) return n_out % 4 == 0;
  return type == GgmlType::kQ4_0 || type == GgmlType::kQ5_0 || type == GgmlType::kQ8_0 || type == GgmlType::kIQ4_NL;
}

// The kernel ggml_compute_forward_mul_mat ends up in: weights in the repacked
// buffer never reach it; then llamafile, the IQ panel
// (ggml_cpu_iqp_supports_mul_mat) and vec_dot, no type qualifying for two.
Route route(GgmlType type, int64_t n_out, int64_t n_tokens) {
  if (repacked(type, n_out)) return Route::kRepacked;
  if (type == GgmlType::kIQ4_XS && n_tokens >= 8 && n_out % 8 == 0) return Route::kRepacked;
  if (batched(type, n_out, n_tokens)) return Route::kBatched;
  return Route::kVecDot;
}

}  // namespace

Routes detail::routes_for(GgmlType type, const MatmulShape& shape) {
  const int64_t n_out = shape.n_out > 0 ? shape.n_out : 8;
  if (shape.n_tokens > 0) {
    const Route r = route(type, n_out, shape.n_tokens);
    return {r, r};
  }
  return {route(type, n_out, 1), route(type, n_out, 8)};
}

DotTileFn dot_tile(GgmlType weight_type, const MatmulShape& shape) {
  return dot_tile(weight_type, best_isa(), shape);
}

DotTileFn dot_tile(GgmlType weight_type, Isa isa, const MatmulShape& shape) {
  if (!isa_available(isa)) return nullptr;
  const Routes routes = detail::routes_for(weight_type, shape);
  const bool super_blocks = gguf::ggml_type_info(weight_type).block_size == kSuperBlock;
  switch (isa) {
    case Isa::kScalar:
      return super_blocks ? detail::scalar_k_dot_tile(weight_type, routes) : detail::scalar_dot_tile(weight_type, routes);
    case Isa::kAvx2:
      return super_blocks ? detail::avx2_k_dot_tile(weight_type, routes) : detail::avx2_dot_tile(weight_type, routes);
    case Isa::kAvx512:
      if (weight_type == GgmlType::kBF16 && core::cpu_features().avx512bf16) {
        return detail::avx512_bf16_dot_tile(routes);
      }
      return super_blocks ? detail::avx512_k_dot_tile(weight_type, routes) : detail::avx512_dot_tile(weight_type, routes);
  }
  return nullptr;
}

}  // namespace rocmforge::quant
