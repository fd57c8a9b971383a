// What one forward step computes, as the backend sees it: a flat list of new
// tokens from one or more sequences, where each token's K/V goes in the paged
// cache (its layout: kv_layout.h), and which cached positions each sequence
// may attend to.
#pragma once

#include <cstdint>

#include "backend/kv_layout.h"

namespace rocmforge::backend {

// Pointers into backend memory (device pointers on a GPU), so that a captured
// graph can be replayed with new contents.
struct BatchView {
  const int32_t* tokens = nullptr;        // [n_tokens]
  const int32_t* positions = nullptr;     // [n_tokens] position of each token in its sequence
  const int32_t* slots = nullptr;         // [n_tokens] global KV slot each token writes
  const int32_t* token_seq = nullptr;     // [n_tokens] index of each token's sequence
  const int32_t* block_tables = nullptr;  // [n_seqs, max_blocks] block ids, row-major
  int32_t n_tokens = 0;
  int32_t n_seqs = 0;
  int32_t max_blocks = 0;  // row length of block_tables
  // Rows [0, n_generated) are generated tokens, the rest prompt tokens (a
  // backend whose prompt rows differ may attend for them apart).
  int32_t n_generated = 0;
};

// A whole-block copy in the paged pool (copy-on-write of a shared block).
struct BlockCopy {
  int32_t src = 0;
  int32_t dst = 0;
};

// One layer's K and V storage in the paged layout above.
struct KvLayerView {
  void* k = nullptr;
  void* v = nullptr;
};

}  // namespace rocmforge::backend
