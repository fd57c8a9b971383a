#include "gguf/value_writer.h"

#include <cstring>
#include <limits>
#include <type_traits>

namespace rocmforge::gguf {
namespace {

template <class T>
void append_raw(std::vector<std::byte>& out, T value) {
  const auto* bytes = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

template <class T>
bool fits(int64_t value) {
  if constexpr (std::is_same_v<T, uint64_t>) {
    return true;  // stored with its bits in an int64
  } else {
    return value >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
           value <= static_cast<int64_t>(std::numeric_limits<T>::max());
  }
}

bool ints_fit(const Array& array) {
  const auto all = [&](auto fits_one) {
    for (const int64_t v : array.ints) {
      if (!fits_one(v)) return false;
    }
    return true;
  };
  switch (array.element_type) {
    case ValueType::kUint8: return all(fits<uint8_t>);
    case ValueType::kInt8: return all(fits<int8_t>);
    case ValueType::kUint16: return all(fits<uint16_t>);
    case ValueType::kInt16: return all(fits<int16_t>);
    case ValueType::kUint32: return all(fits<uint32_t>);
    case ValueType::kInt32: return all(fits<int32_t>);
    case ValueType::kBool: return all([](int64_t v) { return v == 0 || v == 1; });
    default: return true;
  }
}

template <class T>
void append_ints(std::vector<std::byte>& out, const std::vector<int64_t>& values) {
  for (const int64_t v : values) append_raw(out, static_cast<T>(v));
}

void append_array(std::vector<std::byte>& out, const Array& array) {
  append_u32(out, static_cast<uint32_t>(array.element_type));
  append_u64(out, array.size());
  switch (array.element_type) {
    case ValueType::kUint8: append_ints<uint8_t>(out, array.ints); break;
    case ValueType::kInt8: append_ints<int8_t>(out, array.ints); break;
    case ValueType::kUint16: append_ints<uint16_t>(out, array.ints); break;
    case ValueType::kInt16: append_ints<int16_t>(out, array.ints); break;
    case ValueType::kUint32: append_ints<uint32_t>(out, array.ints); break;
    case ValueType::kInt32: append_ints<int32_t>(out, array.ints); break;
    case ValueType::kUint64: append_ints<uint64_t>(out, array.ints); break;
    case ValueType::kInt64: append_ints<int64_t>(out, array.ints); break;
    case ValueType::kBool: append_ints<uint8_t>(out, array.ints); break;
    case ValueType::kFloat32:
      for (const double v : array.floats) append_raw(out, static_cast<float>(v));
      break;
    case ValueType::kFloat64:
      for (const double v : array.floats) append_raw(out, v);
      break;
    case ValueType::kString:
      for (const std::string& s : array.strings) append_string(out, s);
      break;
    case ValueType::kArray:
      for (const Array& nested : array.arrays) append_array(out, nested);
      break;
  }
}

}  // namespace

Status check_array(const Array& array) {
  const ValueType type = array.element_type;
  const size_t used = array.ints.size() + array.floats.size() + array.strings.size() + array.arrays.size();
  if (used != array.size()) {
    return RF_ERROR(kInvalidArgument, "an array of {} holds elements in another type's vector",
                    value_type_name(type));
  }
  if (!ints_fit(array)) {
    return RF_ERROR(kInvalidArgument, "an array of {} holds a value out of its range", value_type_name(type));
  }
  for (const Array& nested : array.arrays) RF_TRY(check_array(nested));
  return ok();
}

void append_u32(std::vector<std::byte>& out, uint32_t value) { append_raw(out, value); }
void append_u64(std::vector<std::byte>& out, uint64_t value) { append_raw(out, value); }

void append_string(std::vector<std::byte>& out, std::string_view text) {
  append_u64(out, text.size());
  const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
  out.insert(out.end(), bytes, bytes + text.size());
}

void append_value(std::vector<std::byte>& out, const Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          append_string(out, v);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const Array>>) {
          append_array(out, *v);
        } else if constexpr (std::is_same_v<T, bool>) {
          append_raw(out, static_cast<uint8_t>(v ? 1 : 0));
        } else {
          append_raw(out, v);
        }
      },
      value.data);
}

}  // namespace rocmforge::gguf
