// The GEMM on F16 activations (gemm_a16.cuh says what and why) and its
// launch; included by the instance files mm_a16_<type>.cu only.
//
// A block of 8 warps takes kA16Rows = 128 weight rows (a warp one m16 tile of
// 16 rows) by kA16Tokens = 64 tokens (8 n8 tiles, every warp all of them),
// over its slice of K in k-steps of kA16Step = 128 elements. Each weight is
// then dequantised once per block and read once per 64 tokens. A pipeline of
// kStages shared-memory stages (as many as leave room for two blocks per
// multiprocessor, three when the block holds at most 32 tokens) holds the steps, all copied by
// cp.async kStages - 1 steps ahead: the weight rows' quants and scales as
// stored (weight_layout.h), and the activation rows. Each lane unpacks its
// A fragments from the packed rows (gemm_a16_unpack.cuh), takes the
// activations' B fragments by ldmatrix, and mma.sync m16n8k16 adds F16
// products into F32 accumulators, unit after unit, over the whole slice.
//
// Token tiles run in grid.x, so the blocks of a row tile share its weight
// reads in L2. Sixteen-token groups with no token are skipped (a one-token
// product does a quarter of the 64-token one's tensor-core work): a token's
// sums never depend on the others'. Slices of K (grid.z) write their partial
// sums; the last block of a tile to finish (an atomic counter) adds them in
// slice order and writes the outputs, so no second launch and no
// order that depends on which block finished first.
#pragma once

#include <algorithm>

#include "backend/gpu/check.cuh"
#include "backend/gpu/gemm_pipeline.cuh"
#include "backend/gpu/gemm_split.cuh"
#include "backend/gpu/gemm_a16.cuh"
#include "backend/gpu/gemm_a16_unpack.cuh"
#include "backend/gpu/weight_layout.h"

