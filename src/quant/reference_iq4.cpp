// ggml's row conversions of IQ4_NL and IQ4_XS (ggml-quants.c:
// dequantize_row_iq4_*, quantize_row_iq4_nl_impl). Both quantise as
// llama-quantize does without an importance matrix (quantize_iq4_nl/xs:
// weights x^2 and 7 scale tries each way; quantize_row_iq4_nl_ref would try
// none), float operation by float operation.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks.h"
#include "quant/blocks_k.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace rocmforge::quant::rows {
namespace {

constexpr float kGroupMaxEps = 1e-15f;
constexpr int kTries = 7;
constexpr int kSub = 32;  // elements per scale

// ggml's best_index_int8: the index of the level nearest x (the upper one on ties).
int best_index(float x) {
  if (x <= kIQ4Values[0]) return 0;
  if (x >= kIQ4Values[15]) return 15;
  int lo = 0;
  int hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (x < kIQ4Values[mid]) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return x - static_cast<float>(kIQ4Values[hi - 1]) < static_cast<float>(kIQ4Values[hi]) - x ? hi - 1 : hi;
}

// The weighted least-squares fit of x to d * levels for id = 1 / d candidate scales.
struct Fit {
  float sumqx = 0;
  float sumq2 = 0;
};

Fit fit(const float* x, float id) {
  Fit f;
  for (int j = 0; j < kSub; ++j) {
    const auto q = static_cast<float>(kIQ4Values[best_index(id * x[j])]);
    const float w = x[j] * x[j];
    f.sumqx += w * q * x[j];
    f.sumq2 += w * q * q;
  }
  return f;
}

// The scale of one sub-block of 32: the plain one, then 2 * kTries + 1 more.
float sub_block_scale(const float* x) {
  const auto [amax, max] = largest_magnitude(x, kSub);
  if (amax < kGroupMaxEps) return 0;
  const float d0 = -max / static_cast<float>(kIQ4Values[0]);
  Fit f = fit(x, 1 / d0);
  float d = f.sumq2 > 0 ? f.sumqx / f.sumq2 : 0.f;
  float best = d * f.sumqx;
  for (int itry = -kTries; itry <= kTries; ++itry) {
    f = fit(x, static_cast<float>(itry + kIQ4Values[0]) / max);
    if (f.sumq2 > 0 && f.sumqx * f.sumqx > best * f.sumq2) {
      d = f.sumqx / f.sumq2;
      best = d * f.sumqx;
    }
  }
  return d;
}

// Nibble pairs: element j and j + 16 of each run of 32 share a byte.
void pack_nibbles(const uint8_t* l, int n, uint8_t* qs) {
  for (int i = 0; i < n / 32; ++i) {
    for (int j = 0; j < 16; ++j) qs[16 * i + j] = static_cast<uint8_t>(l[32 * i + j] | (l[32 * i + 16 + j] << 4));
  }
}

}  // namespace

void quantize_iq4_nl(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t b = 0; b < n / kBlockElems; ++b, x += kBlockElems) {
    const float d = sub_block_scale(x);
    blocks[b].d = fp32_to_fp16(d);
    const float id = d != 0 ? 1 / d : 0;
    uint8_t l[kBlockElems];
    for (int j = 0; j < kBlockElems; ++j) l[j] = static_cast<uint8_t>(best_index(id * x[j]));
    pack_nibbles(l, kBlockElems, blocks[b].qs);
  }
}

void dequantize_iq4_nl(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t b = 0; b < n / kBlockElems; ++b, y += kBlockElems) {
    const float d = fp16_to_fp32(blocks[b].d);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>(kIQ4Values[blocks[b].qs[j] & 0xF]);
      y[j + 16] = d * static_cast<float>(kIQ4Values[blocks[b].qs[j] >> 4]);
    }
  }
}

void quantize_iq4_xs(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockIQ4_XS*>(dst);
  constexpr int kSubs = kSuperElems / kSub;
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockIQ4_XS& y = blocks[b];
    float scales[kSubs];
    for (int ib = 0; ib < kSubs; ++ib) scales[ib] = sub_block_scale(x + kSub * ib);
    const float max_scale = largest_magnitude(scales, kSubs).max;
    // The super-block scale keeps its sign of zero (an all-zero block stores -0).
    const float d = -max_scale / 32;
    y.d = fp32_to_fp16(d);
    const float id = d != 0 ? 1 / d : 0.f;
    y.scales_h = 0;
    std::memset(y.scales_l, 0, sizeof(y.scales_l));
    uint8_t l[kSuperElems];
    for (int ib = 0; ib < kSubs; ++ib) {
      const int ls = std::clamp(nearest_int(id * scales[ib]), -32, 31);
      const float dl = d * static_cast<float>(ls);
      const float idl = dl != 0 ? 1 / dl : 0.f;
      for (int j = 0; j < kSub; ++j) l[kSub * ib + j] = static_cast<uint8_t>(best_index(idl * x[kSub * ib + j]));
      const int stored = ls + 32;
      y.scales_l[ib / 2] |= static_cast<uint8_t>((stored & 0xF) << (4 * (ib % 2)));
      y.scales_h |= static_cast<uint16_t>((stored >> 4) << (2 * ib));
    }
    pack_nibbles(l, kSuperElems, y.qs);
  }
}

void dequantize_iq4_xs(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float d = fp16_to_fp32(blocks[b].d);
    const uint8_t* qs = blocks[b].qs;
    for (int ib = 0; ib < kSuperElems / kSub; ++ib, y += kSub, qs += 16) {
      const int ls = ((blocks[b].scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((blocks[b].scales_h >> (2 * ib)) & 3) << 4);
      const float dl = d * static_cast<float>(ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * static_cast<float>(kIQ4Values[qs[j] & 0xF]);
        y[j + 16] = dl * static_cast<float>(kIQ4Values[qs[j] >> 4]);
      }
    }
  }
}

}  // namespace rocmforge::quant::rows
