// Test cases of the 256-element types (and IQ4_NL, which shares their
// non-linear levels): error bounds, exactly representable values, known blocks.
//
// The K-quants search for their scales, so their error has no simple closed
// form: the bounds are a fraction of the super-block's largest magnitude,
// about twice what the quantisers reach on normal data with outliers.
// Exact values lie on the grid the quantisers recover exactly: power-of-two
// super-block scales, integer sub-block scales whose extreme is present, and
// quants spanning their whole range in every sub-block.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks.h"
#include "quant/blocks_k.h"
#include "type_cases.h"

namespace rocmforge::quant::testing {
namespace {

using gguf::GgmlType;

template <int kPerMille>
double fraction_bound(std::span<const float> b, float) {
  return absmax(b) * kPerMille / 1000.0;
}

// Q8_K: d = amax / 127 in float, rounding costs d / 2.
double q8_k_bound(std::span<const float> b, float) { return absmax(b) / 127 * 0.51; }

int uniform(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// `count` quants in [lo, hi] with both ends present.
std::vector<int> spanning_quants(std::mt19937& rng, int count, int lo, int hi) {
  std::vector<int> q(static_cast<size_t>(count));
  for (int& v : q) v = uniform(rng, lo, hi);
  q[static_cast<size_t>(uniform(rng, 0, count / 2 - 1))] = lo;
  q[static_cast<size_t>(uniform(rng, count / 2, count - 1))] = hi;
  return q;
}

// x = d * sc_j * q - dmin * m_j over sub-blocks of `sub` elements with
// scales and mins in [1, kMax] (one of each at kMax) and quants in [0, kQuantMax].
template <int kSub, int kMax, int kQuantMax>
std::vector<float> scale_min_values(std::mt19937& rng, int64_t n) {
  std::vector<float> out;
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float d = std::ldexp(1.0f, uniform(rng, -10, -2));
    const float dmin = std::ldexp(1.0f, uniform(rng, -10, -2));
    const int top_scale = uniform(rng, 0, kSuperElems / kSub - 1);
    const int top_min = uniform(rng, 0, kSuperElems / kSub - 1);
    for (int j = 0; j < kSuperElems / kSub; ++j) {
      const int sc = j == top_scale ? kMax : uniform(rng, 1, kMax);
      const int m = j == top_min ? kMax : uniform(rng, 0, kMax);
      for (int q : spanning_quants(rng, kSub, 0, kQuantMax)) out.push_back(d * sc * q - dmin * m);
    }
  }
  return out;
}

// Symmetric sub-block scales 2^e * k_j with k_j in [kLow, kHigh] (one at kHigh),
// values scale * level[q] with the level of largest magnitude present.
template <int kSub, int kLow, int kHigh>
std::vector<float> symmetric_values(std::mt19937& rng, int64_t n, const std::vector<int>& levels) {
  std::vector<float> out;
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float unit = std::ldexp(1.0f, uniform(rng, -10, -2));
    const int top = uniform(rng, 0, kSuperElems / kSub - 1);
    for (int j = 0; j < kSuperElems / kSub; ++j) {
      const float scale = unit * static_cast<float>(j == top ? kHigh : uniform(rng, kLow, kHigh - 1));
      for (int q : spanning_quants(rng, kSub, 0, static_cast<int>(levels.size()) - 1)) {
        out.push_back(scale * static_cast<float>(levels[static_cast<size_t>(q)]));
      }
    }
  }
  return out;
}

std::vector<int> range_levels(int lo, int hi) {  // lo first: the level of largest magnitude
  std::vector<int> levels;
  for (int v = lo; v <= hi; ++v) levels.push_back(v);
  return levels;
}

std::vector<int> iq4_levels() { return std::vector<int>(std::begin(kIQ4Values), std::end(kIQ4Values)); }

std::vector<float> q2_k_values(std::mt19937& rng, int64_t n) { return scale_min_values<16, 15, 3>(rng, n); }
std::vector<float> q4_k_values(std::mt19937& rng, int64_t n) { return scale_min_values<32, 63, 15>(rng, n); }
std::vector<float> q5_k_values(std::mt19937& rng, int64_t n) { return scale_min_values<32, 63, 31>(rng, n); }
std::vector<float> q3_k_values(std::mt19937& rng, int64_t n) { return symmetric_values<16, -31, 32>(rng, n, range_levels(-4, 3)); }
std::vector<float> q6_k_values(std::mt19937& rng, int64_t n) { return symmetric_values<16, -127, 128>(rng, n, range_levels(-32, 31)); }
std::vector<float> iq4_xs_values(std::mt19937& rng, int64_t n) { return symmetric_values<32, -31, 32>(rng, n, iq4_levels()); }

std::vector<float> iq4_nl_values(std::mt19937& rng, int64_t n) {
  std::vector<float> out;
  for (int64_t b = 0; b < n / kBlockElems; ++b) {
    const float d = std::ldexp(uniform(rng, 0, 1) ? 1.0f : -1.0f, uniform(rng, -10, -2));
    for (int q : spanning_quants(rng, kBlockElems, 0, 15)) out.push_back(d * static_cast<float>(kIQ4Values[q]));
  }
  return out;
}

std::vector<float> q8_k_values(std::mt19937& rng, int64_t n) {
  std::vector<float> out;
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float unit = std::ldexp(1.0f, uniform(rng, -10, 2));
    for (int q : spanning_quants(rng, kSuperElems, -127, 127)) out.push_back(unit * static_cast<float>(q));
  }
  return out;
}