namespace rocmforge::backend::gpu {

inline constexpr int kA16Threads = 256;
// Shared memory a block may take: two blocks per multiprocessor on sm_90, one on sm_80.
inline constexpr int kA16SmemBudget = 112 * 1024;

// Blocks a multiprocessor for a block of `groups` 16-token groups: fewer
// tokens, smaller stages and accumulators, room for a third.
constexpr int a16_blocks_per_sm(int groups) { return groups == 4 ? 2 : 3; }

// kGroups: the 16-token groups a block holds (1, 2 or 4: up to kA16Tokens).
template <gguf::GgmlType T, int kGroups>
struct A16Tile {
  static constexpr int kTokens = 16 * kGroups;  // activation rows staged
  static constexpr int kTiles = 2 * kGroups;    // n8 tiles
  static constexpr int kBlocksPerSm = a16_blocks_per_sm(kGroups);
  using Unpack = A16Unpack<T>;
  static constexpr int kUnits = static_cast<int>(kA16Step / kQuantBlock);  // 32-element units per k-step
  static constexpr int kQsBytes = kUnits * Unpack::kQsBytes;                 // a row's quants per k-step
  static constexpr int kQsChunks = kQsBytes / 16;
  // A k-step's scales (2 bytes a unit) lie in one 16-byte aligned chunk of
  // the row (the scale region starts 16-byte aligned, a step's scales 8), staged whole.
  static constexpr int kScaleBytes = kUnits * 2;
  static_assert(16 % kScaleBytes == 0, "a step's scales within one chunk");
  // An odd number of 16-byte chunks a staged row: the 8 rows a fragment load reads hit distinct banks.
  static constexpr int kLdw = 16 * ((kQsChunks + 1) | 1);
  static constexpr int kAChunks = static_cast<int>(kA16Step) * 2 / 16;  // of an activation row per k-step
  static constexpr int kLda = 16 * (kAChunks + 1);                      // ldmatrix's 8 rows hit distinct banks
  static constexpr int kWBytes = static_cast<int>(kA16Rows) * kLdw;
  static constexpr int kStage = kWBytes + kTokens * kLda;
  static constexpr int kStages = std::clamp(kA16SmemBudget * 2 / kBlocksPerSm / kStage, 2, 4);
  static constexpr int kSmem = kStages * kStage;
  static_assert(kA16Rows == 16 * (kA16Threads / 32), "a warp an m16 tile");
  static_assert(kA16Rows <= kA16Threads, "one scale chunk a thread at most");
  static_assert(kA16Rows * kQsChunks % kA16Threads == 0 && kTokens * kAChunks % kA16Threads == 0, "whole passes");
};

// What the kernel reads: the parts' row tiles one after another in grid.y.
struct A16Launch {
  GemmPart parts[kMaxMatvecParts];
  int n_parts;
  int64_t K;
  const uint8_t* x;  // [M, x_stride] F16
  size_t x_stride;
  int64_t M;
  int64_t slice_steps;
  float4* partial;    // [token tiles * row tiles, slices, 8, kA16Threads] (slices > 1)
  uint32_t* counters;  // [token tiles * row tiles] (slices > 1)
};

// out[m, n] for the block's kA16Rows rows (blockIdx.y) by kA16Tokens tokens
// (blockIdx.x), over the k-steps of slice blockIdx.z.
template <gguf::GgmlType T, int kGroups>
__global__ void __launch_bounds__(kA16Threads, a16_blocks_per_sm(kGroups)) gemm_a16_kernel(A16Launch a) {
  using Tile = A16Tile<T, kGroups>;
  using Unpack = typename Tile::Unpack;
  extern __shared__ uint4 a16_smem[];
  uint8_t* smem = reinterpret_cast<uint8_t*>(a16_smem);

  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid / kWarpSize;
  const int lane = tid % kWarpSize;
  const int g = lane / 4;
  const int t = lane % 4;
  const GemmPart& part = a.parts[gemm_part(a.parts, a.n_parts)];
  const uint8_t* __restrict__ w = part.w;
  const size_t w_stride = part.w_stride;
  const int64_t N = part.rows;
  float* __restrict__ out = part.out;
  const int64_t out_stride = part.out_stride;
  const int64_t K = a.K;
  const int64_t M = a.M;
  const uint8_t* __restrict__ x = a.x;
  const size_t x_stride = a.x_stride;
  const int64_t m_base = static_cast<int64_t>(blockIdx.x) * kA16Tokens;
  const int64_t n_base = (static_cast<int64_t>(blockIdx.y) - part.first_tile) * kA16Rows;
  const int64_t nb = K / kQuantBlock;
  const int64_t kt_begin = static_cast<int64_t>(blockIdx.z) * a.slice_steps;
  const int64_t kt_end = min((nb + Tile::kUnits - 1) / Tile::kUnits, kt_begin + a.slice_steps);
  const int tokens = static_cast<int>(min(M - m_base, kA16Tokens));
  const int groups = (tokens + 15) / 16;  // 16-token groups (ldmatrix_x4's two n8 tiles) with a token; <= kGroups
  const int rows = static_cast<int>(min(N - n_base, kA16Rows));
  const uint8_t* w_tile = w + n_base * w_stride;
  const uint8_t* x_tile = x + m_base * x_stride;
  const int64_t scales = nb * Unpack::kQsBytes;  // the scale region's offset in a row

  // Rows past N, tokens past M and units past K are not copied: their
  // outputs are not stored, their units not computed.
  auto stage_copies = [&](uint8_t* stage, int64_t kt) {
    const int units = static_cast<int>(min(static_cast<int64_t>(Tile::kUnits), nb - kt * Tile::kUnits));
    const int qs_chunks = units * Unpack::kQsBytes / 16;
#pragma unroll
    for (int i = 0; i < static_cast<int>(kA16Rows) * Tile::kQsChunks / kA16Threads; ++i) {
      const int q = tid + i * kA16Threads;
      const int r = q / Tile::kQsChunks;
      const int c = q % Tile::kQsChunks;
      if (r < rows && c < qs_chunks) {
        cp_async_16(stage + r * Tile::kLdw + c * 16, w_tile + r * w_stride + kt * Tile::kQsBytes + c * 16);
      }
    }
    if (tid < rows) {
      const int64_t chunk = (scales + kt * Tile::kScaleBytes) & ~int64_t{15};
      cp_async_16(stage + tid * Tile::kLdw + Tile::kQsBytes, w_tile + tid * w_stride + chunk);
    }
    uint8_t* a_dst = stage + Tile::kWBytes;
    const uint8_t* a_src = x_tile + kt * kA16Step * 2;
#pragma unroll
    for (int i = 0; i < Tile::kTokens * Tile::kAChunks / kA16Threads; ++i) {
      const int q = tid + i * kA16Threads;
      const int r = q / Tile::kAChunks;
      const int c = q % Tile::kAChunks;
      if (r < tokens && c < units * 4) cp_async_16(a_dst + r * Tile::kLda + c * 16, a_src + r * x_stride + c * 16);
    }
  };

  float acc[Tile::kTiles][4] = {};
  const bool has_rows = warp * 16 < rows;  // a warp past the last row waits at the barriers only
  auto compute = [&](const uint8_t* stage, int64_t kt) {
    if (!has_rows) return;
    const int units = static_cast<int>(min(static_cast<int64_t>(Tile::kUnits), nb - kt * Tile::kUnits));
    const uint8_t* row0 = stage + (warp * 16 + g) * Tile::kLdw;  // the lane's rows g and g + 8
    const uint8_t* row1 = row0 + 8 * Tile::kLdw;
    const int scale_at = Tile::kQsBytes + static_cast<int>((scales + kt * Tile::kScaleBytes) & 15);
    const uint8_t* act = stage + Tile::kWBytes + (lane % 8 + (lane / 16) * 8) * Tile::kLda + ((lane / 8) % 2) * 16;
#pragma unroll
    for (int u = 0; u < Tile::kUnits; ++u) {
      if (u >= units) break;
      uint32_t f[2][2][2];  // [row g, g + 8][k-chunk][pair]
      const uint8_t* rs[2] = {row0, row1};
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const uint32_t d = *reinterpret_cast<const uint16_t*>(rs[r] + scale_at + 2 * u);
        Unpack::unit(rs[r] + u * Unpack::kQsBytes, d | (d << 16), t, f[r]);
      }
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        const uint32_t a[4] = {f[0][c][0], f[1][c][0], f[0][c][1], f[1][c][1]};
#pragma unroll
        for (int jp = 0; jp < kGroups; ++jp) {
          if (jp < groups) {
            // B fragments of n8 tiles 2jp and 2jp + 1, elements 16c .. 16c + 15 of unit u.
            uint32_t b4[4];
            ldmatrix_x4(b4, act + jp * 16 * Tile::kLda + u * 64 + c * 32);
            const uint32_t b0[2] = {b4[0], b4[1]};
            const uint32_t b1[2] = {b4[2], b4[3]};
            mma_f16_16x8x16(acc[2 * jp], a, b0);
            mma_f16_16x8x16(acc[2 * jp + 1], a, b1);
          }
        }
      }
    }
  };

  run_k_steps<Tile::kStages, Tile::kStage>(smem, kt_begin, kt_end, stage_copies, compute);

  // A split tile's last block to finish writes the outputs (the n8 tiles of 16-token groups with a token).
  if (gridDim.z > 1 && !sum_slices<8, kA16Threads>(acc, 2 * groups, a.partial, a.counters)) return;
