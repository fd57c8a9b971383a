// Full KV blocks by content: hash of (parent block's hash, tokens) -> block.
//
// A cached block is immutable: nobody writes into it again, so any number of
// sequences may read it. A 64-bit hash alone could collide, so each entry
// keeps its parent hash and its token ids and a lookup compares both: a
// false hit then needs two prefixes whose chained hashes collide exactly.
//
// Besides whole blocks, a lookup may match the first tokens of a cached
// block (find_partial): the block is shared and its reader copies it before
// writing past the matched part (copy-on-write, in BlockManager).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "kv/block_allocator.h"
#include "kv/block_hash.h"

namespace rocmforge::kv {

class PrefixCache {
 public:
  explicit PrefixCache(int32_t n_blocks);

  int32_t size() const { return static_cast<int32_t>(by_hash_.size()); }
  bool contains(BlockId id) const { return entries_[static_cast<size_t>(id)].cached; }

  // The block cached for exactly these tokens after `parent`.
  std::optional<BlockId> find(BlockHash hash, BlockHash parent, std::span<const int32_t> tokens) const;

  struct PartialHit {
    BlockId block;
    int32_t n_tokens;  // leading tokens of `tokens` the block holds
  };
  // The cached block after `parent` whose tokens share the longest non-empty
  // prefix with `tokens` (ties: the lowest block id).
  std::optional<PartialHit> find_partial(BlockHash parent, std::span<const int32_t> tokens) const;

  // Caches full block `id`; false (nothing cached) when `hash` is taken already.
  bool insert(BlockId id, BlockHash hash, BlockHash parent, std::span<const int32_t> tokens);
  // Forgets block `id` (evicted).
  void erase(BlockId id);

 private:
  struct Entry {
    bool cached = false;
    BlockHash hash = 0;
    BlockHash parent = 0;
    std::vector<int32_t> tokens;
  };

  std::vector<Entry> entries_;  // by block id
  std::unordered_map<BlockHash, BlockId> by_hash_;
  std::unordered_multimap<BlockHash, BlockId> children_;  // parent hash -> cached blocks after it
};

}  // namespace rocmforge::kv
