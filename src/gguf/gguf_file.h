// A validated, memory-mapped GGUF file (versions 2 and 3).
//
// open() checks everything before anything is used: magic, version, counts
// against the file size and the caller's limits, string and array lengths,
// value and tensor type ids, dimensions and element-count overflow, rows that
// are whole blocks, data offsets aligned, inside the file and not overlapping,
// unique keys and tensor names. A failure is one error that names the field
// and its byte offset: kParse for a malformed file, kCapacity for a limit
// exceeded, kUnsupported for a format version or a tensor type that ggml has
// retired. After open() succeeds, every accessor is safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mapped_file.h"
#include "gguf/ggml_type.h"
#include "gguf/limits.h"
#include "gguf/value.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr int kMaxDims = 4;
inline constexpr std::string_view kAlignmentKey = "general.alignment";

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::kF32;
  int n_dims = 0;
  std::array<int64_t, kMaxDims> ne{1, 1, 1, 1};  // ne[0] is the contiguous row length
  uint64_t offset = 0;                            // from the start of the data section
  uint64_t n_bytes = 0;
  const std::byte* data = nullptr;                // inside the mapping

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  std::span<const std::byte> bytes() const { return {data, n_bytes}; }
  std::string shape_string() const;  // "[64, 512]"
};

struct MetadataEntry {
  std::string key;
  Value value;
};

class GgufFile {
 public:
  // Maps and parses `path`; errors start with "'<path>': ".
  static Result<GgufFile> open(const std::string& path, const Limits& limits = {});
  // Parses a file image already in memory (tests, fuzzing). The bytes must
  // outlive the returned object.
  static Result<GgufFile> parse(std::span<const std::byte> bytes, const Limits& limits = {});

  GgufFile(GgufFile&&) noexcept = default;
  GgufFile& operator=(GgufFile&&) noexcept = default;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  // Where the data section starts. For a file without tensors it may lie past
  // the end of the file (the padding before it is optional there).
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }
  const std::string& path() const { return mapping_.path(); }  // empty after parse()

  // Metadata in file order.
  const std::vector<MetadataEntry>& metadata() const { return metadata_; }
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed getters. A missing key is kNotFound; a value of another type is
  // kParse naming the key and both types. Integers convert between widths when
  // the value fits; floats accept float32 and float64.
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key) const;
  Result<const Array*> get_array(std::string_view key) const;

  // Optional forms: nullopt (nullptr for arrays) when absent, an error when
  // present with a wrong type.
  Result<std::optional<int64_t>> find_int(std::string_view key) const;
  Result<std::optional<double>> find_float(std::string_view key) const;
  Result<std::optional<bool>> find_bool(std::string_view key) const;
  Result<std::optional<std::string_view>> find_string(std::string_view key) const;
  Result<const Array*> find_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

 private:
  friend class Parser;

  // Lookup by string_view without building a std::string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  using NameIndex = std::unordered_map<std::string, size_t, NameHash, std::equal_to<>>;

  GgufFile() = default;

  core::MappedFile mapping_;
  std::span<const std::byte> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<MetadataEntry> metadata_;
  NameIndex metadata_index_;
  std::vector<TensorInfo> tensors_;
  NameIndex tensor_index_;
};

}  // namespace rocmforge::gguf
