// The GEMM kernels behind launch_gemm_t (included by the mm_<type>.cu
// instance files only): out[M tokens, N rows] = x[M, K] . w[N, K]^T.
//
// Both tensor-core kernels (CUDA) compute a kBM x 128 tile (tokens x weight
// rows) with 256 threads, 8 warps as 2 x 4, in k-steps of 128 bytes per row
// held in two shared-memory stages (one barrier per step; rows padded to 144
// bytes so ldmatrix reads hit distinct banks):
//  - gemm_q8_kernel, quantised weights: the weights' quants are unpacked to
//    signed bytes in shared memory and multiplied with the int8 activations
//    (Q8, the matvec path's format) by mma.sync m16n8k32; each 32-element
//    unit's integer sums are then scaled by d_w * d_a (plus m_w * s_a for the
//    types with a min), which is the CPU's arithmetic, so prefill and decode
//    agree with it alike. Types with a scale per 16 elements (Q2_K, Q3_K,
//    Q6_K) split each m16n8k32 into its two m16n8k16 halves, which read the
//    same fragments, and scale each half's sums with its own scale. The
//    packed weights of the next step are loaded into registers while the
//    current step computes.
//  - gemm_half_kernel, F16/BF16 weights: F16 (BF16) activations, as the CPU
//    uses, both operands by cp.async, mma.sync m16n8k16.
// gemm_portable_kernel is a plain shared-memory tiled f32 kernel, for F32
// weights, float rows that are not whole 32-element blocks, and the HIP
// build's float types; the HIP build's quantised types run the matvec
// kernels eight tokens at a time (same arithmetic as the CPU, slower).
#pragma once

#include <algorithm>

#include "backend/gpu/check.cuh"
#include "backend/gpu/kquant_types.cuh"
#include "backend/gpu/matmul.cuh"

namespace rocmforge::backend::gpu {

inline constexpr int kGemmThreads = 256;

template <int kBM, int kSubs = 1>
struct MmaTile {
  static constexpr int kBN = 128;
  static constexpr int kStepBytes = 128;       // bytes of each row per k-step
  static constexpr int kLd = kStepBytes + 16;  // bytes per shared row
  static constexpr int kBlocks = 4;            // 32-element units per k-step (int8 kernel)
  static constexpr int kTileBytes = (kBM + kBN) * kLd;
  static constexpr int kScaleBytes = (kBM + kBN) * kBlocks * kSubs * 8;  // a float2 per sub-block
  static constexpr int kTilesM = kBM / 2 / 16;  // m16 tiles per warp
  static constexpr int kTilesN = kBN / 4 / 8;   // n8 tiles per warp
};

namespace detail {

// Activation rows [m_base, m_base + kBM) of k-step kt: 128 bytes each, by cp.async; zeros past M or K.
template <int kBM>
__device__ __forceinline__ void mma_load_x(uint8_t* sa, const uint8_t* __restrict__ x, size_t x_stride,
                                           int64_t m_base, int64_t M, int64_t k_bytes, int64_t kt) {
  using Tile = MmaTile<kBM>;
  constexpr int kChunks = kBM * Tile::kStepBytes / 16;
  for (int c = threadIdx.x; c < kChunks; c += kGemmThreads) {
    const int r = c / (Tile::kStepBytes / 16);
    const int64_t byte = kt * Tile::kStepBytes + (c % (Tile::kStepBytes / 16)) * 16;
    uint8_t* dst = sa + r * Tile::kLd + (c % (Tile::kStepBytes / 16)) * 16;
    if (m_base + r < M && byte < k_bytes) {
      cp_async_16(dst, x + (m_base + r) * x_stride + byte);
    } else {
      *reinterpret_cast<uint4*>(dst) = make_uint4(0, 0, 0, 0);
    }
  }
}

// The fragments of one 16-wide k slice (at byte `kb`) of the warp's tiles.
template <int kBM>
__device__ __forceinline__ void mma_fragments(const uint8_t* sa, const uint8_t* sb, int kb, int i, int wm, int wn,
                                              int lane, uint32_t (&a)[4], uint32_t (&b)[MmaTile<kBM>::kTilesN][2]) {
  using Tile = MmaTile<kBM>;
  ldmatrix_x4(a, sa + (wm * (kBM / 2) + i * 16 + lane % 16) * Tile::kLd + kb + (lane / 16) * 16);
#pragma unroll
  for (int j = 0; j < Tile::kTilesN; j += 2) {
    uint32_t r[4];
    ldmatrix_x4(r, sb + (wn * (Tile::kBN / 4) + j * 8 + lane % 8 + (lane / 16) * 8) * Tile::kLd + kb +
                       ((lane / 8) % 2) * 16);
    b[j][0] = r[0];
    b[j][1] = r[1];
    b[j + 1][0] = r[2];
    b[j + 1][1] = r[3];
  }
}

template <int kBM>
__device__ __forceinline__ void mma_store(const float (&acc)[MmaTile<kBM>::kTilesM][MmaTile<kBM>::kTilesN][4],
                                          int64_t m_base, int64_t n_base, int64_t M, int64_t N, int wm, int wn,
                                          int lane, float* __restrict__ out, int64_t out_stride) {
  using Tile = MmaTile<kBM>;
#pragma unroll
  for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
    for (int j = 0; j < Tile::kTilesN; ++j) {
      const int64_t n = n_base + wn * (Tile::kBN / 4) + j * 8 + 2 * (lane % 4);
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t m = m_base + wm * (kBM / 2) + i * 16 + lane / 4 + 8 * h;
        if (m >= M) continue;
        if (n < N) out[m * out_stride + n] = acc[i][j][2 * h];
        if (n + 1 < N) out[m * out_stride + n + 1] = acc[i][j][2 * h + 1];
      }
    }
  }
}

