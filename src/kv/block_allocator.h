// The pool's blocks: a reference count each and a free list. A block is free
// (in the free list), referenced (count > 0), or parked: unreferenced but kept
// by the prefix cache, which hands it back for reuse (retain) or eviction.
#pragma once

#include <cstdint>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::kv {

using BlockId = int32_t;

class BlockAllocator {
 public:
  explicit BlockAllocator(int32_t n_blocks);

  int32_t n_blocks() const { return static_cast<int32_t>(refs_.size()); }
  int32_t n_free() const { return static_cast<int32_t>(free_.size()); }

  // A free block, with one reference; kCapacity when the free list is empty.
  Result<BlockId> allocate();
  // One more reference; a parked block (count 0) becomes referenced again.
  void retain(BlockId id);
  // One fewer reference; returns how many are left. At 0 the caller frees or parks it.
  int32_t release(BlockId id);
  // Returns an unreferenced block to the free list.
  void free(BlockId id);

  int32_t ref_count(BlockId id) const { return refs_[static_cast<size_t>(id)]; }
  bool is_free(BlockId id) const { return in_free_[static_cast<size_t>(id)]; }

 private:
  std::vector<int32_t> refs_;
  std::vector<bool> in_free_;
  std::vector<BlockId> free_;  // a stack: the most recently freed block is reused first
};

}  // namespace rocmforge::kv
