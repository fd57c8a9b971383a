#include "model/batch.h"

#include <algorithm>

namespace rocmforge::model {

void Batch::clear() {
  tokens_.clear();
  positions_.clear();
  slots_.clear();
  token_seq_.clear();
  tables_.clear();
  logit_rows_.clear();
  n_seqs_ = 0;
  max_blocks_ = 0;
  n_generated_rows_ = 0;
}

Status Batch::add(const SequenceChunk& chunk, int64_t block_size, int64_t n_blocks) {
  if (chunk.tokens.empty()) return RF_ERROR(kInvalidArgument, "a sequence chunk has no tokens");
  const int64_t end = static_cast<int64_t>(chunk.n_past) + static_cast<int64_t>(chunk.tokens.size());
  const int64_t blocks_needed = (end + block_size - 1) / block_size;
  if (static_cast<int64_t>(chunk.block_table.size()) < blocks_needed) {
    return RF_ERROR(kInternal, "block table covers {} blocks but positions up to {} need {}",
                    chunk.block_table.size(), end, blocks_needed);
  }
  const bool generated = chunk.n_past >= chunk.prompt_end;
  if (generated && n_generated_rows_ < n_tokens()) {
    return RF_ERROR(kInternal, "generated tokens after prompt tokens in one step");
  }
  if (!generated && end > chunk.prompt_end) {
    return RF_ERROR(kInternal, "a chunk of prompt and generated tokens (positions {} to {}, prompt ends at {})",
                    chunk.n_past, end, chunk.prompt_end);
  }
  for (int64_t b = 0; b < blocks_needed; ++b) {
    const int32_t id = chunk.block_table[static_cast<size_t>(b)];
    if (id < 0 || id >= n_blocks) return RF_ERROR(kInternal, "block id {} is outside the pool of {}", id, n_blocks);
  }
  const int32_t seq = n_seqs_++;
  tables_.emplace_back(chunk.block_table.begin(), chunk.block_table.begin() + blocks_needed);
  max_blocks_ = std::max(max_blocks_, static_cast<int32_t>(blocks_needed));
  for (size_t i = 0; i < chunk.tokens.size(); ++i) {
    const int64_t pos = chunk.n_past + static_cast<int64_t>(i);
    const int64_t block = chunk.block_table[static_cast<size_t>(pos / block_size)];
    if (chunk.logits && i + 1 == chunk.tokens.size()) {
      logit_rows_.push_back(static_cast<int32_t>(tokens_.size()));
    }
    tokens_.push_back(chunk.tokens[i]);
    positions_.push_back(static_cast<int32_t>(pos));
    slots_.push_back(static_cast<int32_t>(block * block_size + pos % block_size));
    token_seq_.push_back(seq);
  }
  if (generated) n_generated_rows_ = n_tokens();
  return ok();
}

std::vector<int32_t> Batch::block_tables() const {
  std::vector<int32_t> flat(static_cast<size_t>(n_seqs_) * static_cast<size_t>(max_blocks_), -1);
  for (size_t s = 0; s < tables_.size(); ++s) {
    std::copy(tables_[s].begin(), tables_[s].end(), flat.begin() + static_cast<std::ptrdiff_t>(s * max_blocks_));
  }
  return flat;
}

}  // namespace rocmforge::model
