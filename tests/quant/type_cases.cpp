#include "type_cases.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/half.h"
#include "quant/quant.h"

namespace rocmforge::quant::testing {
namespace {

using gguf::GgmlType;

constexpr double kHalfUlp = 1.0 / 2048;  // relative rounding of an fp16 scale

// The rounding error of storing `x` as fp16 (absolute 2^-25 in the subnormal range).
double half_error(double x) { return std::max(std::fabs(x) * kHalfUlp, std::ldexp(1.0, -25)); }

// Symmetric types: d = amax / levels; rounding costs d / 2, the clamp of the
// extreme value on the short side one full d; the fp16 d up to levels times its error.
template <int kLevels>
double symmetric_bound(std::span<const float> b, float) {
  const double d = absmax(b) / kLevels;
  return d + kLevels * half_error(d);
}

// Q8: d = amax / 127, rounding costs d / 2 (no clamp).
double q8_bound(std::span<const float> b, float) {
  const double d = absmax(b) / 127;
  return d / 2 + 127 * half_error(d);
}

// Asymmetric types: d = (max - min) / levels, rounding d / 2, fp16 m and d.
template <int kLevels>
double asymmetric_bound(std::span<const float> b, float) {
  const auto [lo, hi] = std::minmax_element(b.begin(), b.end());
  const double d = (static_cast<double>(*hi) - *lo) / kLevels;
  return d / 2 + kLevels * half_error(d) + half_error(*lo);
}

double f32_bound(std::span<const float>, float) { return 0.0; }
double f16_bound(std::span<const float>, float x) { return half_error(x); }
double bf16_bound(std::span<const float>, float x) { return std::fabs(x) / 256; }

// Exact values: k * d0 (+ m0) with d0 a power of two, the extreme k present
// so the quantiser picks exactly d0.
template <int kLow, int kHigh, bool kWithMin>
std::vector<float> grid_values(std::mt19937& rng, int64_t n) {
  std::uniform_int_distribution<int> k_dist(kLow, kHigh);
  std::uniform_int_distribution<int> e_dist(-12, 2);
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t b = 0; b < n / 32; ++b) {
    const float d0 = std::ldexp(1.0f, e_dist(rng));
    const float m0 = kWithMin ? -static_cast<float>(k_dist(rng)) * d0 : 0.0f;
    float* x = out.data() + b * 32;
    for (int j = 0; j < 32; ++j) x[j] = m0 + static_cast<float>(k_dist(rng)) * d0;
    x[b % 32] = m0 + static_cast<float>(kLow) * d0;
    x[(b + 7) % 32] = m0 + static_cast<float>(kHigh) * d0;
  }
  return out;
}

std::vector<float> f32_values(std::mt19937& rng, int64_t n) { return random_values(rng, n); }

std::vector<float> f16_values(std::mt19937& rng, int64_t n) {
  std::uniform_int_distribution<int> bits(0, 0xFFFF);
  std::vector<float> out(static_cast<size_t>(n));
  for (float& x : out) {
    do {
      x = fp16_to_fp32(static_cast<uint16_t>(bits(rng)));
    } while (!std::isfinite(x));
  }
  return out;
}

std::vector<float> bf16_values(std::mt19937& rng, int64_t n) {
  std::uniform_int_distribution<int> bits(0, 0xFFFF);
  std::vector<float> out(static_cast<size_t>(n));
  for (float& x : out) {
    do {
      x = bf16_to_fp32(static_cast<uint16_t>(bits(rng)));
    } while (!std::isfinite(x));
  }
  return out;
}

void put_u16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}

KnownAnswer f32_known() {
  KnownAnswer k;
  k.values = {1.5f, -0.0f, 3.0e38f, -1.0e-40f};
  k.bytes.resize(k.values.size() * 4);
  std::memcpy(k.bytes.data(), k.values.data(), k.bytes.size());
  return k;
}

KnownAnswer f16_known() {
  KnownAnswer k;
  for (uint16_t h : {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8400, 0x3555}) put_u16(k.bytes, h);
  k.values = {1.0f, -2.0f, 65504.0f, 0x1p-24f, -0x1p-14f, 0.333251953125f};
  return k;
}

KnownAnswer bf16_known() {
  KnownAnswer k;
  for (uint16_t h : {0x3F80, 0xC040, 0x7F7F, 0x0001, 0x3EAB}) put_u16(k.bytes, h);
  k.values = {1.0f, -3.0f, 0x1.FEp127f, 0x1p-133f, 0.333984375f};
  return k;
}

// Q4_0: d = 0.5 (0x3800), byte j = j | (15 - j) << 4: element j = (j - 8) / 2,
// element j + 16 = (7 - j) / 2.
KnownAnswer q4_0_known() {
  KnownAnswer k;
  put_u16(k.bytes, 0x3800);
  for (int j = 0; j < 16; ++j) k.bytes.push_back(static_cast<uint8_t>(j | (15 - j) << 4));
  for (int j = 0; j < 16; ++j) k.values.push_back(static_cast<float>(j - 8) * 0.5f);
  for (int j = 0; j < 16; ++j) k.values.push_back(static_cast<float>(7 - j) * 0.5f);
  return k;
}

