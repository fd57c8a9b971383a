// ggml's reference row conversions of the K-quants and Q8_K
// (ggml-quants.c: dequantize_row_q*_K, quantize_row_q*_K_ref). The
// quantisers search for scales; their float arithmetic is ggml's, operation
// by operation (the module is built without contraction), so the bytes equal
// llama-quantize's without an importance matrix.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks_k.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace rocmforge::quant::rows {
namespace {

constexpr float kGroupMaxEps = 1e-15f;

// ggml's make_qkx2_quants: scale and min of an asymmetric sub-block with
// quants 0..nmax, trying nstep + 1 scales around the plain one and keeping the
// one with the least weighted error. Writes the quants to l and -min to the_min.
struct ScaleSearch {
  float rmin;
  float rdelta;
  int nstep;
  bool use_mad;
};

float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* l, float* the_min,
                       uint8_t* laux, const ScaleSearch& search) {
  float min = x[0];
  float max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::memset(l, 0, static_cast<size_t>(n));
    *the_min = -min;
    return 0.0f;
  }
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    l[i] = static_cast<uint8_t>(std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax));
    float diff = scale * l[i] + min - x[i];
    diff = search.use_mad ? std::fabs(diff) : diff * diff;
    best_error += weights[i] * diff;
  }
  for (int is = 0; is <= search.nstep; ++is) {
    iscale = (search.rmin + search.rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
    float sum_l = 0;
    float sum_l2 = 0;
    float sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int q = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      laux[i] = static_cast<uint8_t>(q);
      const float w = weights[i];
      sum_l += w * static_cast<float>(q);
      sum_l2 += w * static_cast<float>(q) * static_cast<float>(q);
      sum_xl += w * static_cast<float>(q) * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;  // NaN too, as ggml's if (D > 0)
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float cur_error = 0;
    for (int i = 0; i < n; ++i) {
      float diff = this_scale * laux[i] + this_min - x[i];
      diff = search.use_mad ? std::fabs(diff) : diff * diff;
      cur_error += weights[i] * diff;
    }
    if (cur_error < best_error) {
      std::memcpy(l, laux, static_cast<size_t>(n));
      best_error = cur_error;
      scale = this_scale;
      min = this_min;
    }
  }
  *the_min = -min;
  return scale;
}

