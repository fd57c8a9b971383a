#include "backend/gpu/attention_mma.cuh"

#include <algorithm>
#include <climits>
#include <cmath>

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kv_mma.cuh"
#include "backend/gpu/mma_softmax.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kTile = kAttnMmaTile;  // query rows per block
constexpr int kKeys = 32;            // keys per step, two shared-memory stages

// One step's keys [j0, j0 + kKeys) of one sequence into stage `sk`/`sv` by
// cp.async (zeros past `hi`, so that P.V never meets stale data). A thread
// copies one 16-byte part of the K and V rows of kKeys / kRowsPerPass keys,
// so it looks up each of those keys' blocks once, with the lookups in flight
// together, in 32-bit arithmetic (positions are int32 by the batch's
// contract). Run 15: the 64-bit divisions and serial lookups this replaced
// made the step's copy cost more instructions than its tensor-core work.
// One unsigned division a step gives the first key's block and offset; the
// passes' keys, kRowsPerPass apart (at most a block: block_size is a
// multiple of kTile), step from it. Run 60 (bench/RESULTS-gpu-runs-57-68.md): a signed
// division a key still made the copy a third of the kernel's instructions.
// A slot's bytes are its block's (32-bit factors, kv_slots_fit_32bit,
// widened in one multiply) plus its row's in the block: a 64-bit product a
// key was 7% of the kernel's instructions (bench/RESULTS.md, run 138).
template <int kD, int kLd>
__device__ __forceinline__ void load_keys(const AttentionArgs& a, const int32_t* table, int kvh, int32_t j0, int32_t hi,
                                          uint16_t (*sk)[kLd], uint16_t (*sv)[kLd]) {
  constexpr int kRowLoads = kD / 8;  // 16-byte loads per K or V row
  constexpr int kRowsPerPass = kAttnThreads / kRowLoads;
  constexpr int kPasses = kKeys / kRowsPerPass;
  static_assert(kAttnThreads % kRowLoads == 0 && kKeys % kRowsPerPass == 0 && kRowsPerPass <= kTile);
  const int part = static_cast<int>(threadIdx.x) % kRowLoads;
  const int first = static_cast<int>(threadIdx.x) / kRowLoads;
  const int64_t offset = (static_cast<int64_t>(kvh) * kD + part * 8) * 2;
  const auto* k_cache = static_cast<const uint8_t*>(a.k_cache) + offset;
  const auto* v_cache = static_cast<const uint8_t*>(a.v_cache) + offset;
  const auto base = j0 + first;
  const auto last = hi;
  const auto bs = static_cast<uint32_t>(a.block_size);
  const auto k_row = static_cast<uint32_t>(a.k_row_bytes);
  const auto v_row = static_cast<uint32_t>(a.v_row_bytes);
  const auto n_blocks = static_cast<uint32_t>(a.n_blocks);  // below 2^31 (attention_mma_supports)
  auto q = static_cast<uint32_t>(base) / bs;  // the key's block in the table, and its offset there
  uint32_t r = static_cast<uint32_t>(base) - q * bs;
  int32_t blk[kPasses];
  uint32_t off[kPasses];
#pragma unroll
  for (int p = 0; p < kPasses; ++p) {
    const int32_t j = base + p * kRowsPerPass;
    blk[p] = j <= last ? table[q] : -1;
    off[p] = r;
    r += kRowsPerPass;
    if (r >= bs) {
      r -= bs;
      ++q;
    }
  }
#pragma unroll
  for (int p = 0; p < kPasses; ++p) {
    const int row = first + p * kRowsPerPass;
    const int32_t j = base + p * kRowsPerPass;
    uint16_t* k_dst = &sk[row][part * 8];
    uint16_t* v_dst = &sv[row][part * 8];
    if (j <= last && static_cast<uint32_t>(blk[p]) < n_blocks) {
      const auto b = static_cast<uint64_t>(static_cast<uint32_t>(blk[p]));
      cp_async_16(k_dst, k_cache + (b * (bs * k_row) + off[p] * k_row));
      cp_async_16(v_dst, v_cache + (b * (bs * v_row) + off[p] * v_row));
    } else {
      if (j <= last) raise_device_error(a.error_flag, DeviceError::kBlockOutOfRange);
      *reinterpret_cast<uint4*>(k_dst) = make_uint4(0, 0, 0, 0);
      *reinterpret_cast<uint4*>(v_dst) = make_uint4(0, 0, 0, 0);
    }
  }
  cp_async_commit();
}

