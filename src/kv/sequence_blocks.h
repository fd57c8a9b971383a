// One sequence's block table: which pool block holds each run of block_size
// positions, how many positions have their K/V computed, and the chained
// hashes of its full blocks (the parents of the blocks that follow).
// BlockManager changes it; the engine reads the table for each step.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kv/block_allocator.h"
#include "kv/block_hash.h"

namespace rocmforge::kv {

class SequenceBlocks {
 public:
  std::span<const BlockId> table() const { return blocks_; }
  int64_t n_blocks() const { return static_cast<int64_t>(blocks_.size()); }
  // Positions [0, n_computed) have their K/V in the blocks.
  int64_t n_computed() const { return n_computed_; }
  // The full blocks whose hashes are known (the first n_hashed blocks).
  int64_t n_hashed() const { return static_cast<int64_t>(hashes_.size()); }
  BlockHash last_hash() const { return hashes_.empty() ? kRootHash : hashes_.back(); }
  bool empty() const { return blocks_.empty(); }

 private:
  friend class BlockManager;

  std::vector<BlockId> blocks_;
  std::vector<BlockHash> hashes_;
  int64_t n_computed_ = 0;
};

}  // namespace rocmforge::kv
