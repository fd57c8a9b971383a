// gemm_q8_kernel, the quantised weights' tensor-core GEMM (gemm_kernel.cuh
// says where it is used), and its launch.
//
// A block takes q8_gemm_rows(kTokens) weight rows (64 up to 32 tokens, 128
// for 64) by kTokens tokens (8, 16, 32 or 64), each of its 4 warps one or
// two m16 tiles of the rows by all the tokens, so each weight is unpacked
// once per block and each byte of it read once per kTokens tokens. Up to
// kMaxMatvecParts weights over the same activations share a launch, their
// row tiles one after another in grid.y; slices of K (grid.z) write partial
// sums that the tile's last block adds in slice order. A pipeline of
// kStages shared-memory stages (2 to 4, as many as leave room for
// q8_gemm_blocks_per_sm blocks a multiprocessor) holds 256-element k-steps,
// all copied by cp.async so that every load is kStages - 1 steps ahead: the
// weight rows' packed bytes, the int8 activations and their (d, s) pairs.
// Each lane unpacks its own A fragment words from the packed rows
// (gemm_q8_rows.cuh) and takes the activations' B fragments by ldmatrix;
// mma.sync sums each 32-element unit in integers.
//
// The CPU's arithmetic, per unit and output: d_w * d_a * sum((q_w - offset)
// * q_a) + m_w * s_a. The integer sums start at kMagicBits - offset *
// sum(q_a) (one start per token), so they take the offset off and come out
// as the float kMagic + sum; fma(f, d_w, -kMagic * d_w) is sum * d_w rounded
// once (kMagic * d_w is exact: d_w, an f16 times a small integer, has few
// significant bits), then one fma adds its product with d_a: two FMAs an
// output and unit, no int-to-float conversion (a quarter-rate instruction).
#pragma once

#include <algorithm>

#include "backend/gpu/check.cuh"
#include "backend/gpu/gemm_pipeline.cuh"
#include "backend/gpu/gemm_q8_rows.cuh"
#include "backend/gpu/gemm_split.cuh"