// One block: kTile tokens of the batch, one KV head, up to kAttnHeads query
// heads sharing it (a warp each). Fragment layouts are PTX's for
// mma.m16n8k16: lane = 4 g + tq holds rows g and g + 8. The tile's tokens may
// belong to several sequences: each sequence's keys are swept once, with the
// rows of the others masked. Keys go through shared memory kKeys at a time,
// the next step's copy in flight while this one computes; K fragments come
// by ldmatrix, V's (keys along k) by ldmatrix.trans.
template <int kD, KvElem kE>
__global__ void __launch_bounds__(kAttnThreads) attention_mma_kernel(AttentionArgs a) {
  constexpr int kLd = kD + 8;         // halves per shared row: 16-byte aligned, ldmatrix rows hit distinct banks
  constexpr int kChunks = kD / 16;    // k-steps of Q.K^T
  constexpr int kNTiles = kD / 8;     // n-tiles of P.V
  constexpr int kKeyTiles = kKeys / 8;
  alignas(16) __shared__ uint16_t sk[2][kKeys][kLd];
  alignas(16) __shared__ uint16_t sv[2][kKeys][kLd];
  __shared__ int32_t s_seq[kTile];
  __shared__ int32_t s_pos[kTile];
  __shared__ int32_t s_lo[kTile];  // for a sequence's first row in the tile: the keys its rows attend to
  __shared__ int32_t s_hi[kTile];  // (-1 on the other rows)

  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int g = lane / 4;
  const int tq = lane % 4;
  // Under a causal mask a tile's keys grow with its index. The blocks go out
  // in launch order, one a multiprocessor before any gets two: the first
  // half of that order takes the tiles from the heaviest down, the second
  // half from the lightest up, so the two blocks a multiprocessor holds
  // together carry about the same keys as every other pair.
  const int n_groups = static_cast<int>(gridDim.y);
  const int n_blocks = static_cast<int>(gridDim.x) * n_groups;
  const int launched = static_cast<int>(blockIdx.y * gridDim.x + blockIdx.x);
  const int half = (n_blocks + 1) / 2;
  const int rank = launched < half ? launched : n_blocks - 1 - (launched - half);  // by keys, most first
  const int t0 = (static_cast<int>(gridDim.x) - 1 - rank / n_groups) * kTile;
  const int group = rank % n_groups;
  const int kvh = group / a.head_groups;
  const int gqa = a.n_head / a.n_head_kv;
  const int h = kvh * gqa + (group % a.head_groups) * kAttnHeads + warp;
  const bool head_ok = h < kvh * gqa + gqa;  // warps past the group's heads only help load
  if (threadIdx.x < kTile) {
    const int t = t0 + static_cast<int>(threadIdx.x);
    s_seq[threadIdx.x] = t < a.n_tokens ? a.token_seq[t] : -1;
    s_pos[threadIdx.x] = t < a.n_tokens ? a.positions[t] : -1;
  }
  __syncthreads();
  if (threadIdx.x < kTile) {
    const int row = static_cast<int>(threadIdx.x);
    const int seq = s_seq[row];
    bool seen = seq < 0;
    for (int r = 0; r < row; ++r) seen = seen || s_seq[r] == seq;
    int64_t lo = INT32_MAX;
    int32_t hi = -1;
    for (int r = row; r < kTile && !seen; ++r) {
      if (s_seq[r] != seq) continue;
      const int32_t pos = s_pos[r];
      lo = min(lo, a.window > 0 ? max(int64_t{0}, pos - a.window + 1) : int64_t{0});
      hi = max(hi, pos);
    }
    s_lo[row] = static_cast<int32_t>(lo);
    s_hi[row] = hi;
  }
  __syncthreads();
  const int seq_r[2] = {s_seq[g], s_seq[g + 8]};
  const int pos_r[2] = {s_pos[g], s_pos[g + 8]};

  // Q as A fragments, rounded to the cache's type as the CPU's dot reads it.
  uint32_t qf[kChunks][4];
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int row = g + (r % 2) * 8;
      const int dim = c * 16 + 2 * tq + (r / 2) * 8;
      const int t = t0 + row;
      float x0 = 0.0f;
      float x1 = 0.0f;
      if (head_ok && t < a.n_tokens) {
        const float* qp = a.q + static_cast<int64_t>(t) * a.q_stride + static_cast<int64_t>(h) * kD + dim;
        x0 = qp[0];
        x1 = qp[1];
      }
      qf[c][r] = pack_kv16x2<kE>(x0, x1);
    }
  }

  const float log2_scale = a.scale * kLog2e;
  float m[2] = {-INFINITY, -INFINITY};
  float l[2] = {0.0f, 0.0f};
  float o[kNTiles][4] = {};

  for (int first_row = 0; first_row < kTile; ++first_row) {
    // Each sequence once, at its first row: the keys its rows of the tile attend to.
    // Key positions are int32 (the batch's contract).
    const int32_t hi = s_hi[first_row];
    if (hi < 0) continue;
    const int32_t lo = s_lo[first_row];
    const int seq = s_seq[first_row];
    const int32_t* table = a.block_tables + static_cast<int64_t>(seq) * a.max_blocks;
    const int32_t j_first = lo / kKeys * kKeys;
    // Each row's live keys of this sequence, [live_lo, live_hi] (none on another sequence's rows).
    int32_t live_lo[2];
    int32_t live_hi[2];
#pragma unroll
    for (int rr = 0; rr < 2; ++rr) {
      const bool mine = seq_r[rr] == seq;
      live_hi[rr] = mine ? pos_r[rr] : -1;
      live_lo[rr] = mine && a.window > 0 ? static_cast<int32_t>(max(int64_t{0}, pos_r[rr] - a.window + 1)) : 0;
    }
    __syncthreads();  // the previous sequence's readers are done with both stages
    load_keys<kD, kLd>(a, table, kvh, j_first, hi, sk[0], sv[0]);
    for (int32_t j0 = j_first, stage = 0; j0 <= hi; j0 += kKeys, stage ^= 1) {
      if (j0 + kKeys <= hi) {
        load_keys<kD, kLd>(a, table, kvh, j0 + kKeys, hi, sk[stage ^ 1], sv[stage ^ 1]);
        cp_async_wait<1>();
      } else {
        cp_async_wait<0>();
      }
      __syncthreads();  // this step's keys are in place for every warp
      if (head_ok) {
        float s[kKeyTiles][4] = {};
#pragma unroll
        for (int nt = 0; nt < kKeyTiles; nt += 2) {
#pragma unroll
          for (int c = 0; c < kChunks; ++c) {
            uint32_t r[4];
            const int mat = lane / 8;
            ldmatrix_x4(r, &sk[stage][(nt + mat / 2) * 8 + lane % 8][c * 16 + (mat % 2) * 8]);
            const uint32_t b0[2] = {r[0], r[1]};
            const uint32_t b1[2] = {r[2], r[3]};
            mma_kv16<kE>(s[nt], qf[c], b0);
            mma_kv16<kE>(s[nt + 1], qf[c], b1);
          }
        }
        // Scores in log2 units; without soft-capping one multiply a score.
        // The branches are the step's, not a score's (bench/RESULTS-gpu-runs-57-68.md, run
        // 61: per score they cost a quarter of the kernel's instructions).
        if (a.softcap != 0.0f) {
#pragma unroll
          for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < 4; ++i) s[nt][i] = log2_score(a, s[nt][i]);
          }
        } else {
#pragma unroll
          for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < 4; ++i) s[nt][i] *= log2_scale;
          }
        }
