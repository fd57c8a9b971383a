// The paged KV cache's layout, defined here for every backend (per layer):
//   K: [n_blocks, block_size, n_head_kv, head_dim]    V: same with head_dim_v
// A token at position p of a sequence lives in block block_table[p / block_size],
// slot p % block_size; its global slot index is block * block_size + slot.
//
// K and V each hold F32, F16, BF16 or Q8_0, chosen apart (llama.cpp's
// --cache-type-k / --cache-type-v). A Q8_0 slot row is what llama.cpp stores:
// ggml's blocks of 32 elements (an F16 scale, 32 int8) over all the slot's KV
// heads, so a head is whole blocks (head size a multiple of 32) or a part of
// one block (head size dividing 32), and other head sizes are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "gguf/ggml_type.h"
#include "rocmforge/error.h"

namespace rocmforge::backend {

struct KvTypes {
  gguf::GgmlType k = gguf::GgmlType::kF16;
  gguf::GgmlType v = gguf::GgmlType::kF16;
};

struct KvLayout {
  int64_t n_layer = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t head_dim_v = 0;
  int64_t block_size = 16;
  int64_t n_blocks = 0;
  KvTypes types;

  int64_t slots() const { return n_blocks * block_size; }
  // Bytes of one slot's K row and V row (all KV heads).
  size_t k_row_bytes() const { return gguf::ggml_row_size(types.k, n_head_kv * head_dim); }
  size_t v_row_bytes() const { return gguf::ggml_row_size(types.v, n_head_kv * head_dim_v); }
};

// The cache types every backend stores and reads, in the order of the CLI's help.
std::span<const gguf::GgmlType> kv_cache_types();
// Their names, as the CLI takes them: "f32, f16, bf16, q8_0".
std::string kv_cache_type_names();

// kUnsupported when a type is not one of kv_cache_types() or a Q8_0 cache
// cannot hold the head size (see above).
Status check_kv_layout(const KvLayout& layout);

}  // namespace rocmforge::backend
