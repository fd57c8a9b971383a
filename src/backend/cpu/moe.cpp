// Mixture-of-experts ops on the CPU: routing (softmax, top-k, weights),
// expert matmuls (each expert's tokens gathered and multiplied by the plain
// tiled matmul, so every row is computed exactly as a dense matmul would), and
// the weighted sum. Arithmetic follows ggml's composition of the same steps.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <numeric>
#include <vector>

#include "backend/cpu/ops.h"
#include "backend/cpu/vec_ops.h"

namespace rocmforge::backend::cpu {

void moe_route(const Tensor& logits, const MoeRouting& r, int32_t* ids, const Tensor& weights) {
  assert(logits.cols == r.n_expert && weights.cols == r.n_used && weights.rows == logits.rows);
  const VecOps& ops = vec_ops();
  std::vector<float> probs(static_cast<size_t>(r.n_expert));
  std::vector<int32_t> order(static_cast<size_t>(r.n_expert));
  for (int64_t t = 0; t < logits.rows; ++t) {
    const float* l = logits.row<const float>(t);
    const float max = *std::max_element(l, l + r.n_expert);
    const double sum = ops.exp_sum(probs.data(), l, max, r.n_expert);
    const auto inv = static_cast<float>(1.0 / sum);
    for (float& p : probs) p *= inv;
    std::iota(order.begin(), order.end(), 0);
    // Descending probability; the lower expert id first among equals.
    std::partial_sort(order.begin(), order.begin() + r.n_used, order.end(), [&](int32_t a, int32_t b) {
      return probs[static_cast<size_t>(a)] > probs[static_cast<size_t>(b)] ||
             (probs[static_cast<size_t>(a)] == probs[static_cast<size_t>(b)] && a < b);
    });
    float* w = weights.row<float>(t);
    double total = 0.0;
    for (int64_t j = 0; j < r.n_used; ++j) {
      ids[t * r.n_used + j] = order[static_cast<size_t>(j)];
      w[j] = probs[static_cast<size_t>(order[static_cast<size_t>(j)])];
      total += static_cast<double>(w[j]);
    }
    if (r.normalize) {
      const float norm = std::max(static_cast<float>(total), 6.103515625e-5f);  // ggml clamps at the F16 minimum
      for (int64_t j = 0; j < r.n_used; ++j) w[j] /= norm;
    }
    if (r.weight_scale != 0.0f && r.weight_scale != 1.0f) {
      for (int64_t j = 0; j < r.n_used; ++j) w[j] *= r.weight_scale;
    }
  }
}

void matmul_experts(core::ThreadPool& pool, std::vector<std::byte>& scratch, const Tensor& w, int64_t n_expert,
                    const Tensor& x, bool x_per_slot, const int32_t* ids, int64_t n_used, const Tensor& out) {
  const int64_t rows_per_expert = w.rows / n_expert;
  const int64_t n_slots = out.rows;
  assert(w.rows % n_expert == 0 && out.cols == rows_per_expert && x.cols == w.cols);
  // Gathered inputs and outputs of one expert, reused for every expert.
  const size_t in_bytes = static_cast<size_t>(n_slots * x.cols) * sizeof(float);
  const size_t out_bytes = static_cast<size_t>(n_slots * rows_per_expert) * sizeof(float);
  if (scratch.size() < in_bytes + out_bytes) scratch.resize(in_bytes + out_bytes);
  auto* in_rows = reinterpret_cast<float*>(scratch.data());
  auto* out_rows = reinterpret_cast<float*>(scratch.data() + in_bytes);
  std::vector<std::byte> act_scratch;
  std::vector<int64_t> slots;
  for (int64_t e = 0; e < n_expert; ++e) {
    slots.clear();
    for (int64_t s = 0; s < n_slots; ++s) {
      if (ids[s] == e) slots.push_back(s);
    }
    if (slots.empty()) continue;
    const auto n = static_cast<int64_t>(slots.size());
    for (int64_t i = 0; i < n; ++i) {
      const int64_t src = x_per_slot ? slots[static_cast<size_t>(i)] : slots[static_cast<size_t>(i)] / n_used;
      std::memcpy(in_rows + i * x.cols, x.row<const float>(src), static_cast<size_t>(x.cols) * sizeof(float));
    }
    const Tensor expert = w.slice_rows(e * rows_per_expert, rows_per_expert);
    // llama.cpp multiplies each routed row alone (vec_dot, or the repacked
    // gemv), never as a batch: one-token products here too.
    matmul(pool, act_scratch, expert, f32_tensor(in_rows, n, x.cols), f32_tensor(out_rows, n, rows_per_expert),
           /*batch_invariant=*/true);
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(out.row<float>(slots[static_cast<size_t>(i)]), out_rows + i * rows_per_expert,
                  static_cast<size_t>(rows_per_expert) * sizeof(float));
    }
  }
}

void moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out) {
  assert(expert_out.rows == out.rows * n_used && weights.cols == n_used);
  for (int64_t t = 0; t < out.rows; ++t) {
    float* o = out.row<float>(t);
    const float* w = weights.row<const float>(t);
    for (int64_t i = 0; i < out.cols; ++i) {
      // Each weighted output is rounded to float before the sum, as ggml's mul then add.
      float acc = expert_out.row<const float>(t * n_used)[i] * w[0];
      for (int64_t j = 1; j < n_used; ++j) acc += expert_out.row<const float>(t * n_used + j)[i] * w[j];
      o[i] = acc;
    }
  }
}

}  // namespace rocmforge::backend::cpu
