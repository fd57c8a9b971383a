// The KV cache's bookkeeping: gives sequences blocks from the pool, shares
// cached prefix blocks between them, copies a shared block before it is
// written, and evicts unreferenced cached blocks in LRU order when the free
// list runs dry. The K/V memory itself lives in the backend; this class only
// decides which block holds what.
//
// Invariants: a sequence writes only into blocks it alone references and
// that are not cached; a block in the prefix cache is never written again.
// Running out of blocks is a kCapacity result that changes nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/batch.h"
#include "kv/block_allocator.h"
#include "kv/lru_evictor.h"
#include "kv/prefix_cache.h"
#include "kv/sequence_blocks.h"
#include "rocmforge/error.h"

namespace rocmforge::kv {

// The cached prefix of a token sequence: whole blocks, and possibly the
// leading part of one more (the last entry of `blocks`).
struct PrefixMatch {
  std::vector<BlockId> blocks;
  std::vector<BlockHash> hashes;  // of the whole blocks
  int64_t n_tokens = 0;
};

class BlockManager {
 public:
  BlockManager(int32_t n_blocks, int32_t block_size, bool prefix_caching);

  int32_t n_blocks() const { return allocator_.n_blocks(); }
  int32_t block_size() const { return block_size_; }
  // Blocks that can be handed out now: free ones and evictable cached ones.
  int32_t n_available() const { return allocator_.n_free() + evictor_.size(); }
  // Unreferenced blocks kept for prefix reuse.
  int32_t n_cached_unused() const { return evictor_.size(); }
  // Blocks referenced by some sequence (copy sources awaiting end_step included).
  int32_t n_used() const { return n_blocks() - n_available(); }
  int64_t blocks_for(int64_t n_tokens) const { return (n_tokens + block_size_ - 1) / block_size_; }

  // The longest cached prefix of `tokens`, short of the last token (whose
  // logits a step must produce). Reads only; empty without prefix caching.
  PrefixMatch match(std::span<const int32_t> tokens) const;
  // Starts an empty sequence on a match, taking a reference on its blocks.
  void adopt(SequenceBlocks& seq, const PrefixMatch& match);

  // How many positions past n_computed reserve() could cover right now.
  int64_t reservable(const SequenceBlocks& seq) const;
  // Makes positions [n_computed, n_end) writable: new blocks, and a copy of
  // a shared block that the first new position falls in (see
  // pending_copies()). All or nothing: kCapacity leaves everything as it was.
  Status reserve(SequenceBlocks& seq, int64_t n_end);
  // After a step: `tokens[0, n_computed)` are in the sequence's blocks. Blocks
  // that became full get their chained hash, and those wholly below
  // `n_shareable` enter the prefix cache.
  void commit(SequenceBlocks& seq, std::span<const int32_t> tokens, int64_t n_computed,
              int64_t n_shareable = INT64_MAX);
  // Drops the sequence's references, last block first, so that a prefix's
  // tail is evicted before its head. The sequence is empty afterwards.
  void release(SequenceBlocks& seq);

  // Copies reserve() recorded, to run before the step's writes. Their
  // sources stay referenced until end_step(), so no later allocation of the
  // same step can hand a source out to be overwritten first.
  std::span<const backend::BlockCopy> pending_copies() const { return copies_; }
  void end_step();

  // For tests and invariant checks.
  int32_t ref_count(BlockId id) const { return allocator_.ref_count(id); }
  bool is_cached(BlockId id) const { return cache_.contains(id); }
  int32_t n_cached() const { return cache_.size(); }

 private:
  Result<BlockId> take_block();
  void drop(BlockId id);
  // The block the next position falls in exists and may not be written: shared or cached.
  bool needs_copy(const SequenceBlocks& seq) const;
  bool writable(BlockId id) const { return allocator_.ref_count(id) == 1 && !cache_.contains(id); }

  int32_t block_size_;
  bool prefix_caching_;
  BlockAllocator allocator_;
  LruEvictor evictor_;
  PrefixCache cache_;
  std::vector<backend::BlockCopy> copies_;
};

}  // namespace rocmforge::kv
