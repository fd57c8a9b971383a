// Typed GGUF metadata values: scalars, strings and (possibly nested) arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace rocmforge::gguf {

// Value type ids as stored in the file.
enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view value_type_name(ValueType type);

// The type for an id read from a file; nullopt for ids the format does not define.
std::optional<ValueType> parse_value_type(uint32_t id);

// Bytes one value of a fixed-size type takes in the file; 0 for strings and arrays.
size_t value_type_size(ValueType type);

bool is_integer_type(ValueType type);
bool is_float_type(ValueType type);  // float32 or float64

struct Array;

// One metadata value. Arrays hold their elements in one typed vector (not a
// vector of Values) so that a 150,000-entry token list stays compact.
struct Value {
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, std::shared_ptr<const Array>, uint64_t, int64_t, double>;
  Storage data;

  ValueType type() const { return static_cast<ValueType>(data.index()); }
};

// The variant's alternatives are in file-id order, so type() is index().
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(ValueType::kArray), Value::Storage>,
                             std::shared_ptr<const Array>>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(ValueType::kFloat64), Value::Storage>,
                             double>);

struct Array {
  ValueType element_type = ValueType::kUint8;
  // Exactly one alternative is used, chosen by element_type: integers widen to
  // int64 (uint64 values above INT64_MAX keep their bits), floats to double,
  // bools to int64 0/1, strings and nested arrays as themselves.
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<Array> arrays;

  size_t size() const;

  friend bool operator==(const Array&, const Array&) = default;
};

}  // namespace rocmforge::gguf
