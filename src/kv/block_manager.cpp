#include "kv/block_manager.h"

#include <algorithm>
#include <cassert>

namespace rocmforge::kv {

BlockManager::BlockManager(int32_t n_blocks, int32_t block_size, bool prefix_caching)
    : block_size_(block_size),
      prefix_caching_(prefix_caching),
      allocator_(n_blocks),
      evictor_(n_blocks),
      cache_(n_blocks) {
  assert(block_size > 0);
}

PrefixMatch BlockManager::match(std::span<const int32_t> tokens) const {
  PrefixMatch m;
  if (!prefix_caching_ || tokens.empty()) return m;
  const auto limit = static_cast<int64_t>(tokens.size()) - 1;
  const auto bs = static_cast<int64_t>(block_size_);
  BlockHash parent = kRootHash;
  int64_t j = 0;
  for (; (j + 1) * bs <= limit; ++j) {
    const std::span<const int32_t> block = tokens.subspan(static_cast<size_t>(j * bs), static_cast<size_t>(bs));
    const BlockHash hash = hash_block(parent, block);
    const std::optional<BlockId> id = cache_.find(hash, parent, block);
    if (!id) break;
    m.blocks.push_back(*id);
    m.hashes.push_back(hash);
    parent = hash;
  }
  m.n_tokens = j * bs;
  const int64_t rest = std::min(bs, limit - j * bs);
  if (rest > 0) {
    const auto hit = cache_.find_partial(parent, tokens.subspan(static_cast<size_t>(j * bs), static_cast<size_t>(rest)));
    if (hit) {
      m.blocks.push_back(hit->block);
      m.n_tokens += hit->n_tokens;
    }
  }
  return m;
}

void BlockManager::adopt(SequenceBlocks& seq, const PrefixMatch& match) {
  assert(seq.empty() && seq.n_computed_ == 0);
  for (BlockId id : match.blocks) {
    if (allocator_.ref_count(id) == 0) evictor_.remove(id);
    allocator_.retain(id);
  }
  seq.blocks_ = match.blocks;
  seq.hashes_ = match.hashes;
  seq.n_computed_ = match.n_tokens;
}

Result<BlockId> BlockManager::take_block() {
  if (allocator_.n_free() > 0) return allocator_.allocate();
  const std::optional<BlockId> victim = evictor_.pop_lru();
  if (!victim) return RF_ERROR(kCapacity, "all {} KV blocks are in use", n_blocks());
  cache_.erase(*victim);
  allocator_.retain(*victim);
  return *victim;
}

bool BlockManager::needs_copy(const SequenceBlocks& seq) const {
  const int64_t first = seq.n_computed_ / block_size_;
  return first < seq.n_blocks() && !writable(seq.blocks_[static_cast<size_t>(first)]);
}

int64_t BlockManager::reservable(const SequenceBlocks& seq) const {
  const int64_t blocks = seq.n_blocks() + n_available() - (needs_copy(seq) ? 1 : 0);
  return std::max<int64_t>(0, blocks * block_size_ - seq.n_computed_);
}

Status BlockManager::reserve(SequenceBlocks& seq, int64_t n_end) {
  if (n_end <= seq.n_computed_) return ok();
  const int64_t first = seq.n_computed_ / block_size_;
  const bool copy = needs_copy(seq);
  const int64_t n_new = std::max<int64_t>(0, blocks_for(n_end) - seq.n_blocks());
  const int64_t need = n_new + (copy ? 1 : 0);
  if (need > n_available()) {
    return RF_ERROR(kCapacity, "{} more KV blocks needed, {} available", need, n_available());
  }
  if (copy) {
    BlockId& slot = seq.blocks_[static_cast<size_t>(first)];
    const BlockId dst = RF_TRY(take_block());
    // The source keeps this sequence's reference until end_step().
    copies_.push_back({slot, dst});
    slot = dst;
  }
  for (int64_t i = 0; i < n_new; ++i) seq.blocks_.push_back(RF_TRY(take_block()));
  return ok();
}

void BlockManager::commit(SequenceBlocks& seq, std::span<const int32_t> tokens, int64_t n_computed,
                          int64_t n_shareable) {
  assert(n_computed >= seq.n_computed_ && n_computed <= static_cast<int64_t>(tokens.size()));
  assert(blocks_for(n_computed) <= seq.n_blocks());
  seq.n_computed_ = n_computed;
  const auto bs = static_cast<int64_t>(block_size_);
  while ((seq.n_hashed() + 1) * bs <= n_computed) {
    const int64_t j = seq.n_hashed();
    const std::span<const int32_t> block = tokens.subspan(static_cast<size_t>(j * bs), static_cast<size_t>(bs));
    const BlockHash parent = seq.last_hash();
    const BlockHash hash = hash_block(parent, block);
    seq.hashes_.push_back(hash);
    const BlockId id = seq.blocks_[static_cast<size_t>(j)];
    if (prefix_caching_ && (j + 1) * bs <= n_shareable && !cache_.contains(id)) cache_.insert(id, hash, parent, block);
  }
}

void BlockManager::drop(BlockId id) {
  if (allocator_.release(id) > 0) return;
  if (cache_.contains(id)) {
    evictor_.add(id);
  } else {
    allocator_.free(id);
  }
}

void BlockManager::release(SequenceBlocks& seq) {
  for (auto it = seq.blocks_.rbegin(); it != seq.blocks_.rend(); ++it) drop(*it);
  seq.blocks_.clear();
  seq.hashes_.clear();
  seq.n_computed_ = 0;
}

void BlockManager::end_step() {
  for (const backend::BlockCopy& c : copies_) drop(c.src);
  copies_.clear();
}

}  // namespace rocmforge::kv
