#include "gguf/value_reader.h"

#include <memory>
#include <utility>

namespace rocmforge::gguf {
namespace {

// The fewest bytes one element of `type` takes in the file: what bounds an
// element count by the bytes that are left.
uint64_t min_encoded_size(ValueType type) {
  if (type == ValueType::kString) return sizeof(uint64_t);                     // length
  if (type == ValueType::kArray) return sizeof(uint32_t) + sizeof(uint64_t);  // type + count
  return value_type_size(type);
}

template <class T>
Result<Value> read_scalar(ByteReader& in) {
  const T value = RF_TRY(in.read<T>("value"));
  return Value{Value::Storage(std::in_place_type<T>, value)};
}

Result<bool> read_bool(ByteReader& in, std::string_view what) {
  const uint64_t at = in.offset();
  const uint8_t byte = RF_TRY(in.read<uint8_t>(what));
  if (byte > 1) return RF_ERROR(kParse, "{} {} is neither 0 nor 1 at byte {}", what, byte, at);
  return byte == 1;
}

// Widens `count` packed little-endian values of type T into `out`.
template <class T, class Out>
void widen(std::span<const std::byte> bytes, uint64_t count, std::vector<Out>& out) {
  out.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<Out>(value);  // uint64 above INT64_MAX keeps its bits
  }
}

Status read_fixed_elements(ByteReader& in, uint64_t count, Array& out) {
  const uint64_t at = in.offset();
  const auto bytes = RF_TRY(in.read_bytes(count * value_type_size(out.element_type), "array elements"));
  switch (out.element_type) {
    case ValueType::kUint8: widen<uint8_t>(bytes, count, out.ints); break;
    case ValueType::kInt8: widen<int8_t>(bytes, count, out.ints); break;
    case ValueType::kUint16: widen<uint16_t>(bytes, count, out.ints); break;
    case ValueType::kInt16: widen<int16_t>(bytes, count, out.ints); break;
    case ValueType::kUint32: widen<uint32_t>(bytes, count, out.ints); break;
    case ValueType::kInt32: widen<int32_t>(bytes, count, out.ints); break;
    case ValueType::kUint64: widen<uint64_t>(bytes, count, out.ints); break;
    case ValueType::kInt64: widen<int64_t>(bytes, count, out.ints); break;
    case ValueType::kFloat32: widen<float>(bytes, count, out.floats); break;
    case ValueType::kFloat64: widen<double>(bytes, count, out.floats); break;
    case ValueType::kBool:
      widen<uint8_t>(bytes, count, out.ints);
      for (uint64_t i = 0; i < count; ++i) {
        if (out.ints[i] > 1) {
          return RF_ERROR(kParse, "element {}: bool {} is neither 0 nor 1 at byte {}", i, out.ints[i], at + i);
        }
      }
      break;
    case ValueType::kString:
    case ValueType::kArray: return RF_ERROR(kInternal, "{} elements are not fixed-size", value_type_name(out.element_type));
  }
  return ok();
}

Result<Array> read_array(ByteReader& in, const Limits& limits, uint32_t depth) {
  const uint64_t type_at = in.offset();
  if (depth > limits.max_array_depth) {
    return RF_ERROR(kCapacity, "arrays nested {} deep exceed the limit of {} at byte {}", depth,
                    limits.max_array_depth, type_at);
  }
  Array out;
  out.element_type = RF_TRY(read_value_type(in, "array element type"));
  const uint64_t count_at = in.offset();
  const uint64_t count = RF_TRY(in.read<uint64_t>("array length"));
  const std::string_view type_name = value_type_name(out.element_type);
  if (count > limits.max_array_elements) {
    return RF_ERROR(kCapacity, "array of {} {}s exceeds the limit of {} at byte {}", count, type_name,
                    limits.max_array_elements, count_at);
  }
  if (count > in.remaining() / min_encoded_size(out.element_type)) {
    return RF_ERROR(kParse, "array of {} {}s at byte {}: file truncated: only {} bytes are left", count, type_name,
                    count_at, in.remaining());
  }
  // From here `count` is bounded by the bytes left in the file, so reserving is safe.
  if (out.element_type == ValueType::kString) {
    out.strings.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      auto text = in.read_string("string", limits.max_string_bytes);
      if (!text) return std::move(text).error().with_context(fmt::format("element {}", i));
      out.strings.emplace_back(*text);
    }
  } else if (out.element_type == ValueType::kArray) {
    out.arrays.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      auto element = read_array(in, limits, depth + 1);
      if (!element) return std::move(element).error().with_context(fmt::format("element {}", i));
      out.arrays.push_back(std::move(*element));
    }
  } else {
    RF_TRY(read_fixed_elements(in, count, out));
  }
  return out;
}

}  // namespace

Result<ValueType> read_value_type(ByteReader& in, std::string_view what) {
  const uint64_t at = in.offset();
  const uint32_t id = RF_TRY(in.read<uint32_t>(what));
  const auto type = parse_value_type(id);
  if (!type) return RF_ERROR(kParse, "{} {} is unknown (known: 0 to 12) at byte {}", what, id, at);
  return *type;
}

Result<Value> read_value(ByteReader& in, ValueType type, const Limits& limits) {
  switch (type) {
    case ValueType::kUint8: return read_scalar<uint8_t>(in);
    case ValueType::kInt8: return read_scalar<int8_t>(in);
    case ValueType::kUint16: return read_scalar<uint16_t>(in);
    case ValueType::kInt16: return read_scalar<int16_t>(in);
    case ValueType::kUint32: return read_scalar<uint32_t>(in);
    case ValueType::kInt32: return read_scalar<int32_t>(in);
    case ValueType::kFloat32: return read_scalar<float>(in);
    case ValueType::kUint64: return read_scalar<uint64_t>(in);
    case ValueType::kInt64: return read_scalar<int64_t>(in);
    case ValueType::kFloat64: return read_scalar<double>(in);
    case ValueType::kBool: return Value{Value::Storage(std::in_place_type<bool>, RF_TRY(read_bool(in, "bool")))};
    case ValueType::kString: {
      const std::string_view text = RF_TRY(in.read_string("string", limits.max_string_bytes));
      return Value{Value::Storage(std::in_place_type<std::string>, text)};
    }
    case ValueType::kArray: {
      Array array = RF_TRY(read_array(in, limits, 1));
      return Value{std::make_shared<const Array>(std::move(array))};
    }
  }
  return RF_ERROR(kInternal, "value type {} has no reader", static_cast<uint32_t>(type));
}

}  // namespace rocmforge::gguf
