// Paged causal attention on the CPU, and the K/V cache writes and block copies.
//
// Each (token, query head) pair is one task: an online softmax over the
// sequence's cached positions 0..pos, in position order. This is the
// arithmetic of ggml's CPU flash attention, so logits agree with llama.cpp's:
// - q.k: the query is converted to the K type's vec_dot_type (F16 for F16,
//   BF16 for BF16, Q8_0 for Q8_0 with quantize_row_q8_0's rounding, F32 for
//   F32) and dotted with the cached row by that type's vec_dot, scores in F32;
// - the value sum is kept in F16 for an F16 V cache (rounded after each
//   step), in F32 for F32, BF16 and Q8_0, whose rows are converted one by one.
// A head smaller than a Q8_0 block (llama.cpp cannot store one) is read as
// its part of the block: the query quantised over that head alone, so its
// block is the head padded with zeros to the K block it is dotted with.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/cpu/ops.h"
#include "backend/cpu/vec_ops.h"
#include "quant/half.h"
#include "quant/quant.h"

namespace rocmforge::backend::cpu {
namespace {

using gguf::GgmlType;

// Where one head's elements lie in a slot row: the blocks from `offset`
// bytes on, `span` elements of them, the head starting `lead` elements in
// (not 0 only for heads smaller than a block).
struct HeadSpan {
  size_t offset;
  int64_t lead;
  int64_t span;
};

HeadSpan head_span(GgmlType type, int64_t head_dim, int64_t head) {
  const int64_t block = gguf::ggml_type_info(type).block_size;
  const int64_t first = head * head_dim;
  const int64_t lead = first % block;
  return {gguf::ggml_row_size(type, first - lead), lead, std::max(head_dim, block)};
}

// q.k for one query head against cached K rows, in the K type's arithmetic.
class KeyDot {
 public:
  KeyDot(GgmlType type, int64_t head_dim)
      : type_(type),
        head_dim_(head_dim),
        ops_(vec_ops()),
        tile_(type == GgmlType::kQ8_0 || type == GgmlType::kBF16 ? quant::dot_tile(type, {1, 1}) : nullptr),
        q_(static_cast<size_t>(std::max<int64_t>(head_dim, 32))),
        q_conv_(quant::row_bytes(quant::vec_dot_type(type), static_cast<int64_t>(q_.size()))) {}

  // The query of a head that reads KV head `kvh`.
  void set_query(const float* q, int64_t kvh) {
    span_ = head_span(type_, head_dim_, kvh);
    if (type_ == GgmlType::kF32) {
      q32_ = q;
      return;
    }
    std::fill(q_.begin(), q_.end(), 0.0f);
    std::copy_n(q, head_dim_, q_.begin() + span_.lead);
    quant::quantize_activations(quant::vec_dot_type(type_), q_.data(), q_conv_.data(), span_.span);
  }

  float dot(const std::byte* row) const {
    const std::byte* k = row + span_.offset;
    switch (type_) {
      case GgmlType::kF32:
        return ops_.dot_f32(reinterpret_cast<const float*>(k), q32_, head_dim_);
      case GgmlType::kF16:
        return ops_.dot_f16(reinterpret_cast<const uint16_t*>(k), reinterpret_cast<const uint16_t*>(q_conv_.data()),
                            head_dim_);
      default: {
        float out = 0.0f;
        tile_(span_.span, k, 0, 1, q_conv_.data(), 0, 1, &out, 1);
        return out;
      }
    }
  }

 private:
  GgmlType type_;
  int64_t head_dim_;
  const VecOps& ops_;
  quant::DotTileFn tile_;
  std::vector<float> q_;  // the query padded to its span
  std::vector<std::byte> q_conv_;
  const float* q32_ = nullptr;
  HeadSpan span_{};
};

// The weighted sum of cached V rows for one query head, in the V type's arithmetic.
class ValueSum {
 public:
  ValueSum(GgmlType type, int64_t head_dim)
      : type_(type),
        head_dim_(head_dim),
        ops_(vec_ops()),
        acc16_(static_cast<size_t>(head_dim)),
        acc32_(static_cast<size_t>(head_dim)),
        row_(static_cast<size_t>(std::max<int64_t>(head_dim, 32))) {}

  void reset(int64_t kvh) {
    span_ = head_span(type_, head_dim_, kvh);
    std::fill(acc16_.begin(), acc16_.end(), uint16_t{0});
    std::fill(acc32_.begin(), acc32_.end(), 0.0f);
  }

  void scale(float s) {
    if (type_ == GgmlType::kF16) {
      ops_.scale_f16(acc16_.data(), s, head_dim_);
    } else {
      ops_.scale_f32(acc32_.data(), s, head_dim_);
    }
  }

  // acc += s * (the head's V elements in `row`).
  void add(const std::byte* row, float s) {
    const std::byte* v = row + span_.offset;
    switch (type_) {
      case GgmlType::kF16:
        return ops_.mad_f16(acc16_.data(), reinterpret_cast<const uint16_t*>(v), s, head_dim_);
      case GgmlType::kF32:
        return ops_.mad_f32(acc32_.data(), reinterpret_cast<const float*>(v), s, head_dim_);
      default:
        quant::dequantize_row(type_, v, row_.data(), span_.span);
        return ops_.mad_f32(acc32_.data(), row_.data() + span_.lead, s, head_dim_);
    }
  }

