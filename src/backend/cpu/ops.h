// The CPU implementations of the backend ops, one family per file, each a
// plain function over raw views so it can be tested on its own.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "core/thread_pool.h"

namespace rocmforge::backend::cpu {

void embed(core::ThreadPool& pool, const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out);
void rms_norm(core::ThreadPool& pool, const Tensor& x, const Tensor& weight, float eps, const Tensor& out);
void add(core::ThreadPool& pool, const Tensor& a, const Tensor& b, const Tensor& out);
void scale(core::ThreadPool& pool, const Tensor& x, float s);
void softcap(core::ThreadPool& pool, const Tensor& x, float cap);
void glu(core::ThreadPool& pool, GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out);
void mul_sigmoid(const Tensor& x, const Tensor& g);
void gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out);
void argmax(core::ThreadPool& pool, const Tensor& x, int32_t* ids);
void top_k(core::ThreadPool& pool, const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums);

// `scratch` holds the activations converted to the weight's dot format; it grows as needed.
// batch_invariant: every token summed as a one-token product (see matmul.cpp).
void matmul(core::ThreadPool& pool, std::vector<std::byte>& scratch, const Tensor& w, const Tensor& x,
            const Tensor& out, bool batch_invariant = false);

void rope(core::ThreadPool& pool, const Tensor& x, const int32_t* positions, const RopeParams& params);

void store_kv(core::ThreadPool& pool, const KvLayerView& kv, const KvLayout& layout, const Tensor& k,
              const Tensor& v, const BatchView& batch);
void copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies);
void moe_route(const Tensor& logits, const MoeRouting& routing, int32_t* ids, const Tensor& weights);
void matmul_experts(core::ThreadPool& pool, std::vector<std::byte>& scratch, const Tensor& w, int64_t n_expert,
                    const Tensor& x, bool x_per_slot, const int32_t* ids, int64_t n_used, const Tensor& out);
void moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out);

void attention(core::ThreadPool& pool, const Tensor& q, const KvLayerView& kv, const KvLayout& layout,
               const BatchView& batch, const AttentionParams& params, const Tensor& out);

}  // namespace rocmforge::backend::cpu
