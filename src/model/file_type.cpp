#include "model/file_type.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace rocmforge::model {
namespace {

using gguf::GgmlType;

// llama-quantize's QUANT_OPTIONS, less the types we cannot produce.
constexpr std::array kFileTypes = {
    FileTypeInfo{"Q4_0", FileType::kQ4_0, GgmlType::kQ4_0},
    FileTypeInfo{"Q4_1", FileType::kQ4_1, GgmlType::kQ4_1},
    FileTypeInfo{"Q5_0", FileType::kQ5_0, GgmlType::kQ5_0},
    FileTypeInfo{"Q5_1", FileType::kQ5_1, GgmlType::kQ5_1},
    FileTypeInfo{"Q2_K", FileType::kQ2_K, GgmlType::kQ2_K},
    FileTypeInfo{"Q3_K", FileType::kQ3_K_M, GgmlType::kQ3_K},
    FileTypeInfo{"Q3_K_S", FileType::kQ3_K_S, GgmlType::kQ3_K},
    FileTypeInfo{"Q3_K_M", FileType::kQ3_K_M, GgmlType::kQ3_K},
    FileTypeInfo{"Q3_K_L", FileType::kQ3_K_L, GgmlType::kQ3_K},
    FileTypeInfo{"IQ4_NL", FileType::kIQ4_NL, GgmlType::kIQ4_NL},
    FileTypeInfo{"IQ4_XS", FileType::kIQ4_XS, GgmlType::kIQ4_XS},
    FileTypeInfo{"Q4_K", FileType::kQ4_K_M, GgmlType::kQ4_K},
    FileTypeInfo{"Q4_K_S", FileType::kQ4_K_S, GgmlType::kQ4_K},
    FileTypeInfo{"Q4_K_M", FileType::kQ4_K_M, GgmlType::kQ4_K},
    FileTypeInfo{"Q5_K", FileType::kQ5_K_M, GgmlType::kQ5_K},
    FileTypeInfo{"Q5_K_S", FileType::kQ5_K_S, GgmlType::kQ5_K},
    FileTypeInfo{"Q5_K_M", FileType::kQ5_K_M, GgmlType::kQ5_K},
    FileTypeInfo{"Q6_K", FileType::kQ6_K, GgmlType::kQ6_K},
    FileTypeInfo{"Q8_0", FileType::kQ8_0, GgmlType::kQ8_0},
    FileTypeInfo{"F16", FileType::kF16, GgmlType::kF16},
    FileTypeInfo{"BF16", FileType::kBF16, GgmlType::kBF16},
    FileTypeInfo{"F32", FileType::kAllF32, GgmlType::kF32},
    FileTypeInfo{"COPY", FileType::kAllF32, GgmlType::kF32, true},
};

// llama.cpp file types we refuse, and why. Without an importance matrix
// llama.cpp itself refuses the first group; the second needs quantisers
// src/quant/ does not have.
struct Refused {
  std::string_view name;
  int id;  // general.file_type
  std::string_view reason;
};

constexpr std::string_view kNeedsImatrix = "it needs an importance matrix, which rocmforge does not compute";
constexpr std::string_view kNoQuantiser = "rocmforge has no quantiser for its tensor types";

constexpr std::array kRefused = {
    Refused{"IQ2_XXS", 19, kNeedsImatrix}, Refused{"IQ2_XS", 20, kNeedsImatrix}, Refused{"Q2_K_S", 21, kNeedsImatrix},
    Refused{"IQ3_XS", 22, kNeedsImatrix},  Refused{"IQ3_XXS", 23, kNeedsImatrix}, Refused{"IQ1_S", 24, kNeedsImatrix},
    Refused{"IQ2_S", 28, kNeedsImatrix},   Refused{"IQ2_M", 29, kNeedsImatrix},   Refused{"IQ1_M", 31, kNeedsImatrix},
    Refused{"IQ3_S", 26, kNoQuantiser},    Refused{"IQ3_M", 27, kNoQuantiser},    Refused{"TQ1_0", 36, kNoQuantiser},
    Refused{"TQ2_0", 37, kNoQuantiser},    Refused{"MXFP4_MOE", 38, kNoQuantiser}, Refused{"Q1_0", 40, kNoQuantiser},
    Refused{"Q2_0", 41, kNoQuantiser},
};

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string valid_names() {
  std::string names;
  for (const FileTypeInfo& info : kFileTypes) {
    names += names.empty() ? "" : ", ";
    names += info.name;
  }
  return names;
}

// An alias ("Q4_K") comes before its file type's own name, so take the last
// (COPY is no file type of its own).
const FileTypeInfo& canonical(FileType type) {
  return *std::find_if(kFileTypes.rbegin(), kFileTypes.rend(),
                       [&](const FileTypeInfo& info) { return info.type == type && !info.copy; });
}

}  // namespace

std::span<const FileTypeInfo> file_types() { return kFileTypes; }

Result<FileTypeInfo> parse_file_type(std::string_view text) {
  const std::string name = upper(text);
  int id = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  const bool numeric = ec == std::errc{} && end == name.data() + name.size();
  for (const FileTypeInfo& info : kFileTypes) {
    if (numeric ? static_cast<int>(info.type) == id : info.name == name) return numeric ? canonical(info.type) : info;
  }
  for (const Refused& refused : kRefused) {
    if (numeric ? refused.id == id : refused.name == name) {
      return RF_ERROR(kUnsupported, "file type {} is not supported: {} (supported: {})", refused.name, refused.reason,
                      valid_names());
    }
  }
  return RF_ERROR(kInvalidArgument, "unknown quantisation type '{}' (valid: {})", text, valid_names());
}

std::string_view file_type_name(FileType type) { return canonical(type).name; }

}  // namespace rocmforge::model
