// Sizing the KV pool: what one block costs and how many fit in a budget.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/batch.h"
#include "rocmforge/error.h"

namespace rocmforge::kv {

// Bytes of K and V one block holds over every layer, in the layout's cache types (layout.n_blocks is not read).
size_t block_bytes(const backend::KvLayout& layout);

// How many blocks of `bytes_per_block` fit in `budget_bytes`; kCapacity when
// fewer than `min_blocks` do (say, one sequence's worth).
Result<int64_t> blocks_for_budget(size_t bytes_per_block, size_t budget_bytes, int64_t min_blocks);

}  // namespace rocmforge::kv
