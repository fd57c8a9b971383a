#include "kv/block_allocator.h"

#include <cassert>

namespace rocmforge::kv {

BlockAllocator::BlockAllocator(int32_t n_blocks)
    : refs_(static_cast<size_t>(n_blocks), 0), in_free_(static_cast<size_t>(n_blocks), true) {
  assert(n_blocks >= 0);
  free_.reserve(static_cast<size_t>(n_blocks));
  // Reversed, so that block 0 goes out first.
  for (BlockId id = n_blocks - 1; id >= 0; --id) free_.push_back(id);
}

Result<BlockId> BlockAllocator::allocate() {
  if (free_.empty()) return RF_ERROR(kCapacity, "all {} KV blocks are in use", n_blocks());
  const BlockId id = free_.back();
  free_.pop_back();
  in_free_[static_cast<size_t>(id)] = false;
  refs_[static_cast<size_t>(id)] = 1;
  return id;
}

void BlockAllocator::retain(BlockId id) {
  assert(id >= 0 && id < n_blocks() && !is_free(id));
  ++refs_[static_cast<size_t>(id)];
}

int32_t BlockAllocator::release(BlockId id) {
  assert(id >= 0 && id < n_blocks() && refs_[static_cast<size_t>(id)] > 0);
  return --refs_[static_cast<size_t>(id)];
}

void BlockAllocator::free(BlockId id) {
  assert(id >= 0 && id < n_blocks() && refs_[static_cast<size_t>(id)] == 0 && !is_free(id));
  in_free_[static_cast<size_t>(id)] = true;
  free_.push_back(id);
}

}  // namespace rocmforge::kv