// The activation side of a unit's sub-block scales, for gemm_unit's
// (scale, min) pairs: (d_a, s_a) with s_a = d_a * (sum of the sub-block's quants).
template <ActFormat F, int kSubs>
__device__ __forceinline__ void act_unit_scales(float2 ds, float2* out) {
  if constexpr (F == ActFormat::kQ8K) {
    const int2 sums = q8k_sums(ds);
    if constexpr (kSubs == 2) {
      out[0] = make_float2(ds.x, ds.x * static_cast<float>(sums.x));
      out[1] = make_float2(ds.x, ds.x * static_cast<float>(sums.y));
    } else {
      out[0] = make_float2(ds.x, ds.x * static_cast<float>(sums.x + sums.y));
    }
  } else {
    static_assert(kSubs == 1, "the 32-element formats have one scale per unit");
    out[0] = ds;  // (d, s): only the types with a min read s, and theirs is Q8_1's
  }
}

}  // namespace detail

template <gguf::GgmlType T, int kBM>
__global__ void __launch_bounds__(kGemmThreads) gemm_q8_kernel(const uint8_t* __restrict__ w,  // [N, w_stride]
                                                               size_t w_stride, int64_t N, int64_t K,
                                                               const uint8_t* __restrict__ xq,  // [M, x_stride] int8
                                                               const float2* __restrict__ xds,  // [M, K / 32]
                                                               size_t x_stride, int64_t M,
                                                               float* __restrict__ out,  // [M, out_stride] per split
                                                               int64_t out_stride, GemmSplit split) {
  using W = WeightType<T>;
  constexpr int kSubs = W::kSubs;
  using Tile = MmaTile<kBM, kSubs>;
  constexpr bool kMin = W::kHasMin;
  constexpr int kStage = Tile::kTileBytes + Tile::kScaleBytes;
  extern __shared__ uint4 gemm_smem[];
  uint8_t* smem = reinterpret_cast<uint8_t*>(gemm_smem);
  // Stage layout: activations [kBM][kLd], weights [128][kLd], activation (d, s) [kBM][4][kSubs],
  // weight (d, m) [128][4][kSubs].
  auto x_scales = [&](uint8_t* stage) { return reinterpret_cast<float2*>(stage + Tile::kTileBytes); };
  auto w_scales = [&](uint8_t* stage) { return x_scales(stage) + kBM * Tile::kBlocks * kSubs; };

  const int64_t n_base = static_cast<int64_t>(blockIdx.x) * Tile::kBN;
  const int64_t m_base = static_cast<int64_t>(blockIdx.y) * kBM;
  const int warp = threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  const int wm = warp % 2;
  const int wn = warp / 2;
  const int64_t nb = K / kQuantBlock;
  const int64_t kt_begin = static_cast<int64_t>(blockIdx.z) * split.steps;
  const int64_t kt_end = min((nb + Tile::kBlocks - 1) / Tile::kBlocks, kt_begin + split.steps);
  out += static_cast<int64_t>(blockIdx.z) * split.out_offset;

  // Each thread owns two blocks of the weight tile per step: row br, blocks bk and bk + 1.
  const int br = threadIdx.x / 2;
  const int bk = (threadIdx.x % 2) * 2;
  const int64_t w_row = n_base + br;
  const uint8_t* w_ptr = w + (w_row < N ? w_row : 0) * w_stride;
  decltype(W::load(w_ptr, nb, 0)) pending[2];

  auto fetch_w = [&](int64_t kt) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int64_t b = kt * Tile::kBlocks + bk + i;
      if (w_row < N && b < nb) pending[i] = W::load(w_ptr, nb, b);
    }
  };
  auto store_w = [&](uint8_t* stage, int64_t kt) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int64_t b = kt * Tile::kBlocks + bk + i;
      const bool valid = w_row < N && b < nb;
      uint32_t q[8] = {};
      float2 sc[kSubs] = {};
      if (valid) W::gemm_unit(pending[i], q, sc);
      uint4* row = reinterpret_cast<uint4*>(stage + kBM * Tile::kLd + br * Tile::kLd + (bk + i) * kQuantBlock);
      row[0] = make_uint4(q[0], q[1], q[2], q[3]);
      row[1] = make_uint4(q[4], q[5], q[6], q[7]);