namespace rocmforge::backend::gpu {

// Shared memory a multiprocessor holds for blocks on sm_90 (less 1 KB each).
inline constexpr int kQ8SmemPerSm = 224 * 1024;
// 32-element units per k-step.
inline constexpr int kQ8Units = static_cast<int>(kQ8GemmStep / kQuantBlock);

// gemm_q8_kernel's block for kTokens tokens: kWarps warps, each kTilesM m16
// tiles of weight rows by all the tokens, and its shared memory per pipeline
// stage: the staged weight rows, the activation rows, and the activations'
// (d, s) pairs.
template <gguf::GgmlType T, int kTokens>
struct Q8Tile {
  using Rows = Q8Rows<T>;
  // 4 warps of two m16 tiles at 64 tokens (bench/RESULTS-gpu-runs-1-14.md,
  // run 11); of one up to 32, twice the blocks for a decode step's few
  // tokens (with joined parts, Q4_0 at 8 sequences +18%: bench/RESULTS-gpu-runs-107-124.md, run 109).
  static constexpr int kRows = static_cast<int>(q8_gemm_rows(kTokens));
  static constexpr int kTilesM = kRows / 64;
  static constexpr int kWarps = kRows / (16 * kTilesM);
  static constexpr int kThreads = kWarps * kWarpSize;
  static constexpr int kTilesN = kTokens / 8;
  static_assert(kWarps * kTilesM * 16 == kRows, "the warps cover the rows");
  static_assert(kTilesN == 1 || kTilesN % 2 == 0, "ldmatrix_x4 loads two n8 tiles, ldmatrix_x2 a single one");
  static constexpr int kLda = static_cast<int>(kQ8GemmStep) + 16;  // ldmatrix's 8 rows hit distinct banks
  // A token's step of (d, s) pairs, 64 bytes; 80 apart, so that the 4
  // tokens 2t a warp reads at once sit in distinct banks.
  static constexpr int kLdd = 80;
  static constexpr int kWBytes = kRows * Rows::kBytes;
  static constexpr int kABytes = kTokens * kLda;
  static constexpr int kStage = kWBytes + kABytes + kTokens * kLdd;
  static constexpr int kStages = std::clamp(kQ8SmemPerSm / q8_gemm_blocks_per_sm(kTokens) / kStage, 2, 4);
  static constexpr int kSmem = kStages * kStage;
  // Units unrolled: all 8 (the next unit's loads overlap this one's
  // arithmetic) unless the accumulators of 64 tokens leave too few
  // registers: then 2 for the types of one scale per unit and no min (242
  // registers for Q4_0, two blocks a multiprocessor still), 1 for the rest
  // (Q6_K spills at 2).
  static constexpr int kUnroll = kTokens < 64 ? kQ8Units : Rows::kSubs == 1 && !Rows::kMin ? 2 : 1;
};

// What the kernel reads: the parts' row tiles one after another in grid.y.
struct Q8Launch {
  GemmPart parts[kMaxMatvecParts];
  int n_parts;
  int64_t K;
  const uint8_t* xq;   // [M, x_stride] int8
  const float2* xds;   // [M, K / 32]
  size_t x_stride;
  int64_t M;
  int64_t slice_steps;
  float4* partial;     // [row tiles * token tiles, slices, kTilesM * kTilesN, kThreads] (slices > 1)
  uint32_t* counters;  // [row tiles * token tiles] (slices > 1)
  bool rotate;         // GemmArgs::rotate
};

namespace detail {

// A unit's activation scales for the weight type, from its (d, s) pair: d_a,
// and per sub-block kMagicBits - offset * sum(q_a) (as a float's bits: where
// the integer sums start, to take the weights' offset off) for the offset
// types, or d_a * sum(q_a) for the min term of the types with a min.
template <gguf::GgmlType T>
struct ActUnit {
  float d;
  float r[Q8Rows<T>::kSubs];
};
template <gguf::GgmlType T>
__device__ __forceinline__ ActUnit<T> act_unit(float2 ds) {
  using Rows = Q8Rows<T>;
  constexpr ActFormat kFormat = act_format_of(T);
  ActUnit<T> a;
  a.d = ds.x;
  a.r[0] = 0.0f;
  if constexpr (kFormat == ActFormat::kQ8S) {
    a.r[0] = ds.y;  // the min types: d_a * sum(q_a), rounded as the CPU's Q8_1
  } else if constexpr (kFormat == ActFormat::kQ8) {
    if constexpr (Rows::kOffset != 0) a.r[0] = fmaf(-static_cast<float>(Rows::kOffset), ds.y, kMagic);  // ds.y: the sum
  } else {
    static_assert(kFormat == ActFormat::kQ8K);
    const int2 s = q8k_sums(ds);
    const int sums[2] = {Rows::kSubs == 2 ? s.x : s.x + s.y, s.y};
#pragma unroll
    for (int h = 0; h < Rows::kSubs; ++h) {
      a.r[h] = 0.0f;
      if constexpr (Rows::kOffset != 0) a.r[h] = __int_as_float(kMagicBits - Rows::kOffset * sums[h]);
      if constexpr (Rows::kMin) a.r[h] = ds.x * small_float(sums[h]);
    }
  }
  return a;
}

}  // namespace detail

// out[m, n] for the block's Tile::kRows rows (blockIdx.y) and kTokens tokens
// (blockIdx.x), over the k-steps of slice blockIdx.z.
template <gguf::GgmlType T, int kTokens>
__global__ void __launch_bounds__((Q8Tile<T, kTokens>::kThreads)) gemm_q8_kernel(Q8Launch a) {
  using Tile = Q8Tile<T, kTokens>;
  using Rows = typename Tile::Rows;
  constexpr int kSubs = Rows::kSubs;
  extern __shared__ uint4 gemm_smem[];
  uint8_t* smem = reinterpret_cast<uint8_t*>(gemm_smem);
  __shared__ bool last_slice;

  const GemmPart& part = a.parts[gemm_part(a.parts, a.n_parts)];
  const uint8_t* __restrict__ w = part.w;
  const size_t w_stride = part.w_stride;
  const int64_t N = part.rows;
  float* __restrict__ out = part.out;
  const int64_t out_stride = part.out_stride;
  const int64_t K = a.K;
  const int64_t M = a.M;
  const uint8_t* __restrict__ xq = a.xq;
  const float2* __restrict__ xds = a.xds;
  const size_t x_stride = a.x_stride;

  const int tid = static_cast<int>(threadIdx.x);
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * kTokens;
  const int64_t n_base = (static_cast<int64_t>(blockIdx.y) - part.first_tile) * Tile::kRows;
  const int warp = tid / kWarpSize;
  const int lane = tid % kWarpSize;
  const int g = lane / 4;
  const int t = lane % 4;
  const int64_t nb = K / kQuantBlock;
  const int64_t blocks = nb / Rows::kUnitsPerBlock;
  const int64_t kt_begin = static_cast<int64_t>(blockIdx.z) * a.slice_steps;
  const int64_t kt_end = min((nb + kQ8Units - 1) / kQ8Units, kt_begin + a.slice_steps);

  // Staging: weight and activation rows 8 threads to a row (rows tid / 8 +
  // kThreads / 8 * p), (d, s) pairs 4 threads to a token. Rows past N and
  // tokens past M are not copied (their outputs are not stored), nor units
  // past K (they are not computed).
  constexpr int kRowPass = Tile::kThreads / Rows::kStageLanes;
  constexpr int kTokPass = Tile::kThreads / 4;
  const int stage_row = tid / Rows::kStageLanes;
  const int stage_lane = tid % Rows::kStageLanes;
  const uint8_t* w_src = w + (n_base + stage_row) * w_stride;
  const int w_rows = static_cast<int>(min(N - n_base, static_cast<int64_t>(Tile::kRows))) - stage_row;
  const uint8_t* x_src = xq + (m_base + stage_row) * x_stride;
  const int x_rows = static_cast<int>(min(M - m_base, static_cast<int64_t>(kTokens))) - stage_row;
  const int ds_tok = tid / 4;
  const int ds_chunk = tid % 4;
  const bool ds_aligned = nb % 2 == 0 && reinterpret_cast<uintptr_t>(xds) % 16 == 0;
  auto stage_copies = [&](uint8_t* stage, int64_t kt) {
    Rows::template stage<Tile::kThreads, Tile::kRows>(stage + stage_row * Rows::kBytes, w_src, w_stride, w_rows, blocks, kt,
                                         stage_lane);
    uint8_t* a_dst = stage + Tile::kWBytes + stage_row * Tile::kLda;
    const int a_chunks = static_cast<int>(min(static_cast<int64_t>(kQ8GemmStep), K - kt * kQ8GemmStep) / 16);
#pragma unroll
    for (int p = 0; p < (kTokens + kRowPass - 1) / kRowPass; ++p) {
#pragma unroll
      for (int k = 0; k < 2; ++k) {
        const int q = stage_lane + 8 * k;
        if (p * kRowPass < x_rows && q < a_chunks) {
          cp_async_16(a_dst + p * kRowPass * Tile::kLda + q * 16,
                      x_src + p * kRowPass * x_stride + kt * kQ8GemmStep + q * 16);
        }
      }
    }
    // The pairs of units 2c, 2c + 1: 16 aligned bytes when rows have an even number of units.
    const int64_t units = min(static_cast<int64_t>(kQ8Units), nb - kt * kQ8Units);
#pragma unroll
    for (int p = 0; p < (kTokens + kTokPass - 1) / kTokPass; ++p) {
      const int tok = ds_tok + kTokPass * p;
      if (tok < kTokens && m_base + tok < M && 2 * ds_chunk < units) {
        uint8_t* dst = stage + Tile::kWBytes + Tile::kABytes + tok * Tile::kLdd + 16 * ds_chunk;
        const float2* src = xds + (m_base + tok) * nb + kt * kQ8Units + 2 * ds_chunk;
        if (ds_aligned) {
          cp_async_16(dst, src);
        } else {  // rows of an odd number of units (K not a multiple of 64): 8 bytes at a time, waiting
          reinterpret_cast<float2*>(dst)[0] = src[0];
          if (2 * ds_chunk + 1 < units) reinterpret_cast<float2*>(dst)[1] = src[1];
        }
      }
    }
  };

  float acc[Tile::kTilesM][Tile::kTilesN][4] = {};
  auto compute = [&](const uint8_t* stage, int64_t kt) {
    const int units = static_cast<int>(min(static_cast<int64_t>(kQ8Units), nb - kt * kQ8Units));
    const typename Rows::Bases at = Rows::bases(blocks, kt);
    const uint8_t* a_rows = stage + Tile::kWBytes;
    const uint8_t* ds_rows = a_rows + Tile::kABytes;
    // The lane's weight rows, g and g + 8 of each m16 tile, and what their units share.
    const uint8_t* rows[Tile::kTilesM][2];
    typename Rows::Block blk[Tile::kTilesM][2];
#pragma unroll
    for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        rows[i][r] = stage + (warp * Tile::kTilesM * 16 + i * 16 + r * 8 + g) * Rows::kBytes;
        blk[i][r] = Rows::block(rows[i][r], at);
      }
    }
#pragma unroll Tile::kUnroll
    for (int u = 0; u < kQ8Units; ++u) {
      if (u >= units) break;
      // A fragments: a[0], a[1] rows g, g + 8 of group t (k 0..15); a[2], a[3] of group t + 4 (k 16..31).
      uint32_t a[Tile::kTilesM][4];
      float ws[Tile::kTilesM][2][kSubs];
      float wn[Tile::kTilesM][2][kSubs];
      float wm[Tile::kTilesM][2][kSubs];
#pragma unroll
      for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const uint2 q = Rows::quants(rows[i][r], at, u, t);
          a[i][r] = q.x;
          a[i][2 + r] = q.y;
          Rows::scales(rows[i][r], at, blk[i][r], u, ws[i][r], wm[i][r]);
#pragma unroll
          for (int h = 0; h < kSubs; ++h) wn[i][r][h] = -detail::kMagic * ws[i][r][h];  // exact: ws has few bits
        }
      }
