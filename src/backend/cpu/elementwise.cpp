// Row-wise and elementwise CPU ops: embedding lookup, RMS norm, add, scale,
// soft-capping, gated activations, row gather. Arithmetic follows ggml's order (RMS sums in double, then
// x * scale * weight) so results agree with llama.cpp to the last bits.
#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/ops.h"
#include "backend/cpu/vec_ops.h"
#include "quant/half.h"
#include "quant/quant.h"

namespace rocmforge::backend::cpu {
namespace {

// Enough rows per task that dispatch costs less than the work.
int64_t grain_for(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }

// GELU with the tanh approximation, through ggml's table over F16 inputs: the
// input is rounded to F16 and the tabulated result is an F16 as well.
float gelu(float x) {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(1 << 16);
    constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
    constexpr float kCoef = 0.044715f;
    for (size_t h = 0; h < t.size(); ++h) {
      const float v = quant::fp16_to_fp32(static_cast<uint16_t>(h));
      t[h] = quant::fp32_to_fp16(0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + kCoef * v * v))));
    }
    return t;
  }();
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return quant::fp16_to_fp32(table[quant::fp32_to_fp16(x)]);
}

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
  assert((a.rows == b.rows || b.rows == 1) && a.cols == b.cols && out.rows == a.rows && out.cols == a.cols);
  pool.parallel_for(a.rows, grain_for(a.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* pa = a.row<const float>(r);
      const float* pb = b.row<const float>(b.rows == 1 ? 0 : r);
      float* po = out.row<float>(r);
      for (int64_t i = 0; i < a.cols; ++i) po[i] = pa[i] + pb[i];
    }
  });
}

void scale(core::ThreadPool& pool, const Tensor& x, float s) {
  pool.parallel_for(x.rows, grain_for(x.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* p = x.row<float>(r);
      for (int64_t i = 0; i < x.cols; ++i) p[i] *= s;
    }
  });
}

void softcap(core::ThreadPool& pool, const Tensor& x, float cap) {
  const float inv = 1.0f / cap;  // ggml scales by 1/cap, takes tanh, scales by cap
  pool.parallel_for(x.rows, grain_for(x.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* p = x.row<float>(r);
      for (int64_t i = 0; i < x.cols; ++i) p[i] = std::tanh(p[i] * inv) * cap;
    }
  });
}

void glu(core::ThreadPool& pool, GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out) {
  assert(gate.rows == up.rows && gate.cols == up.cols && out.rows == gate.rows && out.cols == gate.cols);
  const VecOps& ops = vec_ops();
  pool.parallel_for(gate.rows, grain_for(gate.cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* g = gate.row<const float>(r);
      const float* u = up.row<const float>(r);
      float* o = out.row<float>(r);
      if (kind == GluKind::kSilu) {
        ops.swiglu(o, g, u, gate.cols);
      } else {
        for (int64_t i = 0; i < gate.cols; ++i) o[i] = gelu(g[i]) * u[i];
      }
    }
  });
}

void mul_sigmoid(const Tensor& x, const Tensor& g) {
  assert(g.rows == x.rows && g.cols == 1);
  for (int64_t r = 0; r < x.rows; ++r) {
    // silu(g) / g, as ggml composes the gate, rather than 1 / (1 + exp(-g)).
    const float v = g.row<const float>(r)[0];
    const float gate = (v / (1.0f + std::exp(-v))) / v;
    float* p = x.row<float>(r);
    for (int64_t i = 0; i < x.cols; ++i) p[i] *= gate;
  }
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