#pragma unroll
      for (int t = 0; t < kSubs; ++t) w_scales(stage)[(br * Tile::kBlocks + bk + i) * kSubs + t] = sc[t];
    }
  };
  auto load_x = [&](uint8_t* stage, int64_t kt) {
    detail::mma_load_x<kBM>(stage, xq, x_stride, m_base, M, K, kt);
    for (int e = threadIdx.x; e < kBM * Tile::kBlocks; e += kGemmThreads) {
      const int r = e / Tile::kBlocks;
      const int64_t b = kt * Tile::kBlocks + e % Tile::kBlocks;
      const float2 ds = m_base + r < M && b < nb ? xds[(m_base + r) * nb + b] : make_float2(0.0f, 0.0f);
      detail::act_unit_scales<act_format_of(T), kSubs>(ds, x_scales(stage) + e * kSubs);
    }
  };

  float acc[Tile::kTilesM][Tile::kTilesN][4] = {};
  load_x(smem, kt_begin);
  fetch_w(kt_begin);
  store_w(smem, kt_begin);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();

  for (int64_t kt = kt_begin; kt < kt_end; ++kt) {
    uint8_t* cur = smem + ((kt - kt_begin) % 2) * kStage;
    uint8_t* nxt = smem + ((kt - kt_begin + 1) % 2) * kStage;
    const bool more = kt + 1 < kt_end;
    if (more) {
      load_x(nxt, kt + 1);
      fetch_w(kt + 1);
      cp_async_commit();
    }
    const float2* xs = x_scales(cur);
    const float2* ws = w_scales(cur);
#pragma unroll 1  // keeps the block to one 256-thread group's registers without spills
    for (int blk = 0; blk < Tile::kBlocks; ++blk) {
      float2 wd[Tile::kTilesN][2][kSubs];
#pragma unroll
      for (int j = 0; j < Tile::kTilesN; ++j) {
        const int n = wn * (Tile::kBN / 4) + j * 8 + 2 * (lane % 4);
#pragma unroll
        for (int t = 0; t < kSubs; ++t) {
          wd[j][0][t] = ws[(n * Tile::kBlocks + blk) * kSubs + t];
          wd[j][1][t] = ws[((n + 1) * Tile::kBlocks + blk) * kSubs + t];
        }
      }
#pragma unroll
      for (int i = 0; i < Tile::kTilesM; ++i) {
        uint32_t a[4];
        uint32_t b[Tile::kTilesN][2];
        detail::mma_fragments<kBM>(cur, cur + kBM * Tile::kLd, blk * kQuantBlock, i, wm, wn, lane, a, b);
        const int m = wm * (kBM / 2) + i * 16 + lane / 4;
        float2 xd[2][kSubs];
#pragma unroll
        for (int t = 0; t < kSubs; ++t) {
          xd[0][t] = xs[(m * Tile::kBlocks + blk) * kSubs + t];
          xd[1][t] = xs[((m + 8) * Tile::kBlocks + blk) * kSubs + t];
        }
#pragma unroll
        for (int j = 0; j < Tile::kTilesN; ++j) {
          int c[kSubs][4] = {};
          if constexpr (kSubs == 1) {
            mma_s8_16x8x32(c[0], a, b[j]);
          } else {
            mma_s8_16x8x16(c[0], {a[0], a[1]}, b[j][0]);
            mma_s8_16x8x16(c[1], {a[2], a[3]}, b[j][1]);
          }
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            float v = 0.0f;
#pragma unroll
            for (int t = 0; t < kSubs; ++t) {
              const float2 xv = xd[e / 2][t];
              const float2 wv = wd[j][e % 2][t];
              v += static_cast<float>(c[t][e]) * (wv.x * xv.x);
              if constexpr (kMin) v += wv.y * xv.y;
            }
            acc[i][j][e] += v;
          }
        }
      }
    }
    if (more) store_w(nxt, kt + 1);
    cp_async_wait<0>();
    __syncthreads();
  }
  detail::mma_store<kBM>(acc, m_base, n_base, M, N, wm, wn, lane, out, out_stride);
}