#pragma unroll
        for (int rr = 0; rr < 2; ++rr) {
          // Only tiles that cross the row's causal edge, its window or another sequence need a mask per key.
          const bool whole = j0 >= live_lo[rr] && j0 + kKeys - 1 <= live_hi[rr];
          if (!whole) {
#pragma unroll
            for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
              for (int e = 0; e < 2; ++e) {
                const int32_t key = j0 + nt * 8 + 2 * tq + e;
                const bool live = key >= live_lo[rr] && key <= live_hi[rr];
                if (!live) s[nt][2 * rr + e] = -INFINITY;
              }
            }
          }
          const float corr = softmax_update<kKeyTiles>(s, rr, m[rr], l[rr]);
#pragma unroll
          for (int n = 0; n < kNTiles; ++n) {
            o[n][2 * rr] *= corr;
            o[n][2 * rr + 1] *= corr;
          }
        }
#pragma unroll
        for (int kk = 0; kk < kKeys / 16; ++kk) {
          // P (16 rows x 16 keys) as an A fragment, straight from the score tiles.
          const PackedWeights w[4] = {pack_weights<kE>(s[2 * kk][0], s[2 * kk][1]),
                                      pack_weights<kE>(s[2 * kk][2], s[2 * kk][3]),
                                      pack_weights<kE>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                      pack_weights<kE>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
          constexpr int kParts = kWeightParts<kE>;
          uint32_t pf[kParts][4];
#pragma unroll
          for (int part = 0; part < kParts; ++part) {
#pragma unroll
            for (int i = 0; i < 4; ++i) pf[part][i] = w[i].part[part];
          }
#pragma unroll
          for (int n = 0; n < kNTiles; n += 2) {
            uint32_t r[4];
            const int mat = lane / 8;
            ldmatrix_x4_trans(r, &sv[stage][kk * 16 + (mat % 2) * 8 + lane % 8][(n + mat / 2) * 8]);
            const uint32_t b0[2] = {r[0], r[1]};
            const uint32_t b1[2] = {r[2], r[3]};
#pragma unroll
            for (int part = 0; part < kParts; ++part) {
              mma_kv16<kE>(o[n], pf[part], b0);
              mma_kv16<kE>(o[n + 1], pf[part], b1);
            }
          }
        }
      }
      __syncthreads();  // every warp is done with this stage before the next copy into it
    }
  }

  if (!head_ok) return;
