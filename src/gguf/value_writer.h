// Encodes metadata values the way value_reader.h reads them, and checks that
// an Array is one the format can hold (the reader's widened vectors narrowed
// back without loss).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "gguf/value.h"
#include "rocmforge/error.h"

namespace rocmforge::gguf {

// kInvalidArgument when the array uses a vector other than its element
// type's, or holds an integer its element type cannot (nested arrays too).
Status check_array(const Array& array);

void append_u32(std::vector<std::byte>& out, uint32_t value);
void append_u64(std::vector<std::byte>& out, uint64_t value);
void append_string(std::vector<std::byte>& out, std::string_view text);

// The value's bytes without its type id.
void append_value(std::vector<std::byte>& out, const Value& value);

}  // namespace rocmforge::gguf