template <gguf::GgmlType T, int kBM>
__global__ void __launch_bounds__(kGemmThreads) gemm_half_kernel(const uint8_t* __restrict__ w,  // [N, w_stride]
                                                                 size_t w_stride, int64_t N, int64_t K,
                                                                 const uint8_t* __restrict__ x,  // [M, x_stride]
                                                                 size_t x_stride, int64_t M,
                                                                 float* __restrict__ out,  // [M, out_stride]
                                                                 int64_t out_stride, GemmSplit split) {
  using Tile = MmaTile<kBM>;
  constexpr bool kBf16 = T == gguf::GgmlType::kBF16;
  extern __shared__ uint4 gemm_smem[];
  uint8_t* smem = reinterpret_cast<uint8_t*>(gemm_smem);
  const int64_t n_base = static_cast<int64_t>(blockIdx.x) * Tile::kBN;
  const int64_t m_base = static_cast<int64_t>(blockIdx.y) * kBM;
  const int warp = threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  const int wm = warp % 2;
  const int wn = warp / 2;
  const int64_t k_bytes = K * 2;
  const int64_t kt_begin = static_cast<int64_t>(blockIdx.z) * split.steps;
  const int64_t kt_end = min((k_bytes + Tile::kStepBytes - 1) / Tile::kStepBytes, kt_begin + split.steps);
  out += static_cast<int64_t>(blockIdx.z) * split.out_offset;
  // The weight rows [n_base, n_base + 128) load like activation rows.
  auto load = [&](uint8_t* stage, int64_t kt) {
    detail::mma_load_x<kBM>(stage, x, x_stride, m_base, M, k_bytes, kt);
    detail::mma_load_x<Tile::kBN>(stage + kBM * Tile::kLd, w, w_stride, n_base, N, k_bytes, kt);
  };

  float acc[Tile::kTilesM][Tile::kTilesN][4] = {};
  load(smem, kt_begin);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
  for (int64_t kt = kt_begin; kt < kt_end; ++kt) {
    uint8_t* cur = smem + ((kt - kt_begin) % 2) * Tile::kTileBytes;
    if (kt + 1 < kt_end) {
      load(smem + ((kt - kt_begin + 1) % 2) * Tile::kTileBytes, kt + 1);
      cp_async_commit();
    }
#pragma unroll
    for (int kb = 0; kb < Tile::kStepBytes; kb += 32) {  // 16 halves
#pragma unroll
      for (int i = 0; i < Tile::kTilesM; ++i) {
        uint32_t a[4];
        uint32_t b[Tile::kTilesN][2];
        detail::mma_fragments<kBM>(cur, cur + kBM * Tile::kLd, kb, i, wm, wn, lane, a, b);
#pragma unroll
        for (int j = 0; j < Tile::kTilesN; ++j) {
          if constexpr (kBf16) {
            mma_bf16_16x8x16(acc[i][j], a, b[j]);
          } else {
            mma_f16_16x8x16(acc[i][j], a, b[j]);
          }
        }
      }
    }
    cp_async_wait<0>();
    __syncthreads();
  }
  detail::mma_store<kBM>(acc, m_base, n_base, M, N, wm, wn, lane, out, out_stride);
}

