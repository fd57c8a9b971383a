// A host-side forward step: chunks of new tokens from one or more sequences,
// flattened into the arrays the backend reads (see backend/batch.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::model {

struct SequenceChunk {
  std::span<const int32_t> tokens;       // the new tokens of this step
  int32_t n_past = 0;                    // positions already in the KV cache
  std::span<const int32_t> block_table;  // blocks covering positions [0, n_past + tokens.size())
  bool logits = true;                    // produce logits for the last new token (one row per chunk at most)
  int32_t prompt_end = 0;                // positions below this are prompt tokens, the others generated ones
};

class Batch {
 public:
  void clear();
  // Appends a chunk; checks that its block table covers every new position
  // and that no generated token follows a prompt token in the step.
  Status add(const SequenceChunk& chunk, int64_t block_size, int64_t n_blocks);

  int32_t n_tokens() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t n_seqs() const { return n_seqs_; }
  int32_t max_blocks() const { return max_blocks_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::vector<int32_t>& positions() const { return positions_; }
  const std::vector<int32_t>& slots() const { return slots_; }
  const std::vector<int32_t>& token_seq() const { return token_seq_; }
  // Row-major [n_seqs, max_blocks], padded with -1.
  std::vector<int32_t> block_tables() const;
  // Token rows that produce logits, in the order the logits come back.
  const std::vector<int32_t>& logit_rows() const { return logit_rows_; }
  // Rows [0, n_generated_rows()) are generated tokens, the rest prompt tokens.
  int32_t n_generated_rows() const { return n_generated_rows_; }

 private:
  std::vector<int32_t> tokens_;
  std::vector<int32_t> positions_;
  std::vector<int32_t> slots_;
  std::vector<int32_t> token_seq_;
  std::vector<std::vector<int32_t>> tables_;
  std::vector<int32_t> logit_rows_;
  int32_t n_seqs_ = 0;
  int32_t max_blocks_ = 0;
  int32_t n_generated_rows_ = 0;
};

}  // namespace rocmforge::model