#pragma unroll
      for (int jp = 0; jp < Tile::kTilesN; jp += 2) {
        // B fragments of n8 tiles jp and jp + 1: k 0..15 and 16..31 of 8 tokens each.
        uint32_t b4[4];
        if constexpr (Tile::kTilesN == 1) {  // one n8 tile: two matrices, half the shared-memory reads
          uint32_t b2[2];
          ldmatrix_x2(b2, a_rows + (lane % 8) * Tile::kLda + u * 32 + ((lane / 8) % 2) * 16);
          b4[0] = b2[0];
          b4[1] = b2[1];
        } else {
          ldmatrix_x4(b4, a_rows + (jp * 8 + (lane / 16) * 8 + lane % 8) * Tile::kLda + u * 32 + ((lane / 8) % 2) * 16);
        }
#pragma unroll
        for (int jj = 0; jj < std::min(2, Tile::kTilesN); ++jj) {
          const int j = jp + jj;
          // The lane's tokens 2t and 2t + 1 (accumulator columns).
          detail::ActUnit<T> x[2];
#pragma unroll
          for (int c = 0; c < 2; ++c) {
            x[c] = detail::act_unit<T>(
                *reinterpret_cast<const float2*>(ds_rows + (j * 8 + 2 * t + c) * Tile::kLdd + u * 8));
          }
#pragma unroll
          for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
            for (int h = 0; h < kSubs; ++h) {
              // Sums start at kMagicBits, less offset * sum(q_a) per token for the offset types.
              const int c0 = Rows::kOffset != 0 ? __float_as_int(x[0].r[h]) : detail::kMagicBits;
              const int c1 = Rows::kOffset != 0 ? __float_as_int(x[1].r[h]) : detail::kMagicBits;
              int c[4] = {c0, c1, c0, c1};
              if constexpr (kSubs == 1) {
                const uint32_t b[2] = {b4[2 * jj], b4[2 * jj + 1]};
                mma_s8_16x8x32(c, a[i], b);
              } else {
                mma_s8_16x8x16(c, {a[i][2 * h], a[i][2 * h + 1]}, b4[2 * jj + h]);
              }
#pragma unroll
              for (int e = 0; e < 4; ++e) {
                // (kMagic + sum) * ws - kMagic * ws: sum * ws, rounded once.
                const float v = fmaf(__int_as_float(c[e]), ws[i][e / 2][h], wn[i][e / 2][h]);
                acc[i][j][e] = fmaf(v, x[e % 2].d, acc[i][j][e]);
                if constexpr (Rows::kMin) acc[i][j][e] = fmaf(wm[i][e / 2][h], x[e % 2].r[h], acc[i][j][e]);
              }
            }
          }
        }
      }
    }
  };

  if constexpr (kTokens <= 32) {
    // A decode step's few tokens: each run of kQ8GemmRows rows starts its
    // slice at its own step and wraps around, so that the grid's blocks read
    // different columns of their rows at once (x16 +4-5%, run 120 in
    // bench/RESULTS-gpu-runs-107-124.md). Not at 64
    // tokens, where the wrapped steps' addressing costs the kernel spills.
    const int64_t len = kt_end - kt_begin;
    const int64_t rot = a.rotate && len > 0 ? (n_base / kQ8GemmRows) % len : 0;
    auto step_of = [&](int64_t kt) { return kt + rot < kt_end ? kt + rot : kt + rot - len; };
    run_k_steps<Tile::kStages, Tile::kStage>(
        smem, kt_begin, kt_end, [&](uint8_t* stage, int64_t kt) { stage_copies(stage, step_of(kt)); },
        [&](const uint8_t* stage, int64_t kt) { compute(stage, step_of(kt)); });
  } else {
    run_k_steps<Tile::kStages, Tile::kStage>(smem, kt_begin, kt_end, stage_copies, compute);
  }

  if (gridDim.z > 1) {
    // The slice's partial sums in the accumulators' own layout (coalesced
    // float4s); the tile's last block to finish reads them back in that
    // layout and adds them in slice order, as sum_slices (gemm_split.cuh)
    // does. Written out here: this kernel's instances lost 5% (Q4_0 at 16
    // tokens, Q4_K at 32) to their register allocation with that function,
    // bench/RESULTS-gpu-runs-107-124.md run 113.
    constexpr int kAcc = Tile::kTilesM * Tile::kTilesN;
    const int64_t tile = static_cast<int64_t>(blockIdx.y) * gridDim.x + blockIdx.x;
    float4* parts = a.partial + tile * gridDim.z * kAcc * Tile::kThreads + tid;
#pragma unroll
    for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
      for (int j = 0; j < Tile::kTilesN; ++j) {
        const float(&v)[4] = acc[i][j];
        store_cg(parts + (blockIdx.z * kAcc + i * Tile::kTilesN + j) * Tile::kThreads, make_float4(v[0], v[1], v[2], v[3]));
      }
    }
    __threadfence();  // the partial sums are visible before the count says so
    __syncthreads();
    if (tid == 0) last_slice = atomicAdd(a.counters + tile, 1u) == gridDim.z - 1;
    __syncthreads();
    if (!last_slice) return;
    __threadfence();
