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

CpuBackend::CpuBackend(int n_threads) : pool_(n_threads) {}

std::string CpuBackend::name() const { return "cpu"; }

Result<std::unique_ptr<Buffer>> CpuBackend::allocate(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* data = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (data == nullptr) return RF_ERROR(kOutOfMemory, "cannot allocate {} bytes of host memory", bytes);
  return std::unique_ptr<Buffer>(new HostBuffer(data, bytes));
}

Result<Tensor> CpuBackend::load_weight(const gguf::TensorInfo& info) {
  RF_TRY(quant::check_supported(info.type));
  if (info.n_dims > 2) {
    return RF_ERROR(kUnsupported, "tensor '{}' has {} dimensions; 2 at most are supported here", info.name,
                    info.n_dims);
  }
  const size_t row_bytes = gguf::ggml_row_size(info.type, info.ne[0]);
  return Tensor{const_cast<std::byte*>(info.data), info.type, info.ne[1], info.ne[0], row_bytes};
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
  cpu::matmul(pool_, act_scratch_, w, x, out);
}
void CpuBackend::add(const Tensor& a, const Tensor& b, const Tensor& out) { cpu::add(pool_, a, b, out); }
void CpuBackend::swiglu(const Tensor& gate, const Tensor& up, const Tensor& out) {
  cpu::swiglu(pool_, gate, up, out);
}
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

}  // namespace rocmforge::backend