// ggml's make_qx_quants with rmse_type 1 (weights x^2) and no importance:
// a symmetric scale for quants -nmax..nmax-1 (stored + nmax), the best of 19 tries.
float make_qx_quants(int n, int nmax, const float* x, int8_t* l) {
  const auto [amax, max] = largest_magnitude(x, n);
  if (amax < kGroupMaxEps) {
    std::memset(l, 0, static_cast<size_t>(n));
    return 0.0f;
  }
  const auto quant = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int q = quant(iscale, i);
    l[i] = static_cast<int8_t>(q + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(q);
    suml2 += w * static_cast<float>(q) * static_cast<float>(q);
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = 0;
    suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int q = quant(iscale, i);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(q);
      suml2 += w * static_cast<float>(q) * static_cast<float>(q);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) l[i] = static_cast<int8_t>(nmax + quant(iscale, i));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// ggml's make_q3_quants with do_rmse: a symmetric scale for quants -nmax..nmax-1
// refined by moving single quants while the weighted fit improves (5 rounds).
float make_q3_quants(int n, int nmax, const float* x, int8_t* l) {
  const auto [amax, max] = largest_magnitude(x, n);
  if (amax < kGroupMaxEps) {
    std::memset(l, 0, static_cast<size_t>(n));
    return 0.0f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int q = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    l[i] = static_cast<int8_t>(q);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(q);
    suml2 += w * static_cast<float>(q) * static_cast<float>(q);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * static_cast<float>(l[i]);
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * static_cast<float>(l[i]) * static_cast<float>(l[i]);
      const int new_l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (new_l == l[i]) continue;
      slx += w * x[i] * static_cast<float>(new_l);
      sl2 += w * static_cast<float>(new_l) * static_cast<float>(new_l);
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        l[i] = static_cast<int8_t>(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++n_changed;
      }
    }
    if (n_changed == 0) break;
  }
  for (int i = 0; i < n; ++i) l[i] = static_cast<int8_t>(l[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// 2-bit quants of 4 runs of 32 into bit pairs 0..3 of 32 bytes (Q2_K, Q3_K).
void pack2(const uint8_t* l, uint8_t* qs) {
  for (int j = 0; j < kSuperElems; j += 128) {
    for (int i = 0; i < 32; ++i) {
      qs[j / 4 + i] = static_cast<uint8_t>(l[j + i] | (l[j + i + 32] << 2) | (l[j + i + 64] << 4) | (l[j + i + 96] << 6));
    }
  }
}

// The 8 scales and mins of Q4_K/Q5_K sub-blocks as 6-bit values in 12 bytes.
void pack_scales_k4(const float* scales, const float* mins, float max_scale, float max_min, uint8_t* packed) {
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < 8; ++j) {
    const auto ls = static_cast<uint8_t>(std::min(63, nearest_int(inv_scale * scales[j]) & 0xFF));
    const auto lm = static_cast<uint8_t>(std::min(63, nearest_int(inv_min * mins[j]) & 0xFF));
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
}

// Q4_K/Q5_K: the weighted scale searches per sub-block of 32, then quants
// recomputed against the stored (rounded) scales. Returns the quants in l.
void quantize_k4_scales(const float* x, int nmax, float rmin, int nstep, uint16_t& d, uint16_t& dmin,
                        uint8_t* scales_packed, uint8_t* l) {
  float mins[8];
  float scales[8];
  float weights[32];
  uint8_t laux[32];
  float max_scale = 0;
  float max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int i = 0; i < 32; ++i) sum_x2 += x[32 * j + i] * x[32 * j + i];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int i = 0; i < 32; ++i) weights[i] = av_x + std::fabs(x[32 * j + i]);
    scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, l + 32 * j, &mins[j], laux, {rmin, 0.1f, nstep, false});
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  pack_scales_k4(scales, mins, max_scale, max_min, scales_packed);
  d = fp32_to_fp16(max_scale / 63.f);
  dmin = fp32_to_fp16(max_min / 63.f);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc;
    uint8_t m;
    scale_min_k4(j, scales_packed, sc, m);
    const float dj = fp16_to_fp32(d) * sc;
    if (dj == 0) continue;
    const float dm = fp16_to_fp32(dmin) * m;
    for (int i = 0; i < 32; ++i) l[32 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / dj), 0, nmax));
  }
}

// The float scales and mins of Q4_K/Q5_K sub-blocks is and is + 1.
struct SubScales {
  float d1, m1, d2, m2;
};

SubScales sub_scales(uint16_t d_bits, uint16_t dmin_bits, const uint8_t* packed, int is) {
  const float d = fp16_to_fp32(d_bits);
  const float min = fp16_to_fp32(dmin_bits);
  uint8_t sc;
  uint8_t m;
  scale_min_k4(is, packed, sc, m);
  SubScales s;
  s.d1 = d * sc;
  s.m1 = min * m;
  scale_min_k4(is + 1, packed, sc, m);
  s.d2 = d * sc;
  s.m2 = min * m;
  return s;
}

}  // namespace

void quantize_q2_k(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ2_K*>(dst);
  constexpr float kQ4Scale = 15.f;
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockQ2_K& y = blocks[b];
    uint8_t l[kSuperElems];
    uint8_t laux[16];
    float weights[16];
    float mins[16];
    float scales[16];
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int i = 0; i < 16; ++i) weights[i] = std::fabs(x[16 * j + i]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, l + 16 * j, &mins[j], laux, {-0.5f, 0.1f, 15, true});
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    std::memset(y.scales, 0, sizeof(y.scales));
    y.d = fp32_to_fp16(0.f);
    y.dmin = fp32_to_fp16(0.f);
    if (max_scale > 0) {
      const float iscale = kQ4Scale / max_scale;
      for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      y.d = fp32_to_fp16(max_scale / kQ4Scale);
    }
    if (max_min > 0) {
      const float iscale = kQ4Scale / max_min;
      for (int j = 0; j < 16; ++j) y.scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
      y.dmin = fp32_to_fp16(max_min / kQ4Scale);
    }
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_fp32(y.d) * static_cast<float>(y.scales[j] & 0xF);
      if (d == 0) continue;
      const float dm = fp16_to_fp32(y.dmin) * static_cast<float>(y.scales[j] >> 4);
      for (int i = 0; i < 16; ++i) l[16 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
    }
    pack2(l, y.qs);
  }
}

