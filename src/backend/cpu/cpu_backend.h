// The CPU backend: ops run synchronously on a worker pool, weights are used
// straight from the GGUF mapping, activations are quantised per row to each
// weight type's dot-product format (as ggml's CPU backend does, so results
// match llama.cpp's).
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "core/thread_pool.h"

namespace rocmforge::backend {

class CpuBackend : public Backend {
 public:
  // batch_invariant: a token's results do not depend on the other tokens of
  // its batch (for serving many sequences); otherwise the arithmetic follows
  // llama.cpp's, which sums single tokens and batches differently.
  explicit CpuBackend(int n_threads, bool batch_invariant = false);

  std::string name() const override;
  int n_threads() const { return pool_.size(); }

  Result<std::unique_ptr<Buffer>> allocate(size_t bytes) override;
  Result<std::unique_ptr<Buffer>> allocate_host(size_t bytes) override { return allocate(bytes); }
  Result<Tensor> load_weight(const gguf::TensorInfo& info) override;
  void upload(void* dst, const void* src, size_t bytes) override;
  Status download(void* dst, const void* src, size_t bytes) override;
  Status synchronize() override { return ok(); }

  void embed(const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out) override;
  void rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& out) override;
  void matmul(const Tensor& w, const Tensor& x, const Tensor& out) override;
  void add(const Tensor& a, const Tensor& b, const Tensor& out) override;
  void scale(const Tensor& x, float s) override;
  void softcap(const Tensor& x, float cap) override;
  void glu(GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out) override;
  void mul_sigmoid(const Tensor& x, const Tensor& g) override;
  void rope(const Tensor& x, const int32_t* positions, const RopeParams& params) override;
  void store_kv(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                const BatchView& batch) override;
  void copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) override;
  void attention(const Tensor& q, const KvLayerView& kv, const KvLayout& layout, const BatchView& batch,
                 const AttentionParams& params, const Tensor& out) override;
  void gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out) override;
  void argmax(const Tensor& x, int32_t* ids) override;
  void top_k(const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums) override;
  void moe_route(const Tensor& logits, const MoeRouting& routing, int32_t* ids, const Tensor& weights) override;
  void matmul_experts(const Tensor& w, int64_t n_expert, const Tensor& x, bool x_per_slot, const int32_t* ids,
                      int64_t n_used, const Tensor& out) override;
  void moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out) override;

 private:
  core::ThreadPool pool_;
  bool batch_invariant_;
  std::vector<std::byte> act_scratch_;     // activations converted for the dot kernels
  std::vector<std::byte> expert_scratch_;  // per-expert gathered activations and results
};

}  // namespace rocmforge::backend