  void write(float* dst, float factor) const {
    for (int64_t d = 0; d < head_dim_; ++d) {
      const auto i = static_cast<size_t>(d);
      dst[d] = (type_ == GgmlType::kF16 ? quant::fp16_to_fp32(acc16_[i]) : acc32_[i]) * factor;
    }
  }

 private:
  GgmlType type_;
  int64_t head_dim_;
  const VecOps& ops_;
  std::vector<uint16_t> acc16_;
  std::vector<float> acc32_;
  std::vector<float> row_;  // a dequantised span
  HeadSpan span_{};
};

void store_row(GgmlType type, const float* src, std::byte* dst, int64_t n) {
  switch (type) {
    case GgmlType::kF16:
      return quant::convert_f32_to_f16(src, reinterpret_cast<uint16_t*>(dst), n);
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    default:  // ggml's F32 -> Q8_0 / BF16 cache copy converts as for activations (quantize_row_q8_0, FP32_TO_BF16)
      return quant::quantize_activations(type, src, dst, n);
  }
}

}  // namespace

void store_kv(core::ThreadPool& pool, const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
              const BatchView& batch) {
  assert(k.cols == layout.n_head_kv * layout.head_dim && v.cols == layout.n_head_kv * layout.head_dim_v);
  const size_t k_row = layout.k_row_bytes();
  const size_t v_row = layout.v_row_bytes();
  pool.parallel_for(batch.n_tokens, 16, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t slot = batch.slots[t];
      assert(slot >= 0 && slot < layout.slots());
      store_row(layout.types.k, k.row<const float>(t), static_cast<std::byte*>(kv.k) + slot * k_row, k.cols);
      store_row(layout.types.v, v.row<const float>(t), static_cast<std::byte*>(kv.v) + slot * v_row, v.cols);
    }
  });
}

void copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) {
  const size_t k_block = layout.k_row_bytes() * static_cast<size_t>(layout.block_size);
  const size_t v_block = layout.v_row_bytes() * static_cast<size_t>(layout.block_size);
  for (const BlockCopy& c : copies) {
    assert(c.src >= 0 && c.src < layout.n_blocks && c.dst >= 0 && c.dst < layout.n_blocks);
    auto* k = static_cast<std::byte*>(kv.k);
    auto* v = static_cast<std::byte*>(kv.v);
    std::memcpy(k + static_cast<size_t>(c.dst) * k_block, k + static_cast<size_t>(c.src) * k_block, k_block);
    std::memcpy(v + static_cast<size_t>(c.dst) * v_block, v + static_cast<size_t>(c.src) * v_block, v_block);
  }
}

void attention(core::ThreadPool& pool, const Tensor& q, const KvLayerView& kv, const KvLayout& layout,
               const BatchView& batch, const AttentionParams& p, const Tensor& out) {
  assert(q.cols == p.n_head * p.head_dim && out.cols == p.n_head * p.head_dim_v);
  const size_t k_row = layout.k_row_bytes();
  const size_t v_row = layout.v_row_bytes();
  const int64_t gqa = p.n_head / p.n_head_kv;
  // With soft-capping ggml folds 1/softcap into the scale before the tanh.
  const float scale = p.softcap != 0.0f ? p.scale / p.softcap : p.scale;
  const int64_t n_tasks = static_cast<int64_t>(batch.n_tokens) * p.n_head;

  // Enough (token, head) tasks per chunk that waking the pool pays off.
  const int64_t keys = static_cast<int64_t>(batch.positions[batch.n_tokens - 1]) + 1;
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, keys * (p.head_dim + p.head_dim_v)));
  pool.parallel_for(n_tasks, grain, [&](int64_t begin, int64_t end) {
    KeyDot key(layout.types.k, p.head_dim);
    ValueSum value(layout.types.v, p.head_dim_v);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / p.n_head;
      const int64_t h = task % p.n_head;
      const int64_t kvh = h / gqa;
      const int32_t* blocks = batch.block_tables + static_cast<int64_t>(batch.token_seq[t]) * batch.max_blocks;
      key.set_query(q.row<const float>(t) + h * p.head_dim, kvh);
      value.reset(kvh);
      float m = -std::numeric_limits<float>::infinity();
      float s_sum = 0.0f;
      const int64_t n_keys = static_cast<int64_t>(batch.positions[t]) + 1;
      // Keys outside the window are masked, i.e. skipped, as ggml skips -inf mask entries.
      const int64_t first_key = p.window > 0 ? std::max<int64_t>(0, n_keys - p.window) : 0;
      for (int64_t j = first_key; j < n_keys; ++j) {
        const int64_t slot = static_cast<int64_t>(blocks[j / layout.block_size]) * layout.block_size +
                             j % layout.block_size;
        float score = key.dot(static_cast<const std::byte*>(kv.k) + slot * k_row) * scale;
        if (p.softcap != 0.0f) score = p.softcap * std::tanh(score);
        float ms = 1.0f;
        float vs = 1.0f;
        if (score > m) {
          ms = std::exp(m - score);
          m = score;
          value.scale(ms);
        } else {
          vs = std::exp(score - m);
        }
        value.add(static_cast<const std::byte*>(kv.v) + slot * v_row, vs);
        s_sum = s_sum * ms + vs;
      }
      value.write(out.row<float>(t) + h * p.head_dim_v, s_sum == 0.0f ? 0.0f : 1.0f / s_sum);
    }
  });
}

}  // namespace rocmforge::backend::cpu
