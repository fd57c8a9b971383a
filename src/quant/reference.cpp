// The table of types this module handles, with ggml's reference row
// conversions of each (reference_rows.h). A new type is one more entry in
// kTypes plus its kernels on every level.
#include "quant/reference.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>

#include "quant/quant.h"
#include "quant/reference_rows.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;
using namespace rows;

struct TypeOps {
  GgmlType type;
  GgmlType vec_dot_type;
  bool weight;  // a weight type with dot kernels; otherwise an activation format only
  void (*dequantize)(const void* src, float* dst, int64_t n);
  void (*quantize)(const float* src, void* dst, int64_t n);
};

constexpr std::array kTypes = {
    TypeOps{GgmlType::kF32, GgmlType::kF32, true, dequantize_f32, quantize_f32},
    TypeOps{GgmlType::kF16, GgmlType::kF16, true, dequantize_f16, quantize_f16},
    TypeOps{GgmlType::kBF16, GgmlType::kBF16, true, dequantize_bf16, quantize_bf16},
    TypeOps{GgmlType::kQ4_0, GgmlType::kQ8_0, true, dequantize_q4_0, quantize_q4_0},
    TypeOps{GgmlType::kQ4_1, GgmlType::kQ8_1, true, dequantize_q4_1, quantize_q4_1},
    TypeOps{GgmlType::kQ5_0, GgmlType::kQ8_0, true, dequantize_q5_0, quantize_q5_0},
    TypeOps{GgmlType::kQ5_1, GgmlType::kQ8_1, true, dequantize_q5_1, quantize_q5_1},
    TypeOps{GgmlType::kQ8_0, GgmlType::kQ8_0, true, dequantize_q8_0, quantize_q8_0},
    TypeOps{GgmlType::kQ2_K, GgmlType::kQ8_K, true, dequantize_q2_k, quantize_q2_k},
    TypeOps{GgmlType::kQ3_K, GgmlType::kQ8_K, true, dequantize_q3_k, quantize_q3_k},
    TypeOps{GgmlType::kQ4_K, GgmlType::kQ8_K, true, dequantize_q4_k, quantize_q4_k},
    TypeOps{GgmlType::kQ5_K, GgmlType::kQ8_K, true, dequantize_q5_k, quantize_q5_k},
    TypeOps{GgmlType::kQ6_K, GgmlType::kQ8_K, true, dequantize_q6_k, quantize_q6_k},
    TypeOps{GgmlType::kIQ4_NL, GgmlType::kQ8_0, true, dequantize_iq4_nl, quantize_iq4_nl},
    TypeOps{GgmlType::kIQ4_XS, GgmlType::kQ8_K, true, dequantize_iq4_xs, quantize_iq4_xs},
    TypeOps{GgmlType::kQ8_1, GgmlType::kQ8_1, false, dequantize_q8_1, quantize_q8_1},
    TypeOps{GgmlType::kQ8_K, GgmlType::kQ8_K, false, dequantize_q8_k, quantize_q8_k},
};

constexpr auto kWeightTypes = [] {
  constexpr auto n = std::count_if(kTypes.begin(), kTypes.end(), [](const TypeOps& t) { return t.weight; });
  std::array<GgmlType, n> out{};
  size_t i = 0;
  for (const TypeOps& t : kTypes) {
    if (t.weight) out[i++] = t.type;
  }
  return out;
}();

const TypeOps* find(GgmlType type) {
  for (const TypeOps& t : kTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

// For callers that must have checked the type first: another type is a bug.
const TypeOps& ops_of(GgmlType type) {
  const TypeOps* ops = find(type);
  if (ops == nullptr) std::abort();
  return *ops;
}

}  // namespace

std::span<const GgmlType> supported_types() { return kWeightTypes; }

bool is_supported(GgmlType type) {
  const TypeOps* ops = find(type);
  return ops != nullptr && ops->weight;
}

Status check_supported(GgmlType type) {
  if (is_supported(type)) return ok();
  return RF_ERROR(kUnsupported, "tensor type {} (id {}) is not supported by the CPU kernels", gguf::ggml_type_name(type),
                  static_cast<uint32_t>(type));
}

GgmlType vec_dot_type(GgmlType weight_type) { return ops_of(weight_type).vec_dot_type; }

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  assert(n % gguf::ggml_type_info(type).block_size == 0);
  ops_of(type).dequantize(src, dst, n);
}

void quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  assert(n % gguf::ggml_type_info(type).block_size == 0);
  ops_of(type).quantize(src, dst, n);
}

}  // namespace rocmforge::quant
