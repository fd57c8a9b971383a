// Scalar dot tiles: ggml's generic vec_dot_* arithmetic (integer sums within a
// block, float across blocks; float types summed in double), one row pair at
// a time. The kernels every SIMD level is tested against.
#include <cstring>
#include <type_traits>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/isa_kernels.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

uint16_t half_bits(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return h;
}

// Weight formats: quants(block, q) writes the 32 signed quants (bias removed).
struct Q4_0W {
  using Block = BlockQ4_0;
  static constexpr bool kMin = false;
  static void quants(const Block& b, int* q) {
    for (int j = 0; j < 16; ++j) {
      q[j] = (b.qs[j] & 0x0F) - 8;
      q[j + 16] = (b.qs[j] >> 4) - 8;
    }
  }
};

struct Q4_1W {
  using Block = BlockQ4_1;
  static constexpr bool kMin = true;
  static void quants(const Block& b, int* q) {
    for (int j = 0; j < 16; ++j) {
      q[j] = b.qs[j] & 0x0F;
      q[j + 16] = b.qs[j] >> 4;
    }
  }
};

template <class Block>
void quants5(const Block& b, int bias, int* q) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, sizeof(qh));
  for (int j = 0; j < 16; ++j) {
    q[j] = ((b.qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1) << 4)) - bias;
    q[j + 16] = ((b.qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4)) - bias;
  }
}

struct Q5_0W {
  using Block = BlockQ5_0;
  static constexpr bool kMin = false;
  static void quants(const Block& b, int* q) { quants5(b, 16, q); }
};

struct Q5_1W {
  using Block = BlockQ5_1;
  static constexpr bool kMin = true;
  static void quants(const Block& b, int* q) { quants5(b, 0, q); }
};

struct Q8_0W {
  using Block = BlockQ8_0;
  static constexpr bool kMin = false;
  static void quants(const Block& b, int* q) {
    for (int j = 0; j < kBlockElems; ++j) q[j] = b.qs[j];
  }
};

// Activation: Q8_1 when the weights have a min (the dot needs its s), else Q8_0.
template <class W>
using ActBlock = std::conditional_t<W::kMin, BlockQ8_1, BlockQ8_0>;

template <class W>
float quant_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  using A = ActBlock<W>;
  float sum = 0.0f;
  int q[kBlockElems];
  for (int64_t b = 0; b < n / kBlockElems; ++b) {
    typename W::Block wb;
    A ab;
    std::memcpy(&wb, w + b * sizeof(wb), sizeof(wb));
    std::memcpy(&ab, a + b * sizeof(ab), sizeof(ab));
    W::quants(wb, q);
    int sumi = 0;
    for (int j = 0; j < kBlockElems; ++j) sumi += q[j] * ab.qs[j];
    sum += fp16_to_fp32(wb.d) * fp16_to_fp32(ab.d) * static_cast<float>(sumi);
    if constexpr (W::kMin) sum += fp16_to_fp32(wb.m) * fp16_to_fp32(ab.s);
  }
  return sum;
}

float f32_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    float x, y;
    std::memcpy(&x, w + 4 * i, 4);
    std::memcpy(&y, a + 4 * i, 4);
    sum += static_cast<double>(x * y);
  }
  return static_cast<float>(sum);
}

template <float (*kToFloat)(uint16_t)>
float half_dot(int64_t n, const uint8_t* w, const uint8_t* a) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(kToFloat(half_bits(w + 2 * i)) * kToFloat(half_bits(a + 2 * i)));
  return static_cast<float>(sum);
}

float fp16_value(uint16_t h) { return fp16_to_fp32(h); }
float bf16_value(uint16_t h) { return bf16_to_fp32(h); }

template <float (*kDot)(int64_t, const uint8_t*, const uint8_t*)>
struct Pairwise {
  template <int R, int C>
  struct Tile {
    static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) out[r * os + c] = kDot(n, w + r * ws, a + c * as);
      }
    }
  };
};

template <float (*kDot)(int64_t, const uint8_t*, const uint8_t*), int R, int C>
using PairwiseTile = typename Pairwise<kDot>::template Tile<R, C>;

struct Kernels {
  template <int R, int C>
  using F32 = PairwiseTile<f32_dot, R, C>;
  template <int R, int C>
  using F16 = PairwiseTile<half_dot<fp16_value>, R, C>;
  template <int R, int C>
  using BF16 = PairwiseTile<half_dot<bf16_value>, R, C>;
  template <int R, int C>
  using Q4_0 = PairwiseTile<quant_dot<Q4_0W>, R, C>;
  template <int R, int C>
  using Q4_1 = PairwiseTile<quant_dot<Q4_1W>, R, C>;
  template <int R, int C>
  using Q5_0 = PairwiseTile<quant_dot<Q5_0W>, R, C>;
  template <int R, int C>
  using Q5_1 = PairwiseTile<quant_dot<Q5_1W>, R, C>;
  template <int R, int C>
  using Q8_0 = PairwiseTile<quant_dot<Q8_0W>, R, C>;
};

}  // namespace

DotTileFn scalar_dot_tile(gguf::GgmlType weight_type) { return tile_for_type<Kernels>(weight_type); }

}  // namespace rocmforge::quant::detail
