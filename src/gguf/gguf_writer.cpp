#include "gguf/gguf_writer.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "core/checked_math.h"
#include "gguf/tensor_info_reader.h"
#include "gguf/value_writer.h"

namespace rocmforge::gguf {
namespace {

constexpr uint32_t kVersion = 3;

std::shared_ptr<const Array> make_array(Array array) { return std::make_shared<const Array>(std::move(array)); }

uint64_t padding(uint64_t size, uint64_t alignment) { return (alignment - size % alignment) % alignment; }

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

void GgufWriter::put(std::string_view key, Value value) {
  const auto found = std::find_if(metadata_.begin(), metadata_.end(),
                                  [&](const MetadataEntry& entry) { return entry.key == key; });
  if (found != metadata_.end()) {
    found->value = std::move(value);
  } else {
    metadata_.push_back(MetadataEntry{std::string(key), std::move(value)});
  }
}

void GgufWriter::set_string_array(std::string_view key, std::vector<std::string> values) {
  Array array;
  array.element_type = ValueType::kString;
  array.strings = std::move(values);
  put(key, Value{make_array(std::move(array))});
}

void GgufWriter::set_f32_array(std::string_view key, std::span<const float> values) {
  Array array;
  array.element_type = ValueType::kFloat32;
  array.floats.assign(values.begin(), values.end());
  put(key, Value{make_array(std::move(array))});
}

void GgufWriter::set_i32_array(std::string_view key, std::span<const int32_t> values) {
  Array array;
  array.element_type = ValueType::kInt32;
  array.ints.assign(values.begin(), values.end());
  put(key, Value{make_array(std::move(array))});
}

Status GgufWriter::set(std::string_view key, Value value) {
  if (const auto* array = std::get_if<std::shared_ptr<const Array>>(&value.data)) {
    if (*array == nullptr) return RF_ERROR(kInvalidArgument, "metadata key '{}': null array", key);
    RF_TRY(check_array(**array));
  }
  put(key, std::move(value));
  return ok();
}

Status GgufWriter::set_array(std::string_view key, Array array) { return set(key, Value{make_array(std::move(array))}); }

Status GgufWriter::set_alignment(uint32_t alignment) {
  if (!std::has_single_bit(alignment)) {
    return RF_ERROR(kInvalidArgument, "alignment {} is not a power of two", alignment);
  }
  if (alignment != kDefaultAlignment) {
    set_u32(kAlignmentKey, alignment);
  } else {
    std::erase_if(metadata_, [](const MetadataEntry& entry) { return entry.key == kAlignmentKey; });
  }
  return ok();
}

Result<uint64_t> GgufWriter::alignment() const {
  const auto found = std::find_if(metadata_.begin(), metadata_.end(),
                                  [](const MetadataEntry& entry) { return entry.key == kAlignmentKey; });
  if (found == metadata_.end()) return uint64_t{kDefaultAlignment};
  const auto* value = std::get_if<uint32_t>(&found->value.data);
  if (value == nullptr || !std::has_single_bit(*value)) {
    return RF_ERROR(kInvalidArgument, "{} must be a uint32 power of two", kAlignmentKey);
  }
  return uint64_t{*value};
}

Result<TensorInfo> GgufWriter::check_tensor(std::string name, GgmlType type, const std::vector<int64_t>& ne) const {
  if (name.size() >= kMaxNameBytes) {
    return RF_ERROR(kInvalidArgument, "tensor name '{}' is longer than {} bytes", name, kMaxNameBytes - 1);
  }
  if (tensor_names_.contains(name)) return RF_ERROR(kInvalidArgument, "tensor '{}' added twice", name);
  if (ne.empty() || ne.size() > kMaxDims) {
    return RF_ERROR(kInvalidArgument, "tensor '{}' has {} dimensions (must be 1 to {})", name, ne.size(), kMaxDims);
  }
  TensorInfo info;
  info.type = type;
  info.n_dims = static_cast<int>(ne.size());
  std::optional<int64_t> n_elements = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) return RF_ERROR(kInvalidArgument, "tensor '{}': dimension {} is {}", name, d, ne[d]);
    info.ne[d] = ne[d];
    if (n_elements) n_elements = core::checked_mul(*n_elements, ne[d]);
  }
  const GgmlTypeInfo geometry = ggml_type_info(type);
  if (ne[0] % geometry.block_size != 0) {
    return RF_ERROR(kInvalidArgument, "tensor '{}': dimension 0 ({}) is not a multiple of the {} block size {}", name,
                    ne[0], geometry.name, geometry.block_size);
  }
  const auto n_bytes = ggml_tensor_bytes(type, ne);
  if (!n_elements || !n_bytes) return RF_ERROR(kInvalidArgument, "tensor '{}': size overflows", name);
  info.n_bytes = *n_bytes;
  info.name = std::move(name);
  return info;
}

