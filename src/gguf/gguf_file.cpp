#include "gguf/gguf_file.h"

#include <limits>
#include <type_traits>
#include <utility>

#include <fmt/ranges.h>

#include "gguf/parser.h"

namespace rocmforge::gguf {
namespace {

Error wrong_type(std::string_view key, const Value& value, std::string_view expected) {
  return RF_ERROR(kParse, "metadata key '{}' is {}, expected {}", key, value_type_name(value.type()), expected);
}

Result<int64_t> as_int(std::string_view key, const Value& value) {
  return std::visit(
      [&](const auto& v) -> Result<int64_t> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, uint64_t>) {
          if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return RF_ERROR(kParse, "metadata key '{}': {} does not fit in int64", key, v);
          }
          return static_cast<int64_t>(v);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<int64_t>(v);
        } else {
          return wrong_type(key, value, "an integer");
        }
      },
      value.data);
}

Result<double> as_float(std::string_view key, const Value& value) {
  if (const auto* f = std::get_if<float>(&value.data)) return static_cast<double>(*f);
  if (const auto* d = std::get_if<double>(&value.data)) return *d;
  return wrong_type(key, value, "a float");
}

Result<bool> as_bool(std::string_view key, const Value& value) {
  if (const auto* b = std::get_if<bool>(&value.data)) return *b;
  return wrong_type(key, value, "a bool");
}

Result<std::string_view> as_string(std::string_view key, const Value& value) {
  if (const auto* s = std::get_if<std::string>(&value.data)) return std::string_view(*s);
  return wrong_type(key, value, "a string");
}

Result<const Array*> as_array(std::string_view key, const Value& value) {
  if (const auto* a = std::get_if<std::shared_ptr<const Array>>(&value.data)) return a->get();
  return wrong_type(key, value, "an array");
}

template <class T>
using Converter = Result<T> (*)(std::string_view, const Value&);

template <class T>
Result<T> get_as(const GgufFile& file, std::string_view key, Converter<T> convert) {
  const Value* value = file.find(key);
  if (value == nullptr) return RF_ERROR(kNotFound, "metadata key '{}' not found", key);
  return convert(key, *value);
}

template <class T>
Result<std::optional<T>> find_as(const GgufFile& file, std::string_view key, Converter<T> convert) {
  const Value* value = file.find(key);
  if (value == nullptr) return std::optional<T>();
  return std::optional<T>(RF_TRY(convert(key, *value)));
}

}  // namespace

std::string TensorInfo::shape_string() const {
  return fmt::format("[{}]", fmt::join(std::span(ne).first(static_cast<size_t>(n_dims)), ", "));
}

Result<GgufFile> GgufFile::open(const std::string& path, const Limits& limits) {
  core::MappedFile mapping = RF_TRY(core::MappedFile::open(path));
  auto file = parse(mapping.bytes(), limits);
  if (!file) return std::move(file).error().with_context(fmt::format("'{}'", path));
  file->mapping_ = std::move(mapping);  // the mapped bytes stay where they are
  return file;
}

Result<GgufFile> GgufFile::parse(std::span<const std::byte> bytes, const Limits& limits) {
  return Parser(bytes, limits).parse();
}

const Value* GgufFile::find(std::string_view key) const {
  const auto found = metadata_index_.find(key);
  return found == metadata_index_.end() ? nullptr : &metadata_[found->second].value;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto found = tensor_index_.find(name);
  return found == tensor_index_.end() ? nullptr : &tensors_[found->second];
}

Result<int64_t> GgufFile::get_int(std::string_view key) const { return get_as<int64_t>(*this, key, as_int); }
Result<double> GgufFile::get_float(std::string_view key) const { return get_as<double>(*this, key, as_float); }
Result<bool> GgufFile::get_bool(std::string_view key) const { return get_as<bool>(*this, key, as_bool); }
Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  return get_as<std::string_view>(*this, key, as_string);
}
Result<const Array*> GgufFile::get_array(std::string_view key) const {
  return get_as<const Array*>(*this, key, as_array);
}

Result<std::optional<int64_t>> GgufFile::find_int(std::string_view key) const {
  return find_as<int64_t>(*this, key, as_int);
}
Result<std::optional<double>> GgufFile::find_float(std::string_view key) const {
  return find_as<double>(*this, key, as_float);
}
Result<std::optional<bool>> GgufFile::find_bool(std::string_view key) const {
  return find_as<bool>(*this, key, as_bool);
}
Result<std::optional<std::string_view>> GgufFile::find_string(std::string_view key) const {
  return find_as<std::string_view>(*this, key, as_string);
}
Result<const Array*> GgufFile::find_array(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return static_cast<const Array*>(nullptr);
  return as_array(key, *value);
}

}  // namespace rocmforge::gguf