inline constexpr int kPortableTile = 64;
inline constexpr int kPortableK = 32;

// 64 x 64 tiles, k-steps of 32, 4 x 4 outputs per thread, f32 sums (float
// weight types; activations in the weight's own type, as the CPU reads them).
template <gguf::GgmlType T>
__global__ void __launch_bounds__(kGemmThreads)
    gemm_portable_kernel(const uint8_t* __restrict__ w,  // [N, w_stride]
                         size_t w_stride, int64_t N, int64_t K,
                         const uint8_t* __restrict__ x,  // [M, x_stride bytes] of T's element type
                         size_t x_stride, int64_t M,
                         float* __restrict__ out,  // [M, out_stride]
                         int64_t out_stride) {
  using W = WeightType<T>;
  __shared__ float sx[kPortableK][kPortableTile + 1];
  __shared__ float sw[kPortableK][kPortableTile + 1];
  const int64_t n_base = static_cast<int64_t>(blockIdx.x) * kPortableTile;
  const int64_t m_base = static_cast<int64_t>(blockIdx.y) * kPortableTile;
  const int tm = threadIdx.x / 16;
  const int tn = threadIdx.x % 16;
  float acc[4][4] = {};
  for (int64_t k0 = 0; k0 < K; k0 += kPortableK) {
    for (int e = threadIdx.x; e < kPortableTile * kPortableK; e += kGemmThreads) {
      const int r = e / kPortableK;
      const int k = e % kPortableK;
      sx[k][r] = m_base + r < M && k0 + k < K ? W::elem(x + (m_base + r) * x_stride, k0 + k) : 0.0f;
      sw[k][r] = n_base + r < N && k0 + k < K ? W::elem(w + (n_base + r) * w_stride, k0 + k) : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int k = 0; k < kPortableK; ++k) {
      float a[4];
      float b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        a[i] = sx[k][tm * 4 + i];
        b[i] = sw[k][tn * 4 + i];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m_base + tm * 4 + i;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n_base + tn * 4 + j;
      if (n < N) out[m * out_stride + n] = acc[i][j];
    }
  }
}

