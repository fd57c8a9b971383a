// Builds a GGUF file (version 3) that GgufFile reads back unchanged.
//
// Metadata keeps insertion order; setting a key again replaces its value in
// place. Tensors are laid out in the order added, each at an offset that is a
// multiple of the alignment. Tensor bytes are not copied when added: a span
// must stay alive until write() or to_bytes(), and a fill callback runs during
// write(), so a multi-GB model is streamed to disk one tensor at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "gguf/gguf_file.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

class GgufWriter {
 public:
  // Writes exactly the tensor's bytes into `out` (sized by the writer).
  using TensorFill = std::function<Status(std::span<std::byte> out)>;

  void set_u32(std::string_view key, uint32_t value) { put(key, Value{value}); }
  void set_i32(std::string_view key, int32_t value) { put(key, Value{value}); }
  void set_u64(std::string_view key, uint64_t value) { put(key, Value{value}); }
  void set_f32(std::string_view key, float value) { put(key, Value{value}); }
  void set_f64(std::string_view key, double value) { put(key, Value{value}); }
  void set_bool(std::string_view key, bool value) { put(key, Value{value}); }
  void set_string(std::string_view key, std::string value) { put(key, Value{std::move(value)}); }
  void set_string_array(std::string_view key, std::vector<std::string> values);
  void set_f32_array(std::string_view key, std::span<const float> values);
  void set_i32_array(std::string_view key, std::span<const int32_t> values);
  // Any value, nested arrays included; kInvalidArgument for an array the
  // format cannot hold (see check_array in value_writer.h).
  Status set(std::string_view key, Value value);
  Status set_array(std::string_view key, Array array);

  // A power of two; written as general.alignment (uint32) unless it is 32.
  Status set_alignment(uint32_t alignment);
  // general.alignment when set (and valid), else 32.
  Result<uint64_t> alignment() const;

  const std::vector<MetadataEntry>& metadata() const { return metadata_; }

  // `ne` lists the extents, ne[0] innermost (1 to 4 of them, each > 0, ne[0]
  // whole blocks of `type`); `data` must hold exactly the tensor's bytes.
  Status add_tensor(std::string name, GgmlType type, const std::vector<int64_t>& ne, std::span<const std::byte> data);
  Status add_tensor(std::string name, GgmlType type, const std::vector<int64_t>& ne, TensorFill fill);

  // Writes the file; on failure the partial file is removed.
  Status write(const std::string& path) const;
  Result<std::vector<std::byte>> to_bytes() const;

 private:
  struct PendingTensor {
    TensorInfo info;
    std::span<const std::byte> bytes;  // when added as a span
    TensorFill fill;                   // otherwise
  };
  using Sink = std::function<Status(std::span<const std::byte>)>;

  void put(std::string_view key, Value value);
  Result<TensorInfo> check_tensor(std::string name, GgmlType type, const std::vector<int64_t>& ne) const;
  Result<std::vector<std::byte>> header(uint64_t alignment) const;
  Status emit(const Sink& sink) const;

  std::vector<MetadataEntry> metadata_;
  std::vector<PendingTensor> tensors_;
  std::unordered_set<std::string> tensor_names_;
};

}  // namespace rocmforge::gguf
