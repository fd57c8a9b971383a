// The key of a full KV block in the prefix cache: a hash of its tokens
// chained with the hash of the block before it, so a block's key stands for
// the whole prefix up to its end. The same tokens after a different prefix
// hash differently (their K/V differ too).
#pragma once

#include <cstdint>
#include <span>

namespace rocmforge::kv {

using BlockHash = uint64_t;

// The "parent" of a sequence's first block.
inline constexpr BlockHash kRootHash = 0x6a09e667f3bcc908ULL;

BlockHash hash_block(BlockHash parent, std::span<const int32_t> tokens);

}  // namespace rocmforge::kv
