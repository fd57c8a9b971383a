// llama.cpp's file types (llama_ftype): what `llama-quantize IN OUT Q4_K_M`
// names, the number it writes as general.file_type, and the tensor type most
// weights get. Only the file types rocmforge can produce are values here; the
// others are recognised by name so that asking for one is a clear error.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "gguf/ggml_type.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

// The values are llama.cpp's (include/llama.h), as stored in general.file_type.
enum class FileType : uint32_t {
  kAllF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 7,
  kQ5_0 = 8,
  kQ5_1 = 9,
  kQ2_K = 10,
  kQ3_K_S = 11,
  kQ3_K_M = 12,
  kQ3_K_L = 13,
  kQ4_K_S = 14,
  kQ4_K_M = 15,
  kQ5_K_S = 16,
  kQ5_K_M = 17,
  kQ6_K = 18,
  kIQ4_NL = 25,
  kIQ4_XS = 30,
  kBF16 = 32,
};

struct FileTypeInfo {
  std::string_view name;  // as llama-quantize spells it: "Q4_K_M"
  FileType type;
  gguf::GgmlType default_type;  // llama_ftype_get_default_type
  // COPY (llama-quantize's only_copy): every tensor as it is, the input's
  // general.file_type kept; `type` is F32 there, as llama.cpp lists it.
  bool copy = false;
};

// The names rocmforge accepts, in llama-quantize's order, aliases included
// ("Q4_K" is Q4_K_M, as there).
std::span<const FileTypeInfo> file_types();

// A name (any case) or a general.file_type number. kUnsupported naming the
// type for a llama.cpp file type rocmforge cannot produce (the importance-
// matrix types, IQ3, TQ, MXFP4 ...); kInvalidArgument listing the valid names
// for anything else.
Result<FileTypeInfo> parse_file_type(std::string_view text);

// The canonical name ("Q4_K_M" for 15).
std::string_view file_type_name(FileType type);

}  // namespace rocmforge::model
