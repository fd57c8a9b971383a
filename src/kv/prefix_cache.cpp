#include "kv/prefix_cache.h"

#include <algorithm>
#include <cassert>

namespace rocmforge::kv {

PrefixCache::PrefixCache(int32_t n_blocks) : entries_(static_cast<size_t>(n_blocks)) {}

std::optional<BlockId> PrefixCache::find(BlockHash hash, BlockHash parent, std::span<const int32_t> tokens) const {
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  const Entry& e = entries_[static_cast<size_t>(it->second)];
  if (e.parent != parent || !std::equal(e.tokens.begin(), e.tokens.end(), tokens.begin(), tokens.end())) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<PrefixCache::PartialHit> PrefixCache::find_partial(BlockHash parent,
                                                                 std::span<const int32_t> tokens) const {
  std::optional<PartialHit> best;
  const auto [begin, end] = children_.equal_range(parent);
  for (auto it = begin; it != end; ++it) {
    const std::vector<int32_t>& cached = entries_[static_cast<size_t>(it->second)].tokens;
    const size_t n = std::min(cached.size(), tokens.size());
    const auto diff = std::mismatch(cached.begin(), cached.begin() + static_cast<std::ptrdiff_t>(n), tokens.begin());
    const auto common = static_cast<int32_t>(diff.first - cached.begin());
    if (common == 0) continue;
    if (!best || common > best->n_tokens || (common == best->n_tokens && it->second < best->block)) {
      best = PartialHit{it->second, common};
    }
  }
  return best;
}

bool PrefixCache::insert(BlockId id, BlockHash hash, BlockHash parent, std::span<const int32_t> tokens) {
  Entry& e = entries_[static_cast<size_t>(id)];
  assert(!e.cached);
  if (!by_hash_.emplace(hash, id).second) return false;
  e = Entry{true, hash, parent, std::vector<int32_t>(tokens.begin(), tokens.end())};
  children_.emplace(parent, id);
  return true;
}

void PrefixCache::erase(BlockId id) {
  Entry& e = entries_[static_cast<size_t>(id)];
  assert(e.cached);
  by_hash_.erase(e.hash);
  const auto [begin, end] = children_.equal_range(e.parent);
  for (auto it = begin; it != end; ++it) {
    if (it->second == id) {
      children_.erase(it);
      break;
    }
  }
  e.cached = false;
  e.tokens.clear();
}

}  // namespace rocmforge::kv
