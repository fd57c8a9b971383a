// The k best columns of each row of logits and the row's softmax normaliser:
// what sampling by candidates reads instead of the whole row (backend.h).
// A plain reference for the GPU kernel: a partial sort under the sampler's
// strict order, then one pass summing exp(x - max) in double.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/ops.h"

namespace rocmforge::backend::cpu {
namespace {

struct Column {
  float value;
  int32_t id;
};

// engine::ranks_before: a strict total order once NaN is -inf (and -0 == +0 as floats compare).
bool ranks_before(const Column& a, const Column& b) {
  return a.value > b.value || (a.value == b.value && a.id < b.id);
}

float rank_value(float v) { return std::isnan(v) ? -std::numeric_limits<float>::infinity() : v; }

}  // namespace

void top_k(core::ThreadPool& pool, const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums) {
  assert(k >= 1 && k <= x.cols);
  pool.parallel_for(x.rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<Column> row(static_cast<size_t>(x.cols));
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x.row<const float>(r);
      for (int64_t c = 0; c < x.cols; ++c) row[static_cast<size_t>(c)] = {rank_value(in[c]), static_cast<int32_t>(c)};
      std::partial_sort(row.begin(), row.begin() + k, row.end(), ranks_before);
      const float max = row.front().value;
      double sum = 0.0;
      for (int64_t c = 0; c < x.cols; ++c) sum += std::exp(rank_value(in[c]) - max);
      for (int64_t i = 0; i < k; ++i) {
        values[r * k + i] = row[static_cast<size_t>(i)].value;
        ids[r * k + i] = row[static_cast<size_t>(i)].id;
      }
      sums[r] = static_cast<float>(sum);
    }
  });
}

}  // namespace rocmforge::backend::cpu
