// The ggml tensor type ids as stored in GGUF files, with each type's block
// geometry. The ids and sizes are fixed by the file format; the block layouts
// themselves live in quant/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rocmforge::gguf {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct GgmlTypeInfo {
  std::string_view name;  // as llama.cpp prints it: "q4_0", "f16", ...
  int64_t block_size;     // elements per block
  size_t type_size;       // bytes per block
};

// The geometry of a type id read from a file; nullopt for ids that are unused
// or retired in the format (4, 5, 31-33, 36-38) or out of range.
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t id);

// The same for a known enum value (always present).
GgmlTypeInfo ggml_type_info(GgmlType type);

inline std::string_view ggml_type_name(GgmlType type) { return ggml_type_info(type).name; }

// Parses "q4_0", "Q4_0", "f16", ... into a type.
std::optional<GgmlType> parse_ggml_type(std::string_view name);

// Bytes taken by `n` elements of `type`; `n` must be a multiple of the block size.
inline size_t ggml_row_size(GgmlType type, int64_t n) {
  const GgmlTypeInfo info = ggml_type_info(type);
  return static_cast<size_t>(n / info.block_size) * info.type_size;
}

// Bytes taken by a tensor of `type` with extents `ne` (each > 0, ne[0] a
// multiple of the block size): rows times row bytes; nullopt on overflow.
std::optional<uint64_t> ggml_tensor_bytes(GgmlType type, std::span<const int64_t> ne);

}  // namespace rocmforge::gguf
