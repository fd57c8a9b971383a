// The argmax of each row of logits: greedy sampling without reading the row
// back. The engine's sampler (engine/candidates.cpp, select_top with k = 1)
// picks the same id: NaN ranks as -inf, and only a strictly greater value
// displaces the best so far, so ties go to the lowest column.
#include <cassert>
#include <cmath>
#include <limits>

#include "backend/cpu/ops.h"

namespace rocmforge::backend::cpu {

void argmax(core::ThreadPool& pool, const Tensor& x, int32_t* ids) {
  assert(x.cols > 0);
  pool.parallel_for(x.rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = x.row<const float>(r);
      float best = std::isnan(row[0]) ? -std::numeric_limits<float>::infinity() : row[0];
      int64_t id = 0;
      for (int64_t i = 1; i < x.cols; ++i) {
        if (row[i] > best) {  // false for NaN
          best = row[i];
          id = i;
        }
      }
      ids[r] = static_cast<int32_t>(id);
    }
  });
}

}  // namespace rocmforge::backend::cpu
