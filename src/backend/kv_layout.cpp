#include "backend/kv_layout.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rocmforge::backend {
namespace {

using gguf::GgmlType;

constexpr std::array kCacheTypes = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0};

Status check_type(GgmlType type, int64_t head_dim, const char* what) {
  if (std::find(kCacheTypes.begin(), kCacheTypes.end(), type) == kCacheTypes.end()) {
    return RF_ERROR(kUnsupported, "{} cache type {} is not supported ({})", what, gguf::ggml_type_name(type),
                    kv_cache_type_names());
  }
  const int64_t block = gguf::ggml_type_info(type).block_size;
  if (head_dim % block != 0 && block % head_dim != 0) {
    return RF_ERROR(kUnsupported, "a {} {} cache needs heads of a multiple or a divisor of {} dims, not {}",
                    gguf::ggml_type_name(type), what, block, head_dim);
  }
  return ok();
}

}  // namespace

std::span<const GgmlType> kv_cache_types() { return kCacheTypes; }

std::string kv_cache_type_names() {
  std::vector<std::string_view> names;
  for (GgmlType t : kCacheTypes) names.push_back(gguf::ggml_type_name(t));
  return fmt::format("{}", fmt::join(names, ", "));
}

Status check_kv_layout(const KvLayout& layout) {
  RF_TRY(check_type(layout.types.k, layout.head_dim, "K"));
  RF_TRY(check_type(layout.types.v, layout.head_dim_v, "V"));
  // Heads dividing a block must also fill whole blocks together.
  const int64_t k_block = gguf::ggml_type_info(layout.types.k).block_size;
  const int64_t v_block = gguf::ggml_type_info(layout.types.v).block_size;
  if ((layout.n_head_kv * layout.head_dim) % k_block != 0 || (layout.n_head_kv * layout.head_dim_v) % v_block != 0) {
    return RF_ERROR(kUnsupported, "{} KV heads of {} and {} dims do not fill whole cache blocks", layout.n_head_kv,
                    layout.head_dim, layout.head_dim_v);
  }
  return ok();
}

}  // namespace rocmforge::backend