// Q4_1: d = 0.25 (0x3400), m = -1 (0xBC00), same nibbles: q * d + m.
KnownAnswer q4_1_known() {
  KnownAnswer k;
  put_u16(k.bytes, 0x3400);
  put_u16(k.bytes, 0xBC00);
  for (int j = 0; j < 16; ++j) k.bytes.push_back(static_cast<uint8_t>(j | (15 - j) << 4));
  for (int j = 0; j < 16; ++j) k.values.push_back(static_cast<float>(j) * 0.25f - 1.0f);
  for (int j = 0; j < 16; ++j) k.values.push_back(static_cast<float>(15 - j) * 0.25f - 1.0f);
  return k;
}

// Q5: qh = 0x8000'0003 sets bit 4 of elements 0, 1 and 31 (qh is little-endian).
constexpr uint32_t kQh = 0x80000003u;

int q5_quant(int j) {
  const int nibble = j < 16 ? (j & 15) : (15 - (j - 16));
  return nibble | static_cast<int>(((kQh >> j) & 1) << 4);
}

void put_q5_bits(std::vector<uint8_t>& v) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(kQh >> (8 * i)));
  for (int j = 0; j < 16; ++j) v.push_back(static_cast<uint8_t>(j | (15 - j) << 4));
}

KnownAnswer q5_0_known() {  // d = 2 (0x4000): (q - 16) * 2
  KnownAnswer k;
  put_u16(k.bytes, 0x4000);
  put_q5_bits(k.bytes);
  for (int j = 0; j < 32; ++j) k.values.push_back(static_cast<float>(q5_quant(j) - 16) * 2.0f);
  return k;
}

KnownAnswer q5_1_known() {  // d = 0.5 (0x3800), m = 3 (0x4200): q / 2 + 3
  KnownAnswer k;
  put_u16(k.bytes, 0x3800);
  put_u16(k.bytes, 0x4200);
  put_q5_bits(k.bytes);
  for (int j = 0; j < 32; ++j) k.values.push_back(static_cast<float>(q5_quant(j)) * 0.5f + 3.0f);
  return k;
}

int8_t q8_quant(int j) { return static_cast<int8_t>(j * 8 - 128 + (j & 1)); }  // -128, -119, ..., 121

KnownAnswer q8_0_known() {  // d = -0.125 (0xB000)
  KnownAnswer k;
  put_u16(k.bytes, 0xB000);
  for (int j = 0; j < 32; ++j) {
    k.bytes.push_back(static_cast<uint8_t>(q8_quant(j)));
    k.values.push_back(static_cast<float>(q8_quant(j)) * -0.125f);
  }
  return k;
}

KnownAnswer q8_1_known() {  // d = 4 (0x4400), s ignored by dequantisation
  KnownAnswer k;
  put_u16(k.bytes, 0x4400);
  put_u16(k.bytes, 0x7C00);
  for (int j = 0; j < 32; ++j) {
    k.bytes.push_back(static_cast<uint8_t>(q8_quant(j)));
    k.values.push_back(static_cast<float>(q8_quant(j)) * 4.0f);
  }
  return k;
}

constexpr TypeCase kCases[] = {
    {GgmlType::kF32, f32_bound, f32_values, f32_known},
    {GgmlType::kF16, f16_bound, f16_values, f16_known},
    {GgmlType::kBF16, bf16_bound, bf16_values, bf16_known},
    {GgmlType::kQ4_0, symmetric_bound<8>, grid_values<-8, 7, false>, q4_0_known},
    {GgmlType::kQ4_1, asymmetric_bound<15>, grid_values<0, 15, true>, q4_1_known},
    {GgmlType::kQ5_0, symmetric_bound<16>, grid_values<-16, 15, false>, q5_0_known},
    {GgmlType::kQ5_1, asymmetric_bound<31>, grid_values<0, 31, true>, q5_1_known},
    {GgmlType::kQ8_0, q8_bound, grid_values<-127, 127, false>, q8_0_known},
    {GgmlType::kQ8_1, q8_bound, grid_values<-127, 127, false>, q8_1_known},
};

}  // namespace

const TypeCase* find_case(GgmlType type) {
  for (const TypeCase& c : kCases) {
    if (c.type == type) return &c;
  }
  for (const TypeCase& c : super_block_cases()) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::vector<GgmlType> all_types() {
  std::vector<GgmlType> types(supported_types().begin(), supported_types().end());
  types.push_back(GgmlType::kQ8_1);
  types.push_back(GgmlType::kQ8_K);
  return types;
}

double absmax(std::span<const float> block) {
  double m = 0;
  for (float x : block) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

std::vector<size_t> half_fields(GgmlType type) {
  switch (type) {
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ8_0:
    case GgmlType::kIQ4_NL:
    case GgmlType::kIQ4_XS:
      return {0};
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
    case GgmlType::kQ8_1:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
      return {0, 2};
    case GgmlType::kQ2_K:
      return {80, 82};
    case GgmlType::kQ3_K:
      return {108};
    case GgmlType::kQ6_K:
      return {208};
    default:
      return {};
  }
}

std::string type_param_name(const ::testing::TestParamInfo<gguf::GgmlType>& param) {
  return std::string(gguf::ggml_type_name(param.param));
}

std::vector<float> random_values(std::mt19937& rng, int64_t n, float scale) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> out(static_cast<size_t>(n));
  for (float& x : out) x = normal(rng) * (pick(rng) == 0 ? 8.0f : 1.0f);
  return out;
}

}  // namespace rocmforge::quant::testing