#pragma unroll
  for (int j = 0; j < Tile::kTiles; ++j) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int64_t n = n_base + warp * 16 + g + 8 * (e / 2);
      const int64_t m = m_base + j * 8 + 2 * t + e % 2;
      if (n < N && m < M) out[m * out_stride + n] = acc[j][e];
    }
  }
}

template <gguf::GgmlType T>
Status launch_gemm_a16_t(const A16Args& a, rt::Stream stream) {
  if constexpr (kHasMma) {
    if (a.n_parts < 1 || a.n_parts > kMaxMatvecParts) return RF_ERROR(kInternal, "{} parts in one GEMM", a.n_parts);
    A16Launch k{};
    int64_t row_tiles = 0;
    for (int i = 0; i < a.n_parts; ++i) {
      const MatvecPart& part = a.parts[i];
      k.parts[i] = {part.w.data, part.w.stride, part.w.rows, part.out, part.out_stride, row_tiles};
      row_tiles += (part.w.rows + kA16Rows - 1) / kA16Rows;
    }
    const int64_t cols = a.parts[0].w.cols;
    const int64_t token_tiles = (a.n_tokens + kA16Tokens - 1) / kA16Tokens;
    if (row_tiles > 65535 || token_tiles > 65535 || a.splits < 1 || a.splits > 65535) {
      return RF_ERROR(kInternal, "a GEMM of {} row tiles by {} columns, {} tokens in {} slices", row_tiles, cols,
                      a.n_tokens, a.splits);
    }
    const int64_t steps = (cols + kA16Step - 1) / kA16Step;
    k.n_parts = a.n_parts;
    k.K = cols;
    k.x = a.x.q;
    k.x_stride = a.x.stride;
    k.M = a.n_tokens;
    k.slice_steps = (steps + a.splits - 1) / a.splits;
    k.partial = reinterpret_cast<float4*>(a.partial);
    k.counters = a.counters;
    const dim3 grid(static_cast<unsigned>(token_tiles), static_cast<unsigned>(row_tiles),
                    static_cast<unsigned>(a.splits));
    // A token's sums are the same in every variant: only the groups held differ.
    auto launch = [&]<int kGroups>() -> Status {
      constexpr auto kernel = gemm_a16_kernel<T, kGroups>;
      constexpr int kSmem = A16Tile<T, kGroups>::kSmem;
      RF_TRY(RF_GPU_CHECK(rt::allow_dynamic_smem(kernel, kSmem)));
      kernel<<<grid, kA16Threads, kSmem, stream>>>(k);
      return check_launch("gemm_a16_kernel");
    };
    if (a.n_tokens <= 16) return launch.template operator()<1>();
    if (a.n_tokens <= 32) return launch.template operator()<2>();
    return launch.template operator()<4>();
  } else {
    return RF_ERROR(kInternal, "no GEMM on F16 activations in this build");
  }
}

}  // namespace rocmforge::backend::gpu
