#include "gguf/tensor_layout.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/checked_math.h"
#include "gguf/value_format.h"

namespace rocmforge::gguf {
namespace {

std::string describe(std::span<const TensorInfo> tensors, size_t i) {
  return fmt::format("tensor {} ('{}')", i, escape(tensors[i].name));
}

Status place_one(TensorInfo& tensor, uint64_t offset_at, const DataSection& data) {
  if (tensor.offset % data.alignment != 0) {
    return RF_ERROR(kParse, "data offset {} is not a multiple of the alignment {} at byte {}", tensor.offset,
                    data.alignment, offset_at);
  }
  const auto start = core::checked_add(data.offset, tensor.offset);
  const auto end = start ? core::checked_add(*start, tensor.n_bytes) : start;
  if (!end || *end > data.file.size()) {
    return RF_ERROR(kParse,
                    "data of {} bytes at data offset {} ends past the end of the file ({} bytes): file truncated, or "
                    "a bad offset at byte {}",
                    tensor.n_bytes, tensor.offset, data.file.size(), offset_at);
  }
  tensor.data = data.file.data() + *start;
  return ok();
}

}  // namespace

Status place_tensors(std::span<TensorInfo> tensors, std::span<const uint64_t> offset_at, const DataSection& data) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    Status placed = place_one(tensors[i], offset_at[i], data);
    if (!placed) return std::move(placed).error().with_context(describe(tensors, i));
  }
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors[a].offset != tensors[b].offset ? tensors[a].offset < tensors[b].offset : a < b;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& before = tensors[order[k - 1]];
    const TensorInfo& after = tensors[order[k]];
    // Both ends were checked against the file size, so this cannot overflow.
    if (before.offset + before.n_bytes > after.offset) {
      return RF_ERROR(kParse, "{}: data at offset {} overlaps {} (offset {}, {} bytes) at byte {}",
                      describe(tensors, order[k]), after.offset, describe(tensors, order[k - 1]), before.offset,
                      before.n_bytes, offset_at[order[k]]);
    }
  }
  return ok();
}

}  // namespace rocmforge::gguf