void dequantize_q2_k(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockQ2_K*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float d = fp16_to_fp32(blocks[b].d);
    const float min = fp16_to_fp32(blocks[b].dmin);
    const uint8_t* q = blocks[b].qs;
    int is = 0;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part) {
          const uint8_t sc = blocks[b].scales[is++];
          const float dl = d * static_cast<float>(sc & 0xF);
          const float ml = min * static_cast<float>(sc >> 4);
          for (int i = 0; i < 16; ++i) *y++ = dl * static_cast<float>((q[i + 16 * part] >> shift) & 3) - ml;
        }
      }
    }
  }
}

void quantize_q3_k(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ3_K*>(dst);
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockQ3_K& y = blocks[b];
    int8_t l[kSuperElems];
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = make_q3_quants(16, 4, x + 16 * j, l + 16 * j);
    const float max_scale = largest_magnitude(scales, 16).max;
    std::memset(y.scales, 0, sizeof(y.scales));
    y.d = fp32_to_fp16(0.f);
    if (max_scale != 0) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int q = std::clamp(static_cast<int>(static_cast<int8_t>(nearest_int(iscale * scales[j]))), -32, 31) + 32;
        if (j < 8) {
          y.scales[j] = static_cast<uint8_t>(q & 0xF);
        } else {
          y.scales[j - 8] |= static_cast<uint8_t>((q & 0xF) << 4);
        }
        y.scales[j % 4 + 8] |= static_cast<uint8_t>((q >> 4) << (2 * (j / 4)));
      }
      y.d = fp32_to_fp16(1 / iscale);
    }
    int8_t sc[16];
    scales_q3_k(y.scales, sc);
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_fp32(y.d) * static_cast<float>(sc[j]);
      if (d == 0) continue;
      for (int i = 0; i < 16; ++i) l[16 * j + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
    }
    std::memset(y.hmask, 0, sizeof(y.hmask));
    uint8_t low[kSuperElems];
    for (int j = 0; j < kSuperElems; ++j) {
      // The high bit of element j goes to bit j / 32 of hmask[j % 32].
      low[j] = static_cast<uint8_t>(l[j] > 3 ? l[j] - 4 : l[j]);
      if (l[j] > 3) y.hmask[j % 32] |= static_cast<uint8_t>(1 << (j / 32));
    }
    pack2(low, y.qs);
  }
}

void dequantize_q3_k(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockQ3_K*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float d_all = fp16_to_fp32(blocks[b].d);
    int8_t scales[16];
    scales_q3_k(blocks[b].scales, scales);
    const uint8_t* q = blocks[b].qs;
    const uint8_t* hm = blocks[b].hmask;
    int is = 0;
    uint8_t m = 1;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
        for (int part = 0; part < 2; ++part) {
          const float dl = d_all * static_cast<float>(scales[is++]);
          for (int i = 16 * part; i < 16 * part + 16; ++i) {
            *y++ = dl * static_cast<float>(((q[i] >> shift) & 3) - ((hm[i] & m) ? 0 : 4));
          }
        }
      }
    }
  }
}

void quantize_q4_k(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_K*>(dst);
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockQ4_K& y = blocks[b];
    uint8_t l[kSuperElems];
    quantize_k4_scales(x, 15, -1.f, 20, y.d, y.dmin, y.scales, l);
    for (int j = 0; j < kSuperElems; j += 64) {
      for (int i = 0; i < 32; ++i) y.qs[j / 2 + i] = static_cast<uint8_t>(l[j + i] | (l[j + i + 32] << 4));
    }
  }
}

void dequantize_q4_k(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_K*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const uint8_t* q = blocks[b].qs;
    for (int is = 0; is < 8; is += 2, q += 32) {
      const SubScales s = sub_scales(blocks[b].d, blocks[b].dmin, blocks[b].scales, is);
      for (int i = 0; i < 32; ++i) *y++ = s.d1 * static_cast<float>(q[i] & 0xF) - s.m1;
      for (int i = 0; i < 32; ++i) *y++ = s.d2 * static_cast<float>(q[i] >> 4) - s.m2;
    }
  }
}

