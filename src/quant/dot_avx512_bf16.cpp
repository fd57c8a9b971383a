// BF16 x BF16 dot tiles with AVX512_BF16's vdpbf16ps (pairs of bf16 products
// summed into fp32 lanes, as ggml_vec_dot_bf16 does on such CPUs). Built with
// -mavx512bf16 on top of the AVX-512 flags and called only where the CPU has
// it; see isa_kernels.h for what this file may include.
#include <immintrin.h>

#include "quant/avx512_common.h"
#include "quant/float_tile.h"
#include "quant/isa_kernels.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

struct Bf16Pairs {
  using Vec = __m512bh;
  using Acc = __m512;
  static constexpr int kWidth = 32, kMaxAcc = 16;
  static Acc zero() { return _mm512_setzero_ps(); }
  static Vec load(const uint8_t* row, int64_t i) { return reinterpret_cast<Vec>(_mm512_loadu_si512(row + 2 * i)); }
  static Vec load_partial(const uint8_t* row, int64_t i, int64_t count) {
    return reinterpret_cast<Vec>(_mm512_maskz_loadu_epi16(first32(count), row + 2 * i));
  }
  static Acc fma(Acc acc, Vec w, Vec a) { return _mm512_dpbf16_ps(acc, w, a); }
  static Acc add(Acc x, Acc y) { return _mm512_add_ps(x, y); }
  static float sum(Acc acc) { return hsum16(acc); }
};

template <int R, int C>
using Bf16Tile = FloatTile<Bf16Pairs, R, C>;

}  // namespace

DotTileFn avx512_bf16_dot_tile() { return tile_by_shape<Bf16Tile>; }

}  // namespace rocmforge::quant::detail