// ---- known blocks: patterned bytes, values from the layouts in blocks_k.h ----

template <class Block>
KnownAnswer known_block(Block& b, float (*value)(const Block&, int)) {
  KnownAnswer k;
  k.bytes.resize(sizeof(Block));
  std::memcpy(k.bytes.data(), &b, sizeof(Block));
  for (int e = 0; e < kSuperElems; ++e) k.values.push_back(value(b, e));
  return k;
}

void pattern(uint8_t* p, size_t n, int mul, int add) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>((static_cast<int>(i) * mul + add) & 0xFF);
}

// Element e's 2-bit quant in Q2_K/Q3_K: bits 2s of qs[32h + l].
int crumb(const uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3; }

// d = 0.5, dmin = 0.25 (exact products).
constexpr uint16_t kHalf = 0x3800, kQuarter = 0x3400;

KnownAnswer q2_k_known() {
  BlockQ2_K b;
  pattern(b.scales, 16, 7, 3);
  pattern(b.qs, 64, 37, 11);
  b.d = kHalf;
  b.dmin = kQuarter;
  return known_block<BlockQ2_K>(b, [](const BlockQ2_K& x, int e) {
    const int sc = x.scales[e / 16];
    return 0.5f * static_cast<float>((sc & 0xF) * crumb(x.qs, e)) - 0.25f * static_cast<float>(sc >> 4);
  });
}