Status GgufWriter::add_tensor(std::string name, GgmlType type, const std::vector<int64_t>& ne,
                              std::span<const std::byte> data) {
  TensorInfo info = RF_TRY(check_tensor(std::move(name), type, ne));
  if (data.size() != info.n_bytes) {
    return RF_ERROR(kInvalidArgument, "tensor '{}' {} {}: {} bytes given, {} expected", info.name,
                    ggml_type_name(type), info.shape_string(), data.size(), info.n_bytes);
  }
  tensor_names_.insert(info.name);
  tensors_.push_back(PendingTensor{std::move(info), data, nullptr});
  return ok();
}

Status GgufWriter::add_tensor(std::string name, GgmlType type, const std::vector<int64_t>& ne, TensorFill fill) {
  TensorInfo info = RF_TRY(check_tensor(std::move(name), type, ne));
  tensor_names_.insert(info.name);
  tensors_.push_back(PendingTensor{std::move(info), {}, std::move(fill)});
  return ok();
}

Result<std::vector<std::byte>> GgufWriter::header(uint64_t alignment) const {
  std::vector<std::byte> out;
  append_u32(out, kMagic);
  append_u32(out, kVersion);
  append_u64(out, tensors_.size());
  append_u64(out, metadata_.size());
  for (const MetadataEntry& entry : metadata_) {
    append_string(out, entry.key);
    append_u32(out, static_cast<uint32_t>(entry.value.type()));
    append_value(out, entry.value);
  }
  uint64_t offset = 0;
  for (const PendingTensor& tensor : tensors_) {
    const TensorInfo& info = tensor.info;
    append_string(out, info.name);
    append_u32(out, static_cast<uint32_t>(info.n_dims));
    for (int d = 0; d < info.n_dims; ++d) append_u64(out, static_cast<uint64_t>(info.ne[d]));
    append_u32(out, static_cast<uint32_t>(info.type));
    append_u64(out, offset);
    const auto next = core::checked_add(offset, info.n_bytes + padding(info.n_bytes, alignment));
    if (!next) return RF_ERROR(kInvalidArgument, "the tensors' total size overflows");
    offset = *next;
  }
  out.resize(out.size() + padding(out.size(), alignment));
  return out;
}

Status GgufWriter::emit(const Sink& sink) const {
  const uint64_t alignment = RF_TRY(this->alignment());
  const std::vector<std::byte> head = RF_TRY(header(alignment));
  RF_TRY(sink(head));
  const std::vector<std::byte> zeros(alignment);
  std::vector<std::byte> buffer;  // for filled tensors, one at a time
  for (const PendingTensor& tensor : tensors_) {
    std::span<const std::byte> bytes = tensor.bytes;
    if (tensor.fill) {
      buffer.assign(tensor.info.n_bytes, std::byte{0});
      Status filled = tensor.fill(buffer);
      if (!filled) return std::move(filled).error().with_context(fmt::format("tensor '{}'", tensor.info.name));
      bytes = buffer;
    }
    RF_TRY(sink(bytes));
    RF_TRY(sink(std::span(zeros).first(padding(tensor.info.n_bytes, alignment))));
  }
  return ok();
}

Result<std::vector<std::byte>> GgufWriter::to_bytes() const {
  std::vector<std::byte> out;
  RF_TRY(emit([&](std::span<const std::byte> bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
    return ok();
  }));
  return out;
}

Status GgufWriter::write(const std::string& path) const {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
  if (!file) return RF_ERROR(kIo, "cannot create '{}': {}", path, std::strerror(errno));
  Status written = emit([&](std::span<const std::byte> bytes) -> Status {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
      return RF_ERROR(kIo, "cannot write '{}': {}", path, std::strerror(errno));
    }
    return ok();
  });
  if (written && std::fclose(file.release()) != 0) {
    written = RF_ERROR(kIo, "cannot write '{}': {}", path, std::strerror(errno));
  }
  if (!written) {
    file.reset();
    std::remove(path.c_str());
  }
  return written;
}

}  // namespace rocmforge::gguf
