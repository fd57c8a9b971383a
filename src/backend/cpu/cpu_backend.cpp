#include "backend/cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "backend/cpu/ops.h"
#include "quant/quant.h"

namespace rocmforge::backend {
namespace {

class HostBuffer final : public Buffer {
 public:
  HostBuffer(void* data, size_t size) : data_(data), size_(size) {}
  ~HostBuffer() override { std::free(data_); }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  void* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  void* data_;
  size_t size_;
};

constexpr size_t kAlignment = 64;  // a cache line; also what AVX-512 loads like

}  // namespace

CpuBackend::CpuBackend(int n_threads, bool batch_invariant) : pool_(n_threads), batch_invariant_(batch_invariant) {}

std::string CpuBackend::name() const { return "cpu"; }

Result<std::unique_ptr<Buffer>> CpuBackend::allocate(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* data = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (data == nullptr) return RF_ERROR(kOutOfMemory, "cannot allocate {} bytes of host memory", bytes);
  return std::unique_ptr<Buffer>(new HostBuffer(data, bytes));
}

Result<Tensor> CpuBackend::load_weight(const gguf::TensorInfo& info) {
  RF_TRY(quant::check_supported(info.type));
  // Stacked expert matrices ([cols, rows, n_expert]) become one tall matrix.
  const size_t row_bytes = gguf::ggml_row_size(info.type, info.ne[0]);
  return Tensor{const_cast<std::byte*>(info.data), info.type, info.n_rows(), info.ne[0], row_bytes};
}

void CpuBackend::upload(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }

Status CpuBackend::download(void* dst, const void* src, size_t bytes) {
  std::memcpy(dst, src, bytes);
  return ok();
}

void CpuBackend::embed(const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out) {
  cpu::embed(pool_, table, ids, n, out);
}
void CpuBackend::rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& out) {
  cpu::rms_norm(pool_, x, weight, eps, out);
}
void CpuBackend::matmul(const Tensor& w, const Tensor& x, const Tensor& out) {
  cpu::matmul(pool_, act_scratch_, w, x, out, batch_invariant_);
}
void CpuBackend::add(const Tensor& a, const Tensor& b, const Tensor& out) { cpu::add(pool_, a, b, out); }
void CpuBackend::scale(const Tensor& x, float s) { cpu::scale(pool_, x, s); }
void CpuBackend::softcap(const Tensor& x, float cap) { cpu::softcap(pool_, x, cap); }
void CpuBackend::glu(GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out) {
  cpu::glu(pool_, kind, gate, up, out);
}
void CpuBackend::mul_sigmoid(const Tensor& x, const Tensor& g) { cpu::mul_sigmoid(x, g); }
void CpuBackend::rope(const Tensor& x, const int32_t* positions, const RopeParams& params) {
  cpu::rope(pool_, x, positions, params);
}
void CpuBackend::store_kv(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                          const BatchView& batch) {
  cpu::store_kv(pool_, kv, layout, k, v, batch);
}
void CpuBackend::copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) {
  cpu::copy_blocks(kv, layout, copies);
}
void CpuBackend::attention(const Tensor& q, const KvLayerView& kv, const KvLayout& layout, const BatchView& batch,
                           const AttentionParams& params, const Tensor& out) {
  cpu::attention(pool_, q, kv, layout, batch, params, out);
}
void CpuBackend::gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out) {
  cpu::gather_rows(x, rows, n, out);
}
void CpuBackend::argmax(const Tensor& x, int32_t* ids) { cpu::argmax(pool_, x, ids); }
void CpuBackend::top_k(const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums) {
  cpu::top_k(pool_, x, k, values, ids, sums);
}
void CpuBackend::moe_route(const Tensor& logits, const MoeRouting& routing, int32_t* ids, const Tensor& weights) {
  cpu::moe_route(logits, routing, ids, weights);
}
void CpuBackend::matmul_experts(const Tensor& w, int64_t n_expert, const Tensor& x, bool x_per_slot,
                                const int32_t* ids, int64_t n_used, const Tensor& out) {
  cpu::matmul_experts(pool_, expert_scratch_, w, n_expert, x, x_per_slot, ids, n_used, out);
}
void CpuBackend::moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out) {
  cpu::moe_combine(expert_out, weights, n_used, out);
}

}  // namespace rocmforge::backend
