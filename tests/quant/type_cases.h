// What the tests expect of each type: its round-trip error bound, values it
// represents exactly, and a hand-built block with known values. Every type the
// module handles must have an entry (checked by a test), so a new type cannot
// go untested.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gguf/ggml_type.h"

namespace rocmforge::quant::testing {

struct KnownAnswer {
  std::vector<uint8_t> bytes;  // one block (or a few elements of a float type)
  std::vector<float> values;   // what they dequantise to
};

struct TypeCase {
  gguf::GgmlType type;
  // The largest error reference quantisation may make on x[i], i inside the
  // block [begin, begin + block size) of x (of block types, the same for all x[i]).
  double (*error_bound)(std::span<const float> block, float x);
  // `n` values (a multiple of the block size) that quantise exactly.
  std::vector<float> (*exact_values)(std::mt19937& rng, int64_t n);
  KnownAnswer (*known_answer)();
};

// The cases of the 256-element types and IQ4_NL (type_cases_k.cpp).
std::span<const TypeCase> super_block_cases();

// The case for `type`; nullptr if there is none.
const TypeCase* find_case(gguf::GgmlType type);

// Every type the module converts: the supported weight types, Q8_1 and Q8_K.
std::vector<gguf::GgmlType> all_types();

// The largest magnitude in a block.
double absmax(std::span<const float> block);

// Byte offsets of the fp16 fields (scales, mins) in one block of `type`.
std::vector<size_t> half_fields(gguf::GgmlType type);

// A parameterised test's name for a type: "q4_0".
std::string type_param_name(const ::testing::TestParamInfo<gguf::GgmlType>& param);

// Normal(0, scale) values with a few outliers, as in real weights.
std::vector<float> random_values(std::mt19937& rng, int64_t n, float scale = 1.0f);

}  // namespace rocmforge::quant::testing
