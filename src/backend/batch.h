// What one forward step computes, as the backend sees it: a flat list of new
// tokens from one or more sequences, where each token's K/V goes in the paged
// cache, and which cached positions each sequence may attend to.
//
// Paged KV layout (per layer), defined here for every backend:
//   K: [n_blocks, block_size, n_head_kv, head_dim]    V: same with head_dim_v
// A token at position p of a sequence lives in block block_table[p / block_size],
// slot p % block_size; its global slot index is block * block_size + slot.
#pragma once

#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::backend {

struct KvLayout {
  int64_t n_layer = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t head_dim_v = 0;
  int64_t block_size = 16;
  int64_t n_blocks = 0;
  gguf::GgmlType type = gguf::GgmlType::kF16;  // F16 or F32

  int64_t slots() const { return n_blocks * block_size; }
};

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