void quantize_q5_k(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_K*>(dst);
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockQ5_K& y = blocks[b];
    uint8_t l[kSuperElems];
    quantize_k4_scales(x, 31, -0.5f, 15, y.d, y.dmin, y.scales, l);
    std::memset(y.qh, 0, sizeof(y.qh));
    for (int j = 0; j < kSuperElems; j += 64) {
      const int bit = j / 32;  // the low half's bit in qh; the high half's is the next
      for (int i = 0; i < 32; ++i) {
        const int l1 = l[j + i];
        const int l2 = l[j + i + 32];
        y.qh[i] |= static_cast<uint8_t>(((l1 >> 4) << bit) | ((l2 >> 4) << (bit + 1)));
        y.qs[j / 2 + i] = static_cast<uint8_t>((l1 & 0xF) | ((l2 & 0xF) << 4));
      }
    }
  }
}

void dequantize_q5_k(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_K*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const uint8_t* ql = blocks[b].qs;
    const uint8_t* qh = blocks[b].qh;
    for (int is = 0; is < 8; is += 2, ql += 32) {
      const SubScales s = sub_scales(blocks[b].d, blocks[b].dmin, blocks[b].scales, is);
      const int u1 = 1 << is;
      const int u2 = 2 << is;
      for (int i = 0; i < 32; ++i) *y++ = s.d1 * static_cast<float>((ql[i] & 0xF) + ((qh[i] & u1) ? 16 : 0)) - s.m1;
      for (int i = 0; i < 32; ++i) *y++ = s.d2 * static_cast<float>((ql[i] >> 4) + ((qh[i] & u2) ? 16 : 0)) - s.m2;
    }
  }
}

void quantize_q6_k(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ6_K*>(dst);
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockQ6_K& y = blocks[b];
    int8_t l[kSuperElems];
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = make_qx_quants(16, 32, x + 16 * j, l + 16 * j);
    const auto [max_abs_scale, max_scale] = largest_magnitude(scales, 16);
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y, 0, sizeof(y));
      continue;
    }
    const float iscale = -128.f / max_scale;
    y.d = fp32_to_fp16(1 / iscale);
    for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[j])));
    for (int j = 0; j < 16; ++j) {
      const float d = fp16_to_fp32(y.d) * static_cast<float>(y.scales[j]);
      if (d == 0) continue;
      for (int i = 0; i < 16; ++i) l[16 * j + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -32, 31) + 32);
    }
    for (int j = 0; j < kSuperElems; j += 128) {
      uint8_t* ql = y.ql + j / 2;
      uint8_t* qh = y.qh + j / 4;
      for (int i = 0; i < 32; ++i) {
        const int q1 = l[j + i];
        const int q2 = l[j + i + 32];
        const int q3 = l[j + i + 64];
        const int q4 = l[j + i + 96];
        ql[i] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[i + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[i] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

void dequantize_q6_k(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockQ6_K*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    const float d = fp16_to_fp32(blocks[b].d);
    for (int half = 0; half < 2; ++half, y += 128) {
      const uint8_t* ql = blocks[b].ql + 64 * half;
      const uint8_t* qh = blocks[b].qh + 32 * half;
      const int8_t* sc = blocks[b].scales + 8 * half;
      for (int i = 0; i < 32; ++i) {
        const int is = i / 16;
        const int q1 = ((ql[i] & 0xF) | (((qh[i] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[i + 32] & 0xF) | (((qh[i] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[i] >> 4) | (((qh[i] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[i + 32] >> 4) | (((qh[i] >> 6) & 3) << 4)) - 32;
        y[i] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[i + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[i + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[i + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

// quantize_row_q8_K_ref (which llama.cpp's x86 quantize_row_q8_K calls): the
// value of largest magnitude (the first on ties) maps to -127.
void quantize_q8_k(const float* x, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(dst);
  for (int64_t b = 0; b < n / kSuperElems; ++b, x += kSuperElems) {
    BlockQ8_K& y = blocks[b];
    const auto [amax, max] = largest_magnitude(x, kSuperElems);
    if (amax == 0) {
      std::memset(&y, 0, sizeof(y));
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kSuperElems; ++j) y.qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += y.qs[16 * j + i];
      y.bsums[j] = static_cast<int16_t>(sum);
    }
    y.d = 1 / iscale;
  }
}

void dequantize_q8_k(const void* src, float* y, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_K*>(src);
  for (int64_t b = 0; b < n / kSuperElems; ++b) {
    for (int j = 0; j < kSuperElems; ++j) *y++ = blocks[b].d * static_cast<float>(blocks[b].qs[j]);
  }
}

}  // namespace rocmforge::quant::rows
