#include "kv/pool_size.h"

namespace rocmforge::kv {

size_t block_bytes(const backend::KvLayout& layout) {
  return (layout.k_row_bytes() + layout.v_row_bytes()) * static_cast<size_t>(layout.block_size * layout.n_layer);
}

Result<int64_t> blocks_for_budget(size_t bytes_per_block, size_t budget_bytes, int64_t min_blocks) {
  if (bytes_per_block == 0) return RF_ERROR(kInvalidArgument, "a KV block of 0 bytes");
  const auto n = static_cast<int64_t>(budget_bytes / bytes_per_block);
  if (n < min_blocks) {
    return RF_ERROR(kCapacity, "{} bytes hold {} KV blocks of {} bytes; at least {} are needed", budget_bytes, n,
                    bytes_per_block, min_blocks);
  }
  return n;
}

}  // namespace rocmforge::kv
