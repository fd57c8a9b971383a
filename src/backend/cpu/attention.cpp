// Paged causal attention on the CPU, and the K/V cache writes and block copies.
//
// Each (token, query head) pair is one task: an online softmax over the
// sequence's cached positions 0..pos, in position order, with the value sum
// kept in the cache's type. This is the same arithmetic as ggml's CPU flash
// attention (F16 cache: q rounded to F16, dot products in F32, the V sum
// rounded to F16 after each step), so logits agree with llama.cpp's.
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

size_t elem_size(GgmlType type) { return type == GgmlType::kF16 ? 2 : 4; }

struct KvGeometry {
  const KvLayout& layout;
  size_t k_row;  // bytes of one slot's K (all KV heads)
  size_t v_row;

  explicit KvGeometry(const KvLayout& l)
      : layout(l),
        k_row(static_cast<size_t>(l.n_head_kv * l.head_dim) * elem_size(l.type)),
        v_row(static_cast<size_t>(l.n_head_kv * l.head_dim_v) * elem_size(l.type)) {}
};

void store_row(GgmlType type, const float* src, std::byte* dst, int64_t n) {
  if (type == GgmlType::kF16) {
    quant::convert_f32_to_f16(src, reinterpret_cast<uint16_t*>(dst), n);
  } else {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  }
}

}  // namespace

void store_kv(core::ThreadPool& pool, const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
              const BatchView& batch) {
  const KvGeometry g(layout);
  assert(k.cols == layout.n_head_kv * layout.head_dim && v.cols == layout.n_head_kv * layout.head_dim_v);
  pool.parallel_for(batch.n_tokens, 16, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t slot = batch.slots[t];
      assert(slot >= 0 && slot < layout.slots());
      store_row(layout.type, k.row<const float>(t), static_cast<std::byte*>(kv.k) + slot * g.k_row, k.cols);
      store_row(layout.type, v.row<const float>(t), static_cast<std::byte*>(kv.v) + slot * g.v_row, v.cols);
    }
  });
}

void copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) {
  const KvGeometry g(layout);
  const size_t k_block = g.k_row * static_cast<size_t>(layout.block_size);
  const size_t v_block = g.v_row * static_cast<size_t>(layout.block_size);
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
  const KvGeometry g(layout);
  const bool f16 = layout.type == GgmlType::kF16;
  const VecOps& ops = vec_ops();
  const int64_t gqa = p.n_head / p.n_head_kv;
  // With soft-capping ggml folds 1/softcap into the scale before the tanh.
  const float scale = p.softcap != 0.0f ? p.scale / p.softcap : p.scale;
  const int64_t n_tasks = static_cast<int64_t>(batch.n_tokens) * p.n_head;
  const size_t k_head_bytes = static_cast<size_t>(p.head_dim) * elem_size(layout.type);
  const size_t v_head_bytes = static_cast<size_t>(p.head_dim_v) * elem_size(layout.type);

  // Enough (token, head) tasks per chunk that waking the pool pays off.
  const int64_t keys = static_cast<int64_t>(batch.positions[batch.n_tokens - 1]) + 1;
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, keys * (p.head_dim + p.head_dim_v)));
  pool.parallel_for(n_tasks, grain, [&](int64_t begin, int64_t end) {
    std::vector<uint16_t> q16(static_cast<size_t>(p.head_dim));
    std::vector<uint16_t> acc16(static_cast<size_t>(p.head_dim_v));
    std::vector<float> acc32(static_cast<size_t>(p.head_dim_v));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / p.n_head;
      const int64_t h = task % p.n_head;
      const int64_t kvh = h / gqa;
      const int32_t* blocks = batch.block_tables + static_cast<int64_t>(batch.token_seq[t]) * batch.max_blocks;
      const float* qf = q.row<const float>(t) + h * p.head_dim;
      if (f16) {
        quant::convert_f32_to_f16(qf, q16.data(), p.head_dim);
        std::fill(acc16.begin(), acc16.end(), uint16_t{0});
      } else {
        std::fill(acc32.begin(), acc32.end(), 0.0f);
      }
      float m = -std::numeric_limits<float>::infinity();
      float s_sum = 0.0f;
      const int64_t n_keys = static_cast<int64_t>(batch.positions[t]) + 1;
      // Keys outside the window are masked, i.e. skipped, as ggml skips -inf mask entries.
      const int64_t first_key = p.window > 0 ? std::max<int64_t>(0, n_keys - p.window) : 0;
      for (int64_t j = first_key; j < n_keys; ++j) {
        const int64_t slot = static_cast<int64_t>(blocks[j / layout.block_size]) * layout.block_size +
                             j % layout.block_size;
        const std::byte* kp = static_cast<const std::byte*>(kv.k) + slot * g.k_row + kvh * k_head_bytes;
        const std::byte* vp = static_cast<const std::byte*>(kv.v) + slot * g.v_row + kvh * v_head_bytes;
        float score = f16 ? ops.dot_f16(reinterpret_cast<const uint16_t*>(kp), q16.data(), p.head_dim)
                          : ops.dot_f32(reinterpret_cast<const float*>(kp), qf, p.head_dim);
        score *= scale;
        if (p.softcap != 0.0f) score = p.softcap * std::tanh(score);
        float ms = 1.0f;
        float vs = 1.0f;
        if (score > m) {
          ms = std::exp(m - score);
          m = score;
          if (f16) {
            ops.scale_f16(acc16.data(), ms, p.head_dim_v);
          } else {
            ops.scale_f32(acc32.data(), ms, p.head_dim_v);
          }
        } else {
          vs = std::exp(score - m);
        }
        if (f16) {
          ops.mad_f16(acc16.data(), reinterpret_cast<const uint16_t*>(vp), vs, p.head_dim_v);
        } else {
          ops.mad_f32(acc32.data(), reinterpret_cast<const float*>(vp), vs, p.head_dim_v);
        }
        s_sum = s_sum * ms + vs;
      }
      float* dst = out.row<float>(t) + h * p.head_dim_v;
      const float inv = s_sum == 0.0f ? 0.0f : 1.0f / s_sum;
      for (int64_t d = 0; d < p.head_dim_v; ++d) {
        const float value = f16 ? quant::fp16_to_fp32(acc16[static_cast<size_t>(d)]) : acc32[static_cast<size_t>(d)];
        dst[d] = value * inv;
      }
    }
  });
}

}  // namespace rocmforge::backend::cpu