#pragma unroll
    for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
      for (int j = 0; j < Tile::kTilesN; ++j) {
        const float4 first = load_cg(parts + (i * Tile::kTilesN + j) * Tile::kThreads);
        acc[i][j][0] = first.x;
        acc[i][j][1] = first.y;
        acc[i][j][2] = first.z;
        acc[i][j][3] = first.w;
      }
    }
    for (unsigned s = 1; s < gridDim.z; ++s) {
      // A slice's loads all in flight before its adds.
      float4 q[Tile::kTilesM][Tile::kTilesN];
#pragma unroll
      for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
        for (int j = 0; j < Tile::kTilesN; ++j) q[i][j] = load_cg(parts + (s * kAcc + i * Tile::kTilesN + j) * Tile::kThreads);
      }
#pragma unroll
      for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
        for (int j = 0; j < Tile::kTilesN; ++j) {
          acc[i][j][0] += q[i][j].x;
          acc[i][j][1] += q[i][j].y;
          acc[i][j][2] += q[i][j].z;
          acc[i][j][3] += q[i][j].w;
        }
      }
    }
    if (tid == 0) a.counters[tile] = 0;  // ready for the next launch
  }

#pragma unroll
  for (int i = 0; i < Tile::kTilesM; ++i) {
#pragma unroll
    for (int j = 0; j < Tile::kTilesN; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t n = n_base + warp * Tile::kTilesM * 16 + i * 16 + g + 8 * (e / 2);
        const int64_t m = m_base + j * 8 + 2 * t + e % 2;
        if (n < N && m < M) out[m * out_stride + n] = acc[i][j][e];
      }
    }
  }
}

