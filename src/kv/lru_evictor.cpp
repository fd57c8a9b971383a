#include "kv/lru_evictor.h"

#include <cassert>

namespace rocmforge::kv {

LruEvictor::LruEvictor(int32_t n_blocks)
    : head_(n_blocks),
      prev_(static_cast<size_t>(n_blocks) + 1, kUnlinked),
      next_(static_cast<size_t>(n_blocks) + 1, kUnlinked) {
  prev_[static_cast<size_t>(head_)] = head_;
  next_[static_cast<size_t>(head_)] = head_;
}

void LruEvictor::add(BlockId id) {
  assert(id >= 0 && id < head_ && !linked(id));
  const int32_t last = prev_[static_cast<size_t>(head_)];
  prev_[static_cast<size_t>(id)] = last;
  next_[static_cast<size_t>(id)] = head_;
  next_[static_cast<size_t>(last)] = id;
  prev_[static_cast<size_t>(head_)] = id;
  ++size_;
}

void LruEvictor::remove(BlockId id) {
  assert(id >= 0 && id < head_ && linked(id));
  const int32_t p = prev_[static_cast<size_t>(id)];
  const int32_t n = next_[static_cast<size_t>(id)];
  next_[static_cast<size_t>(p)] = n;
  prev_[static_cast<size_t>(n)] = p;
  prev_[static_cast<size_t>(id)] = kUnlinked;
  next_[static_cast<size_t>(id)] = kUnlinked;
  --size_;
}

std::optional<BlockId> LruEvictor::pop_lru() {
  const int32_t first = next_[static_cast<size_t>(head_)];
  if (first == head_) return std::nullopt;
  remove(first);
  return first;
}

}  // namespace rocmforge::kv
