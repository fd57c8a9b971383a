#include "gguf/tensor_info_reader.h"

#include <array>
#include <limits>
#include <string>
#include <utility>

#include <fmt/ranges.h>

#include "core/checked_math.h"
#include "gguf/value_format.h"

namespace rocmforge::gguf {
namespace {

struct RetiredType {
  uint32_t id;
  std::string_view name;
};

// Ids ggml once used and has since removed; a file using them predates the
// current format and has to be converted again.
constexpr std::array kRetiredTypes = {
    RetiredType{4, "q4_2"},      RetiredType{5, "q4_3"},       RetiredType{31, "q4_0_4_4"},
    RetiredType{32, "q4_0_4_8"}, RetiredType{33, "q4_0_8_8"},  RetiredType{36, "iq4_nl_4_4"},
    RetiredType{37, "iq4_nl_4_8"}, RetiredType{38, "iq4_nl_8_8"},
};

Result<GgmlType> read_type(ByteReader& in) {
  const uint64_t at = in.offset();
  const uint32_t id = RF_TRY(in.read<uint32_t>("type"));
  if (ggml_type_info(id)) return static_cast<GgmlType>(id);
  for (const RetiredType& retired : kRetiredTypes) {
    if (retired.id == id) {
      return RF_ERROR(kUnsupported, "ggml type id {} ({}) was removed from ggml; convert the model again at byte {}",
                      id, retired.name, at);
    }
  }
  return RF_ERROR(kParse, "unknown ggml type id {} at byte {}", id, at);
}

Status read_shape(ByteReader& in, TensorInfo& info) {
  const uint64_t n_dims_at = in.offset();
  const uint32_t n_dims = RF_TRY(in.read<uint32_t>("n_dims"));
  if (n_dims == 0 || n_dims > kMaxDims) {
    return RF_ERROR(kParse, "n_dims is {} (must be 1 to {}) at byte {}", n_dims, kMaxDims, n_dims_at);
  }
  info.n_dims = static_cast<int>(n_dims);
  const uint64_t dims_at = in.offset();
  int64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const uint64_t at = in.offset();
    const uint64_t extent = RF_TRY(in.read<uint64_t>("dimension"));
    if (extent == 0) return RF_ERROR(kParse, "dimension {} is 0 at byte {}", d, at);
    if (extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return RF_ERROR(kParse, "dimension {} is {}, more than INT64_MAX at byte {}", d, extent, at);
    }
    info.ne[d] = static_cast<int64_t>(extent);
    const auto product = core::checked_mul(n_elements, info.ne[d]);
    if (!product) {
      return RF_ERROR(kParse, "element count {} overflows int64 at byte {}",
                      fmt::join(std::span(info.ne).first(d + 1), " x "), dims_at);
    }
    n_elements = *product;
  }
  return ok();
}

// Rows of whole blocks; the byte size without overflow.
Status size_tensor(TensorInfo& info, uint64_t dims_at) {
  const GgmlTypeInfo type = ggml_type_info(info.type);
  if (info.ne[0] % type.block_size != 0) {
    return RF_ERROR(kParse, "dimension 0 ({}) is not a multiple of the {} block size {} at byte {}", info.ne[0],
                    type.name, type.block_size, dims_at);
  }
  const auto n_bytes = ggml_tensor_bytes(info.type, std::span(info.ne).first(static_cast<size_t>(info.n_dims)));
  if (!n_bytes) {
    return RF_ERROR(kParse, "byte size of {} {} elements overflows at byte {}", info.n_elements(), type.name, dims_at);
  }
  info.n_bytes = *n_bytes;
  return ok();
}

Result<ParsedTensorInfo> read_fields(ByteReader& in, const Limits& limits, TensorInfo& info) {
  const uint64_t name_at = in.offset();
  info.name = RF_TRY(in.read_string("name", limits.max_string_bytes));
  if (info.name.size() >= kMaxNameBytes) {
    return RF_ERROR(kParse, "name of {} bytes is longer than {} at byte {}", info.name.size(), kMaxNameBytes - 1,
                    name_at);
  }
  const uint64_t dims_at = in.offset() + sizeof(uint32_t);
  RF_TRY(read_shape(in, info));
  info.type = RF_TRY(read_type(in));
  RF_TRY(size_tensor(info, dims_at));
  ParsedTensorInfo parsed;
  parsed.offset_at = in.offset();
  info.offset = RF_TRY(in.read<uint64_t>("data offset"));
  parsed.info = std::move(info);
  return parsed;
}

}  // namespace

Result<ParsedTensorInfo> read_tensor_info(ByteReader& in, const Limits& limits, uint64_t index) {
  TensorInfo info;
  auto parsed = read_fields(in, limits, info);
  if (parsed) return parsed;
  const std::string context = info.name.empty() ? fmt::format("tensor {}", index)
                                                : fmt::format("tensor {} ('{}')", index, escape(info.name));
  return std::move(parsed).error().with_context(context);
}

}  // namespace rocmforge::gguf