#pragma unroll
  for (int rr = 0; rr < 2; ++rr) {
    const int t = t0 + g + 8 * rr;
    if (t >= a.n_tokens) continue;
    const float inv = l[rr] > 0.0f ? 1.0f / l[rr] : 0.0f;
    const int64_t col = static_cast<int64_t>(h) * kD + 2 * tq;
#pragma unroll
    for (int n = 0; n < kNTiles; ++n) {
      const float v0 = o[n][2 * rr] * inv;
      const float v1 = o[n][2 * rr + 1] * inv;
      if (a.out != nullptr) {
        float* out = a.out + static_cast<int64_t>(t) * a.out_stride + col + n * 8;
        out[0] = v0;
        out[1] = v1;
      }
      if (a.out_f16 != nullptr) {
        *reinterpret_cast<uint32_t*>(a.out_f16 + static_cast<int64_t>(t) * a.out_f16_stride + col + n * 8) =
            pack_f16x2(v0, v1);
      }
    }
  }
}

template <int kD, KvElem kE>
Status launch_d(const AttentionArgs& a, rt::Stream stream) {
  if constexpr (kHasMma) {
    const dim3 grid(static_cast<unsigned>((a.n_tokens + kTile - 1) / kTile),
                    static_cast<unsigned>(a.n_head_kv * a.head_groups));
    attention_mma_kernel<kD, kE><<<grid, kAttnThreads, 0, stream>>>(a);
    return check_launch("attention_mma_kernel");
  } else {
    return RF_ERROR(kInternal, "tensor-core attention in a build without tensor cores");
  }
}

}  // namespace

bool attention_mma_supports(const AttentionArgs& a, KvTypes types, int warp_size) {
  const bool dims = a.head_dim == a.head_dim_v && (a.head_dim == 64 || a.head_dim == 128);
  return kHasMma && warp_size == 32 && kAttnThreads / 32 == kAttnHeads && kv_on_tensor_cores(types) && dims &&
         a.n_splits == 1 && a.block_size % kTile == 0 && kv_slots_fit_32bit(a);
}

bool attention_mma_fits(const AttentionArgs& a, KvTypes types, int32_t n_seqs, int warp_size) {
  return attention_mma_supports(a, types, warp_size) && a.n_tokens >= kTile * static_cast<int64_t>(std::max(n_seqs, 1));
}

Status launch_attention_mma(const AttentionArgs& a, KvTypes types, rt::Stream stream) {
  if (a.out == nullptr && a.out_f16 == nullptr) return RF_ERROR(kInternal, "prefill attention with no output");
  if (types.k == gguf::GgmlType::kBF16) {
    return a.head_dim == 64 ? launch_d<64, KvElem::kBF16>(a, stream) : launch_d<128, KvElem::kBF16>(a, stream);
  }
  return a.head_dim == 64 ? launch_d<64, KvElem::kF16>(a, stream) : launch_d<128, KvElem::kF16>(a, stream);
}

}  // namespace rocmforge::backend::gpu
