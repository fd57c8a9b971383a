// Reads metadata values (scalars, strings, arrays nested to a bounded depth)
// from a file image, checking every length against the limits and against the
// bytes left in the file before anything is allocated.
#pragma once

#include "gguf/byte_reader.h"
#include "gguf/limits.h"
#include "gguf/value.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

// A u32 value type id; ids the format does not define are kParse errors.
Result<ValueType> read_value_type(ByteReader& in, std::string_view what);

Result<Value> read_value(ByteReader& in, ValueType type, const Limits& limits);

}  // namespace rocmforge::gguf
