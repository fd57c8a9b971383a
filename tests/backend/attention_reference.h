// Paged attention test problems and their exact answer, shared by the CPU
// attention tests and the GPU ones (which compare both backends with it).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "gguf/ggml_type.h"

namespace rocmforge::testing {

struct Seq {
  int32_t n_past;  // cached positions before the new tokens
  int32_t n_new;
};

// Sequences laid out in a paged pool, their blocks scattered over it.
struct PagedBatch {
  int64_t block_size = 0;
  int32_t max_blocks = 0;  // block table row length (longer than needed, as a padded table)
  int64_t n_blocks = 0;
  std::vector<int32_t> tables;     // [n_seqs, max_blocks]
  std::vector<int32_t> all_slots;  // every cached and new position's slot, sequence after sequence
  std::vector<int32_t> seq_start;  // each sequence's first row in all_slots
  std::vector<int32_t> positions;  // the new tokens (the query batch)
  std::vector<int32_t> token_seq;
};

PagedBatch make_paged_batch(const std::vector<Seq>& seqs, int64_t block_size, std::mt19937& rng);

// `x` as a cache of `type` holds it: F32 as is, F16 and BF16 rounded, Q8_0 rounded in
// consecutive groups of `group` elements (d = amax / 127 in F16, q =
// round-half-even(x * 127 / amax), ggml's x86 quantize_row_q8_0).
std::vector<float> as_cached(gguf::GgmlType type, const std::vector<float>& x, int64_t group = 32);

// The query as attention reads it against a K cache of `type`: converted to
// its vec_dot_type (a Q8_0 query is grouped by 32 dims, or by head when heads are smaller).
std::vector<float> query_as_read(gguf::GgmlType k_type, const std::vector<float>& q, int64_t head_dim);

struct AttentionShape {
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t head_dim_v;
  float scale;
  float softcap = 0.0f;
  int64_t window = 0;
};

// Causal attention in double: q [n_tokens, n_head * head_dim], k and v rows
// in all_slots order ([rows, n_head_kv * head_dim(_v)]).
std::vector<float> reference_attention(const AttentionShape& s, const PagedBatch& b, const std::vector<float>& q,
                                       const std::vector<float>& k, const std::vector<float>& v);

}  // namespace rocmforge::testing
