// The GEMM kernels behind launch_gemm_t (included by the mm_<type>.cu
// instance files only): out[M tokens, N rows] = x[M, K] . w[N, K]^T.
//
// Tensor-core kernels (CUDA):
//  - gemm_q8_kernel (gemm_q8_kernel.cuh), quantised weights, for the 3..127
//    tokens of batched decode (from 128 the BLAS takes over, dense_gemm.cuh;
//    in batch-invariant mode it takes every token count of the types that
//    the GEMM on F16 activations, gemm_a16.cuh, does not):
//    blocks of 64 or 128 weight rows by 8 to 64 tokens; int8 activations (Q8,
//    the matvec path's format), mma.sync m16n8k32 integer sums per
//    32-element unit scaled as the CPU does, so decode agrees with it.
//  - gemm_half_kernel, F16/BF16 weights: a kBM x 128 tile (tokens x weight
//    rows) with 256 threads, 8 warps as 2 x 4, in k-steps of 128 bytes per
//    row held in two shared-memory stages (rows padded to 144 bytes so
//    ldmatrix reads hit distinct banks); F16 (BF16) activations, as the CPU
//    uses, both operands by cp.async, mma.sync m16n8k16.
// gemm_portable_kernel is a plain shared-memory tiled f32 kernel, for F32
// weights, float rows that are not whole 32-element blocks, and the HIP
// build's float types; the HIP build's quantised types run the matvec
// kernels eight tokens at a time (same arithmetic as the CPU, slower).
#pragma once

#include <algorithm>

#include "backend/gpu/check.cuh"
#include "backend/gpu/gemm_q8_kernel.cuh"
#include "backend/gpu/matmul.cuh"

namespace rocmforge::backend::gpu {

inline constexpr int kGemmThreads = 256;

template <int kBM>
struct MmaTile {
  static constexpr int kBN = 128;
  static constexpr int kStepBytes = 128;       // bytes of each row per k-step
  static constexpr int kLd = kStepBytes + 16;  // bytes per shared row
  static constexpr int kTileBytes = (kBM + kBN) * kLd;
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

}  // namespace detail

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
  const WeightView& w = g.parts[0].w;
  const ActView& x = g.x;
  const int64_t n = g.n_tokens;
  if constexpr (kQuant) {
    if constexpr (kHasMma) {
      switch (q8_gemm_tokens(n)) {
        case 8:
          return launch_q8<T, 8>(g, stream);
        case 16:
          return launch_q8<T, 16>(g, stream);
        case 32:
          return launch_q8<T, 32>(g, stream);
        default:
          return launch_q8<T, 64>(g, stream);
      }
    } else {
      // No tensor cores in this build: the matrix-vector kernels, kMatvecMaxTokens tokens at a time.
      for (int i = 0; i < g.n_parts; ++i) RF_TRY(launch_matvec_chunks(g.parts[i], x, n, stream));
      return ok();
    }
  } else {
    // With a split, each slice of K writes its own partial product; launch_gemm sums them.
    float* out = g.splits > 1 ? g.partial : g.parts[0].out;
    const int64_t out_stride = g.splits > 1 ? w.rows : g.parts[0].out_stride;
    const GemmSplit split{gemm_split_steps(w, g.splits), g.splits > 1 ? n * w.rows : 0};
    if (!gemm_on_tensor_cores(w)) {
      const dim3 grid(static_cast<unsigned>((w.rows + kPortableTile - 1) / kPortableTile),
                      static_cast<unsigned>((n + kPortableTile - 1) / kPortableTile));
      gemm_portable_kernel<T><<<grid, kGemmThreads, 0, stream>>>(w.data, w.stride, w.rows, w.cols, x.q, x.stride, n,
                                                                 g.parts[0].out, g.parts[0].out_stride);
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
