// BF16 x BF16 dot tiles with AVX512_BF16's vdpbf16ps (pairs of bf16 products
// summed into fp32 lanes, as ggml_vec_dot_bf16 and tinyBLAS do on such CPUs).
// Built with -mavx512bf16 on top of the AVX-512 flags and called only where
// the CPU has it; see isa_kernels.h for what this file may include.
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
  static constexpr int kStep = 32, kAccRegs = 1, kRegs = 32;
  static Acc zero() { return _mm512_setzero_ps(); }
  static Vec load(const uint8_t* row, int64_t i) { return reinterpret_cast<Vec>(_mm512_loadu_si512(row + 2 * i)); }
  static Acc madd(Acc acc, Vec w, Vec a) { return _mm512_dpbf16_ps(acc, w, a); }
  static Acc add(Acc x, Acc y) { return _mm512_add_ps(x, y); }
  static float reduce(Acc acc) { return hsum16(acc); }
  static double vec_dot_sum(const Acc (&c)[2]) { return bf16_vec_dot_sum(c); }
  static float tail(double sum, const uint8_t* w, const uint8_t* a, int64_t from, int64_t n) {
    return double_tail<bf16_at>(sum, w, a, from, n);
  }
};

}  // namespace

DotTileFn avx512_bf16_dot_tile(Routes routes) { return tile_for_set<FloatSet<Bf16Pairs>>(routes); }

}  // namespace rocmforge::quant::detail
