// Row-wise and elementwise CPU ops: embedding lookup, RMS norm, add, SwiGLU,
// row gather. Arithmetic follows ggml's order (RMS sums in double, then
// x * scale * weight) so results agree with llama.cpp to the last bits.
#include <cassert>
#include <cmath>
#include <cstring>

#include "backend/cpu/ops.h"
#include "backend/cpu/vec_ops.h"
#include "quant/quant.h"

namespace rocmforge::backend::cpu {
namespace {

// Enough rows per task that dispatch costs less than the work.
int64_t grain_for(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }

}  // namespace

void embed(core::ThreadPool& pool, const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out) {
  assert(out.cols == table.cols && out.rows >= n);
  pool.parallel_for(n, grain_for(table.cols), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      assert(ids[i] >= 0 && ids[i] < table.rows);
      quant::dequantize_row(table.type, table.row<const std::byte>(ids[i]), out.row<float>(i), table.cols);
    }
  });
}

void rms_norm(core::ThreadPool& pool, const Tensor& x, const Tensor& weight, float eps, const Tensor& out) {
  assert(x.cols == weight.cols && out.cols == x.cols && out.rows == x.rows);
  const float* w = weight.row<const float>(0);
  pool.parallel_for(x.rows, grain_for(x.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* src = x.row<const float>(r);
      float* dst = out.row<float>(r);
      double sum = 0.0;
      for (int64_t i = 0; i < x.cols; ++i) sum += static_cast<double>(src[i] * src[i]);
      const float mean = static_cast<float>(sum / static_cast<double>(x.cols));
      const float scale = 1.0f / std::sqrt(mean + eps);
      for (int64_t i = 0; i < x.cols; ++i) dst[i] = (src[i] * scale) * w[i];
    }
  });
}

void add(core::ThreadPool& pool, const Tensor& a, const Tensor& b, const Tensor& out) {
  assert(a.rows == b.rows && a.cols == b.cols && out.rows == a.rows && out.cols == a.cols);
  pool.parallel_for(a.rows, grain_for(a.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* pa = a.row<const float>(r);
      const float* pb = b.row<const float>(r);
      float* po = out.row<float>(r);
      for (int64_t i = 0; i < a.cols; ++i) po[i] = pa[i] + pb[i];
    }
  });
}

void swiglu(core::ThreadPool& pool, const Tensor& gate, const Tensor& up, const Tensor& out) {
  assert(gate.rows == up.rows && gate.cols == up.cols && out.rows == gate.rows && out.cols == gate.cols);
  const VecOps& ops = vec_ops();
  pool.parallel_for(gate.rows, grain_for(gate.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* g = gate.row<const float>(r);
      const float* u = up.row<const float>(r);
      float* o = out.row<float>(r);
      ops.swiglu(o, g, u, gate.cols);
    }
  });
}

void gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out) {
  assert(out.cols == x.cols && out.rows >= n);
  const size_t bytes = static_cast<size_t>(x.cols) * sizeof(float);
  for (int64_t i = 0; i < n; ++i) {
    assert(rows[i] >= 0 && rows[i] < x.rows);
    std::memmove(out.row<float>(i), x.row<const float>(rows[i]), bytes);
  }
}

}  // namespace rocmforge::backend::cpu