// Token tiles in grid.x, so that the blocks of one weight rows' tile run together and share its reads in L2.
template <gguf::GgmlType T, int kTokens>
Status launch_q8(const GemmArgs& g, rt::Stream stream) {
  using Tile = Q8Tile<T, kTokens>;
  Q8Launch k{};
  int64_t row_tiles = 0;
  for (int i = 0; i < g.n_parts; ++i) {
    const MatvecPart& part = g.parts[i];
    k.parts[i] = {part.w.data, part.w.stride, part.w.rows, part.out, part.out_stride, row_tiles};
    row_tiles += (part.w.rows + Tile::kRows - 1) / Tile::kRows;
  }
  const int64_t token_tiles = (g.n_tokens + kTokens - 1) / kTokens;
  if (row_tiles > 65535 || g.splits < 1 || g.splits > 65535) {
    return RF_ERROR(kInternal, "a GEMM of {} row tiles in {} slices", row_tiles, g.splits);
  }
  k.n_parts = g.n_parts;
  k.K = g.parts[0].w.cols;
  k.xq = g.x.q;
  k.xds = g.x.ds;
  k.x_stride = g.x.stride;
  k.M = g.n_tokens;
  k.slice_steps = gemm_split_steps(g.parts[0].w, g.splits);
  k.partial = reinterpret_cast<float4*>(g.partial);
  k.counters = g.counters;
  k.rotate = g.rotate;
  constexpr auto kernel = gemm_q8_kernel<T, kTokens>;
  RF_TRY(RF_GPU_CHECK(rt::allow_dynamic_smem(kernel, Tile::kSmem)));
  const dim3 grid(static_cast<unsigned>(token_tiles), static_cast<unsigned>(row_tiles), static_cast<unsigned>(g.splits));
  kernel<<<grid, Tile::kThreads, Tile::kSmem, stream>>>(k);
  return check_launch("gemm_q8_kernel");
}

}  // namespace rocmforge::backend::gpu
