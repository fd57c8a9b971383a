// ggml's reference row conversions of the float types and the 32-element
// block types (ggml-quants.c: dequantize_row_*, quantize_row_*_ref).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace rocmforge::quant::rows {
namespace {

struct Scale {
  float d;   // the step between quants
  float id;  // 1 / d, or 0 for an all-zero block
};

Scale make_scale(float d) { return {d, d != 0.0f ? 1.0f / d : 0.0f}; }

// Symmetric types: d = max / -levels, max the value of largest magnitude (the
// first one on ties) with its sign, so that value maps to quant 0.
Scale symmetric_scale(const float* x, float levels) { return make_scale(largest_magnitude(x, kBlockElems).max / -levels); }

// Asymmetric types: d = (max - min) / levels; writes min.
Scale asymmetric_scale(const float* x, float levels, float& min) {
  min = x[0];
  float max = x[0];
  for (int j = 1; j < kBlockElems; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  return make_scale((max - min) / levels);
}

float block_absmax(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kBlockElems; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

// 5-bit quants: low nibbles into qs (element j and j + 16 share a byte), bit 4 into qh.
template <class Block>
void pack5(const int* q, Block& b) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    b.qs[j] = static_cast<uint8_t>((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
    qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((q[j + 16] >> 4) & 1) << (j + 16);
  }
  std::memcpy(b.qh, &qh, sizeof(qh));
}

template <class Block>
void unpack5(const Block& b, int* q) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, sizeof(qh));
  for (int j = 0; j < 16; ++j) {
    q[j] = (b.qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1) << 4);
    q[j + 16] = (b.qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4);
  }
}

// Returns d; q[j] = roundf(x[j] / d) (half away from zero), as quantize_row_q8_*_ref.
float quantize_block_q8(const float* x, int8_t* q) {
  const Scale s = make_scale(block_absmax(x) / 127.0f);
  for (int j = 0; j < kBlockElems; ++j) q[j] = static_cast<int8_t>(std::round(x[j] * s.id));
  return s.d;
}

template <class Block>
void dequantize_q8(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const Block*>(src);
  for (int64_t i = 0; i < n / kBlockElems; ++i, dst += kBlockElems) {
    const float d = fp16_to_fp32(blocks[i].d);
    for (int j = 0; j < kBlockElems; ++j) dst[j] = static_cast<float>(blocks[i].qs[j]) * d;
  }
}

}  // namespace

void dequantize_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void quantize_f32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_f16(const void* src, float* dst, int64_t n) {
  convert_f16_to_f32(static_cast<const uint16_t*>(src), dst, n);
}
void quantize_f16(const float* src, void* dst, int64_t n) { convert_f32_to_f16(src, static_cast<uint16_t*>(dst), n); }

void dequantize_bf16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
}
void quantize_bf16(const float* src, void* dst, int64_t n) {
  convert_f32_to_bf16(src, static_cast<uint16_t*>(dst), n);
}

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kBlockElems; ++i, dst += kBlockElems) {
    const float d = fp16_to_fp32(blocks[i].d);
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>((blocks[i].qs[j] & 0x0F) - 8) * d;
      dst[j + 16] = static_cast<float>((blocks[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void quantize_q4_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kBlockElems; ++i, src += kBlockElems) {
    const Scale s = symmetric_scale(src, 8.0f);
    blocks[i].d = fp32_to_fp16(s.d);
    for (int j = 0; j < 16; ++j) {
      const int q0 = std::min(15, static_cast<int>(src[j] * s.id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(src[j + 16] * s.id + 8.5f));
      blocks[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void dequantize_q4_1(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kBlockElems; ++i, dst += kBlockElems) {
    const float d = fp16_to_fp32(blocks[i].d);
    const float m = fp16_to_fp32(blocks[i].m);
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>(blocks[i].qs[j] & 0x0F) * d + m;
      dst[j + 16] = static_cast<float>(blocks[i].qs[j] >> 4) * d + m;
    }
  }
}

void quantize_q4_1(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_1*>(dst);
  for (int64_t i = 0; i < n / kBlockElems; ++i, src += kBlockElems) {
    float min;
    const Scale s = asymmetric_scale(src, 15.0f, min);
    blocks[i].d = fp32_to_fp16(s.d);
    blocks[i].m = fp32_to_fp16(min);
    for (int j = 0; j < 16; ++j) {
      const int q0 = std::min(15, static_cast<int>((src[j] - min) * s.id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((src[j + 16] - min) * s.id + 0.5f));
      blocks[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void dequantize_q5_0(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_0*>(src);
  int q[kBlockElems];
  for (int64_t i = 0; i < n / kBlockElems; ++i, dst += kBlockElems) {
    const float d = fp16_to_fp32(blocks[i].d);
    unpack5(blocks[i], q);
    for (int j = 0; j < kBlockElems; ++j) dst[j] = static_cast<float>(q[j] - 16) * d;
  }
}

void quantize_q5_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_0*>(dst);
  int q[kBlockElems];
  for (int64_t i = 0; i < n / kBlockElems; ++i, src += kBlockElems) {
    const Scale s = symmetric_scale(src, 16.0f);
    blocks[i].d = fp32_to_fp16(s.d);
    for (int j = 0; j < kBlockElems; ++j) q[j] = std::min(31, static_cast<int>(src[j] * s.id + 16.5f));
    pack5(q, blocks[i]);
  }
}

void dequantize_q5_1(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ5_1*>(src);
  int q[kBlockElems];
  for (int64_t i = 0; i < n / kBlockElems; ++i, dst += kBlockElems) {
    const float d = fp16_to_fp32(blocks[i].d);
    const float m = fp16_to_fp32(blocks[i].m);
    unpack5(blocks[i], q);
    for (int j = 0; j < kBlockElems; ++j) dst[j] = static_cast<float>(q[j]) * d + m;
  }
}

void quantize_q5_1(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_1*>(dst);
  int q[kBlockElems];
  for (int64_t i = 0; i < n / kBlockElems; ++i, src += kBlockElems) {
    float min;
    const Scale s = asymmetric_scale(src, 31.0f, min);
    blocks[i].d = fp32_to_fp16(s.d);
    blocks[i].m = fp32_to_fp16(min);
    // ggml does not clamp here: (max - min) * id rounds to at most 31.
    for (int j = 0; j < kBlockElems; ++j) q[j] = static_cast<uint8_t>((src[j] - min) * s.id + 0.5f);
    pack5(q, blocks[i]);
  }
}

void dequantize_q8_0(const void* src, float* dst, int64_t n) { dequantize_q8<BlockQ8_0>(src, dst, n); }
void dequantize_q8_1(const void* src, float* dst, int64_t n) { dequantize_q8<BlockQ8_1>(src, dst, n); }

void quantize_q8_0(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kBlockElems; ++i, src += kBlockElems) {
    blocks[i].d = fp32_to_fp16(quantize_block_q8(src, blocks[i].qs));
  }
}

void quantize_q8_1(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kBlockElems; ++i, src += kBlockElems) {
    const float d = quantize_block_q8(src, blocks[i].qs);
    int sum = 0;
    for (int j = 0; j < kBlockElems; ++j) sum += blocks[i].qs[j];
    blocks[i].d = fp32_to_fp16(d);
    blocks[i].s = fp32_to_fp16(static_cast<float>(sum) * d);
  }
}

}  // namespace rocmforge::quant::rows