KnownAnswer q3_k_known() {
  BlockQ3_K b;
  pattern(b.hmask, 32, 53, 1);
  pattern(b.qs, 64, 29, 5);
  pattern(b.scales, 12, 41, 17);
  b.d = kQuarter;
  return known_block<BlockQ3_K>(b, [](const BlockQ3_K& x, int e) {
    const int j = e / 16;
    const int low = j < 8 ? x.scales[j] & 0xF : x.scales[j - 8] >> 4;
    const int sc = (low | (((x.scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
    const int q = crumb(x.qs, e) - ((x.hmask[e % 32] >> (e / 32)) & 1 ? 0 : 4);
    return 0.25f * static_cast<float>(sc) * static_cast<float>(q);  // -0 where sc < 0 and q == 0
  });
}

// Sub-block j's 6-bit scale and min in the 12 packed bytes of Q4_K/Q5_K.
int k4_scale(const uint8_t* s, int j) { return j < 4 ? s[j] & 63 : (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4); }
int k4_min(const uint8_t* s, int j) { return j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
int nibble(const uint8_t* qs, int e) { return (qs[32 * (e / 64) + e % 32] >> (4 * ((e / 32) % 2))) & 0xF; }

KnownAnswer q4_k_known() {
  BlockQ4_K b;
  b.d = kHalf;
  b.dmin = kQuarter;
  pattern(b.scales, 12, 67, 9);
  pattern(b.qs, 128, 23, 7);
  return known_block<BlockQ4_K>(b, [](const BlockQ4_K& x, int e) {
    return 0.5f * static_cast<float>(k4_scale(x.scales, e / 32) * nibble(x.qs, e)) -
           0.25f * static_cast<float>(k4_min(x.scales, e / 32));
  });
}

KnownAnswer q5_k_known() {
  BlockQ5_K b;
  b.d = kHalf;
  b.dmin = kQuarter;
  pattern(b.scales, 12, 71, 13);
  pattern(b.qh, 32, 59, 3);
  pattern(b.qs, 128, 19, 2);
  return known_block<BlockQ5_K>(b, [](const BlockQ5_K& x, int e) {
    const int q = nibble(x.qs, e) | (((x.qh[e % 32] >> (e / 32)) & 1) << 4);
    return 0.5f * static_cast<float>(k4_scale(x.scales, e / 32) * q) - 0.25f * static_cast<float>(k4_min(x.scales, e / 32));
  });
}

KnownAnswer q6_k_known() {
  BlockQ6_K b;
  pattern(b.ql, 128, 31, 4);
  pattern(b.qh, 64, 43, 6);
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j * 17 - 128);
  b.d = kQuarter;
  return known_block<BlockQ6_K>(b, [](const BlockQ6_K& x, int e) {
    const int h = e / 128;
    const int s = (e / 32) % 4;
    const int l = e % 32;
    const int low = (x.ql[64 * h + 32 * (s & 1) + l] >> (4 * (s / 2))) & 0xF;
    const int q = (low | (((x.qh[32 * h + l] >> (2 * s)) & 3) << 4)) - 32;
    return 0.25f * static_cast<float>(x.scales[e / 16]) * static_cast<float>(q);
  });
}

// IQ4: element j < 16 of a run of 32 is the low nibble of byte j, element j + 16 its high nibble.
int iq4_nibble(const uint8_t* qs, int j) { return (qs[j % 16] >> (j < 16 ? 0 : 4)) & 0xF; }

KnownAnswer iq4_nl_known() {
  KnownAnswer k;
  BlockIQ4_NL b;
  b.d = 0xB800;  // -0.5
  pattern(b.qs, 16, 7, 5);
  k.bytes.resize(sizeof(b));
  std::memcpy(k.bytes.data(), &b, sizeof(b));
  for (int j = 0; j < kBlockElems; ++j) k.values.push_back(-0.5f * static_cast<float>(kIQ4Values[iq4_nibble(b.qs, j)]));
  return k;
}

KnownAnswer iq4_xs_known() {
  BlockIQ4_XS b;
  b.d = kQuarter;
  b.scales_h = 0x9C63;
  pattern(b.scales_l, 4, 91, 14);
  pattern(b.qs, 128, 13, 9);
  return known_block<BlockIQ4_XS>(b, [](const BlockIQ4_XS& x, int e) {
    const int ib = e / 32;
    const int ls = ((x.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((x.scales_h >> (2 * ib)) & 3) << 4);
    return 0.25f * static_cast<float>((ls - 32) * kIQ4Values[iq4_nibble(x.qs + 16 * ib, e % 32)]);
  });
}

KnownAnswer q8_k_known() {
  BlockQ8_K b;
  b.d = -0.125f;
  for (int j = 0; j < kSuperElems; ++j) b.qs[j] = static_cast<int8_t>(j - 128);
  std::memset(b.bsums, 0, sizeof(b.bsums));  // not read by dequantisation
  return known_block<BlockQ8_K>(b, [](const BlockQ8_K& x, int e) { return -0.125f * static_cast<float>(x.qs[e]); });
}

constexpr TypeCase kCases[] = {
    {GgmlType::kQ2_K, fraction_bound<750>, q2_k_values, q2_k_known},
    {GgmlType::kQ3_K, fraction_bound<400>, q3_k_values, q3_k_known},
    {GgmlType::kQ4_K, fraction_bound<200>, q4_k_values, q4_k_known},
    {GgmlType::kQ5_K, fraction_bound<120>, q5_k_values, q5_k_known},
    {GgmlType::kQ6_K, fraction_bound<100>, q6_k_values, q6_k_known},
    {GgmlType::kIQ4_NL, fraction_bound<240>, iq4_nl_values, iq4_nl_known},
    {GgmlType::kIQ4_XS, fraction_bound<220>, iq4_xs_values, iq4_xs_known},
    {GgmlType::kQ8_K, q8_k_bound, q8_k_values, q8_k_known},
};

}  // namespace

std::span<const TypeCase> super_block_cases() { return kCases; }

}  // namespace rocmforge::quant::testing