template <class Kernel>
Status launch_mma(Kernel kernel, int bm, int smem, const WeightView& w, int64_t n_tokens, int splits,
                  rt::Stream stream, const auto&... args) {
  RF_TRY(RF_GPU_CHECK(rt::allow_dynamic_smem(kernel, smem)));
  const dim3 grid(static_cast<unsigned>((w.rows + MmaTile<64>::kBN - 1) / MmaTile<64>::kBN),
                  static_cast<unsigned>((n_tokens + bm - 1) / bm), static_cast<unsigned>(splits));
  kernel<<<grid, kGemmThreads, smem, stream>>>(args...);
  return check_launch("gemm mma kernel");
}

template <gguf::GgmlType T>
Status launch_gemm_t(const GemmArgs& g, rt::Stream stream) {
  constexpr bool kQuant = block_regions(T).qs != 0;
  const WeightView& w = g.w;
  const ActView& x = g.x;
  const int64_t n = g.n_tokens;
  // With a split, each slice of K writes its own partial product; launch_gemm sums them.
  float* out = g.splits > 1 ? g.partial : g.out;
  const int64_t out_stride = g.splits > 1 ? w.rows : g.out_stride;
  const GemmSplit split{gemm_split_steps(w, g.splits), g.splits > 1 ? n * w.rows : 0};
  if constexpr (kQuant) {
    if constexpr (kHasMma) {
      constexpr int kSubs = WeightType<T>::kSubs;
      constexpr int kSmem64 = 2 * (MmaTile<64, kSubs>::kTileBytes + MmaTile<64, kSubs>::kScaleBytes);
      constexpr int kSmem128 = 2 * (MmaTile<128, kSubs>::kTileBytes + MmaTile<128, kSubs>::kScaleBytes);
      if (n <= 64) {
        return launch_mma(gemm_q8_kernel<T, 64>, 64, kSmem64, w, n, g.splits, stream, w.data, w.stride, w.rows, w.cols,
                          x.q, x.ds, x.stride, n, out, out_stride, split);
      }
      return launch_mma(gemm_q8_kernel<T, 128>, 128, kSmem128, w, n, g.splits, stream, w.data, w.stride, w.rows,
                        w.cols, x.q, x.ds, x.stride, n, out, out_stride, split);
    } else {
      // No tensor cores in this build: the matrix-vector kernels, kMatvecMaxTokens tokens at a time.
      for (int64_t t = 0; t < n; t += kMatvecMaxTokens) {
        const int64_t rows = std::min(kMatvecMaxTokens, n - t);
        const ActView part_x{x.format, x.q + t * x.stride, x.ds + t * (w.cols / kQuantBlock), x.stride};
        const MatvecPart part{w, g.out + t * g.out_stride, g.out_stride};
        RF_TRY(launch_matvec(std::span<const MatvecPart>(&part, 1), part_x, rows, stream));
      }
      return ok();
    }
  } else {
    if (!gemm_on_tensor_cores(w)) {
      const dim3 grid(static_cast<unsigned>((w.rows + kPortableTile - 1) / kPortableTile),
                      static_cast<unsigned>((n + kPortableTile - 1) / kPortableTile));
      gemm_portable_kernel<T><<<grid, kGemmThreads, 0, stream>>>(w.data, w.stride, w.rows, w.cols, x.q, x.stride, n,
                                                                 g.out, g.out_stride);
      return check_launch("gemm_portable_kernel");
    }
    if constexpr (kHasMma && T != gguf::GgmlType::kF32) {
      if (n <= 64) {
        return launch_mma(gemm_half_kernel<T, 64>, 64, 2 * MmaTile<64>::kTileBytes, w, n, g.splits, stream, w.data,
                          w.stride, w.rows, w.cols, x.q, x.stride, n, out, out_stride, split);
      }
      return launch_mma(gemm_half_kernel<T, 128>, 128, 2 * MmaTile<128>::kTileBytes, w, n, g.splits, stream, w.data,
                        w.stride, w.rows, w.cols, x.q, x.stride, n, out, out_stride, split);
    }
    return RF_ERROR(kInternal, "no GEMM kernel for {} weights in this build", gguf::ggml_type_name(T));
  }
}

}  // namespace rocmforge::backend::gpu
