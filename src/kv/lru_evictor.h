// The eviction policy of the prefix cache: unreferenced cached blocks in
// least-recently-used order. An intrusive list over block ids, so every
// operation is O(1) and nothing is allocated after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kv/block_allocator.h"

namespace rocmforge::kv {

class LruEvictor {
 public:
  explicit LruEvictor(int32_t n_blocks);

  int32_t size() const { return size_; }
  bool contains(BlockId id) const { return linked(id); }

  // `id` just became unreferenced: the most recently used candidate.
  void add(BlockId id);
  // `id` is referenced again (a prefix hit): no longer a candidate.
  void remove(BlockId id);
  // The least recently used candidate, taken out; nullopt when there is none.
  std::optional<BlockId> pop_lru();

 private:
  bool linked(BlockId id) const { return prev_[static_cast<size_t>(id)] != kUnlinked; }

  static constexpr int32_t kUnlinked = -2;
  int32_t head_;  // the sentinel: next_[head_] is the least recent, prev_[head_] the most recent
  std::vector<int32_t> prev_;
  std::vector<int32_t> next_;
  int32_t size_ = 0;
};

}  // namespace rocmforge::kv
