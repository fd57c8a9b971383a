#include "backend/gpu/attention_decode_mma.cuh"

#include <cmath>
#include <initializer_list>

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kv_mma.cuh"
#include "backend/gpu/mma_softmax.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kLanes = 32;   // the lanes that mma fragments are laid out over
constexpr int kStep = kDecodeMmaStepKeys;
constexpr int kStages = kDecodeMmaStages;
constexpr float kLn2 = 0.6931471805599453f;

// One warp step's K and V rows, unpadded: the 16-byte chunk c of row r sits
// at chunk c ^ (r % 8), so that the eight rows an ldmatrix reads hit
// distinct banks. A block of two warps holds three stages of 128-dim rows
// in 48 KB, four blocks an SM on Hopper: 64 tokens x 8 KV heads (a
// 64-sequence decode of Llama 3 8B) run in one wave. A wide block
// (kDecodeMmaWideWarps) holds 192 KB, one an SM.
template <int kD>
struct Stage {
  uint16_t k[kStep][kD];
  uint16_t v[kStep][kD];
  // Where chunk `chunk` of row `row` starts, in halves.
  __device__ static int col(int row, int chunk) { return (chunk ^ (row % 8)) * 8; }
};

// Keys [j0, j0 + kStep) of the row into `st` by cp.async, as one commit
// group; they lie in one block of the pool (block_size % kStep == 0), blk,
// which the warp looked up in its table. A lane group of kD / 8 lanes copies a whole row
// (full 128-byte lines). Keys outside [lo, hi) get zero rows instead: their
// scores are masked, but a V row never written may hold NaN, which a zero
// weight would still carry into P.V. A block table entry outside the pool
// raises the error and reads as zeros. Addresses in 32-bit arithmetic, as
// the prefill kernel's (kv_slots_fit_32bit, checked by
// attention_decode_mma_fits): one unsigned remainder a step, one 64-bit
// product for the block; the rows' 64-bit products and signed remainder
// this replaced were most of a warp's instructions before its first step.
template <int kD>
__device__ __forceinline__ void load_step(const AttentionArgs& a, int32_t blk, int kvh, int32_t j0, int32_t lo,
                                          int32_t hi, Stage<kD>& st) {
  constexpr int kParts = kD / 8;
  constexpr int kRowsPerPass = kLanes / kParts;
  const int lane = static_cast<int>(threadIdx.x) % kLanes;
  const int part = lane % kParts;
  const int first = lane / kParts;
  const bool bad = static_cast<uint32_t>(blk) >= static_cast<uint32_t>(a.n_blocks);
  if (bad && lane == 0) raise_device_error(a.error_flag, DeviceError::kBlockOutOfRange);
  const auto bs = static_cast<uint32_t>(a.block_size);
  const auto k_row = static_cast<uint32_t>(a.k_row_bytes);
  const auto v_row = static_cast<uint32_t>(a.v_row_bytes);
  const uint32_t in_block = static_cast<uint32_t>(j0) % bs + first;  // this lane's first row in the block
  const auto b = static_cast<uint64_t>(bad ? 0u : static_cast<uint32_t>(blk));
  const auto col = static_cast<uint32_t>((kvh * kD + part * 8) * 2);
  const auto* k_src = static_cast<const uint8_t*>(a.k_cache) + (b * (bs * k_row) + col);
  const auto* v_src = static_cast<const uint8_t*>(a.v_cache) + (b * (bs * v_row) + col);
  const bool whole = !bad && j0 >= lo && j0 + kStep <= hi;
#pragma unroll
  for (int p = 0; p < kStep / kRowsPerPass; ++p) {
    const int row = first + p * kRowsPerPass;
    const int32_t j = j0 + row;
    uint16_t* k_dst = &st.k[row][Stage<kD>::col(row, part)];
    uint16_t* v_dst = &st.v[row][Stage<kD>::col(row, part)];
    if (whole || (!bad && j >= lo && j < hi)) {
      const uint32_t r = in_block + p * kRowsPerPass;
      cp_async_16(k_dst, k_src + r * k_row);
      cp_async_16(v_dst, v_src + r * v_row);
    } else {
      *reinterpret_cast<uint4*>(k_dst) = make_uint4(0, 0, 0, 0);
      *reinterpret_cast<uint4*>(v_dst) = make_uint4(0, 0, 0, 0);
    }
  }
  cp_async_commit();
}

// One step's scores s (Q.K^T accumulators of keys j0 + 8 nt + 2 tq + e)
// become weights, keys outside [lo, hi) weighing 0 (mma_softmax.cuh); corr
// gets the factors by which each head row's earlier sums shrink.
template <int kHeadTiles>
__device__ __forceinline__ void softmax_step(const AttentionArgs& a, float (&s)[2][4], int32_t j0, int32_t lo,
                                             int32_t hi, float (&m)[kHeadTiles], float (&l)[kHeadTiles],
                                             float (&corr)[kHeadTiles]) {
  const int tq = static_cast<int>(threadIdx.x) % 4;
  // Every row is the same token's: one mask per key, needed only at the range's ends.
  const bool whole = j0 >= lo && j0 + kStep <= hi;
#pragma unroll
  for (int rr = 0; rr < kHeadTiles; ++rr) {
#pragma unroll
    for (int nt = 0; nt < 2; ++nt) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int32_t key = j0 + nt * 8 + 2 * tq + e;
        const float v = log2_score(a, s[nt][2 * rr + e]);
        s[nt][2 * rr + e] = whole || (key >= lo && key < hi) ? v : -INFINITY;
      }
    }
    corr[rr] = softmax_update<2>(s, rr, m[rr], l[rr]);
  }
}

// o (the O^T layout: lane 4 g + tq holds heads 8 ht + 2 tq and + 1) times
// the factors `corr` of the score layout (heads g and g + 8): head
// 8 ht + 2 tq + e's factor is in the lanes of g = 2 tq + e.
template <int kD, int kHeadTiles>
__device__ __forceinline__ void rescale(float (&o)[kD / 16][kHeadTiles][4], const float (&corr)[kHeadTiles]) {
  const int tq = static_cast<int>(threadIdx.x) % 4;
#pragma unroll
  for (int ht = 0; ht < kHeadTiles; ++ht) {
    const float c0 = shfl(corr[ht], 8 * tq);
    const float c1 = shfl(corr[ht], 8 * tq + 4);
#pragma unroll
    for (int c = 0; c < kD / 16; ++c) {
      o[c][ht][0] *= c0;
      o[c][ht][1] *= c1;
      o[c][ht][2] *= c0;
      o[c][ht][3] *= c1;
    }
  }
}

// The query heads [h0, h0 + gqa) of token t as the A fragments of Q.K^T
// (rows past gqa zero), rounded to the cache's type as the CPU's dot reads them.
template <int kD, int kHeadTiles, KvElem kE>
__device__ __forceinline__ void query_fragments(const AttentionArgs& a, int t, int h0, int gqa,
                                                uint32_t (&qf)[kD / 16][4]) {
  const int g = static_cast<int>(threadIdx.x) % kLanes / 4;
  const int tq = static_cast<int>(threadIdx.x) % 4;
#pragma unroll
  for (int c = 0; c < kD / 16; ++c) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int row = g + (r % 2) * 8;
      const int dim = c * 16 + 2 * tq + (r / 2) * 8;
      float x0 = 0.0f;
      float x1 = 0.0f;
      if ((kHeadTiles == 2 || r % 2 == 0) && row < gqa) {
        const float* qp = a.q + static_cast<int64_t>(t) * a.q_stride + static_cast<int64_t>(h0 + row) * kD + dim;
        x0 = qp[0];
        x1 = qp[1];
      }
      qf[c][r] = pack_kv16x2<kE>(x0, x1);
    }
  }
}

// The block's warps' states, for store_block_partials (over the stages).
template <int kD, int kHeadTiles, int kWarps>
using Partials = BlockPartials<kWarps, 8 * kHeadTiles, kD>;

// The dynamic shared memory of a block: each warp's ring of stages (as the
// plan reckons it, attention_plan.h).
template <int kD, int kWarps>
constexpr int ring_bytes() {
  static_assert(kWarps * kStages * static_cast<int>(sizeof(Stage<kD>)) == decode_mma_ring_bytes(kD, kWarps));
  return decode_mma_ring_bytes(kD, kWarps);
}

// This warp's state into `mg`: o from the O^T layout of the main loop, m
// (to natural-log units) and l from the score layout (lane 4 g holds heads
// g and g + 8).
template <int kD, int kHeadTiles, int kWarps>
__device__ __forceinline__ void stash_state(Partials<kD, kHeadTiles, kWarps>& mg, const float (&o)[kD / 16][kHeadTiles][4],
                                            const float (&m)[kHeadTiles], const float (&l)[kHeadTiles]) {
  const int lane = static_cast<int>(threadIdx.x) % kLanes;
  const int warp = static_cast<int>(threadIdx.x) / kLanes;
  const int g = lane / 4;
  const int tq = lane % 4;
#pragma unroll
  for (int c = 0; c < kD / 16; ++c) {
#pragma unroll
    for (int ht = 0; ht < kHeadTiles; ++ht) {
#pragma unroll
      for (int e = 0; e < 4; ++e) mg.acc[warp][8 * ht + 2 * tq + e % 2][16 * c + g + 8 * (e / 2)] = o[c][ht][e];
    }
  }
#pragma unroll
  for (int rr = 0; rr < kHeadTiles; ++rr) {
    if (tq == 0) {
      mg.m[warp][8 * rr + g] = m[rr] * kLn2;
      mg.s[warp][8 * rr + g] = l[rr];
    }
  }
}

// With a.cluster: the blocks of one token and KV head are one cluster, one
// block a split. Each merges its warps' states (as store_block_partials
// does) into its own warp 0 slots; then block r writes every n_splits-th
// block of kThreads outputs from r on, merging the blocks' states, read from
// their shared memory, in split order as attention_merge_kernel does.
template <int kThreads, int kWarps, int kHeads, int kMaxD>
__device__ __forceinline__ void store_cluster_merged(const AttentionArgs& a, BlockPartials<kWarps, kHeads, kMaxD>& sm,
                                                     int64_t t, int h0, int nh) {
  static_assert(kHeads <= kThreads, "a thread a head");
  weigh_warps(sm, nh);
  const int n = nh * a.head_dim_v;
  for (int idx = threadIdx.x; idx < n; idx += kThreads) {
    const int g = idx / a.head_dim_v;
    const int d = idx % a.head_dim_v;
    sm.acc[0][g][d] = warps_value(sm, g, d);  // only this thread reads or writes (g, d)
  }
  cluster_sync();  // every block's merged state is in place
  const auto splits = static_cast<unsigned>(a.n_splits);
  for (int idx = static_cast<int>(threadIdx.x + cluster_rank() * kThreads); idx < n;
       idx += kThreads * static_cast<int>(splits)) {
    const int g = idx / a.head_dim_v;
    const int d = idx % a.head_dim_v;
    float big = -INFINITY;
    for (unsigned b = 0; b < splits; ++b) big = fmaxf(big, cluster_shared(&sm, b)->big[g]);
    float sum = 0.0f;
    float value = 0.0f;
    for (unsigned b = 0; b < splits; ++b) {
      const BlockPartials<kWarps, kHeads, kMaxD>* r = cluster_shared(&sm, b);
      const float m = r->big[g];
      const float f = m == -INFINITY ? 0.0f : expf(m - big);
      sum += r->sum[g] * f;
      value += r->acc[0][g][d] * f;
    }
    const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
    a.out[t * a.out_stride + static_cast<int64_t>(h0 + g) * a.head_dim_v + d] = value * inv;
  }
  cluster_sync_relaxed();  // no block leaves while another still reads its shared memory
}

// grid: (n_splits, n_head_kv, n_tokens); block: kWarps warps. The rows of the
// Q.K^T tile are the KV head's query heads (PTX's fragment layouts for
// mma.m16n8k16: lane = 4 g + tq holds rows g and g + 8), zero past gqa.
// P.V runs transposed, O^T = V^T P^T, value dims as the 16 rows and heads as
// the 8 columns: the score accumulators of heads g (g + 8) are then P^T's B
// fragments as they stand, and a tile of 8 heads costs kD / 16 mma a step
// where O = P V would cost kD / 8, half of them on padding rows at GQA <= 8.
// K fragments come by ldmatrix, V^T's by ldmatrix.trans. Warp w takes steps
// w, w + kWarps, ... of the split's keys, with its own online softmax.
// kCluster: launched in clusters (a.cluster), its own instance so that the
// others keep their registers.
template <int kD, int kHeadTiles, int kWarps, bool kCluster, KvElem kE>
// Wide blocks (one an SM) may take every register; narrow ones are left
// to ptxas, which gave them fewer.
__global__ void __launch_bounds__(kWarps * kLanes, kWarps == kDecodeMmaWideWarps ? 1 : 0)
    attention_decode_mma_kernel(AttentionArgs a) {
  constexpr int kChunks = kD / 16;  // k-steps of Q.K^T; row tiles of O^T
  extern __shared__ uint4 decode_smem[];
  auto* stages = reinterpret_cast<Stage<kD>(*)[kStages]>(decode_smem);

  const int lane = static_cast<int>(threadIdx.x) % kLanes;
  const int warp = static_cast<int>(threadIdx.x) / kLanes;
  const int t = static_cast<int>(blockIdx.z);
  const int kvh = static_cast<int>(blockIdx.y);
  const int gqa = a.n_head / a.n_head_kv;
  const int h0 = kvh * gqa;
  // The step's positions and block tables come from the host before the
  // step, not from the previous kernel: they, and the blocks of the first
  // steps' keys, are read while that kernel runs.
  // Key positions fit int32 (the batch's contract), so the range's ends do too.
  const KeyRange keys = split_key_range(a, a.positions[t], blockIdx.x);
  const auto lo = static_cast<int32_t>(keys.begin);
  const auto hi = static_cast<int32_t>(keys.end);
  const int32_t* table = a.block_tables + static_cast<int64_t>(a.token_seq[t]) * a.max_blocks;
  const int32_t j_first = lo / kStep * kStep;
  const int n_steps = lo < hi ? (hi - j_first + kStep - 1) / kStep : 0;
  const int my_steps = (n_steps - warp + kWarps - 1) / kWarps;
  auto step_key = [&](int i) { return j_first + (warp + i * kWarps) * kStep; };
  // Keys are never negative: unsigned division.
  auto step_block = [&](int i) {
    return table[static_cast<uint32_t>(step_key(i)) / static_cast<uint32_t>(a.block_size)];
  };
  int32_t first_blocks[kStages - 1];
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) first_blocks[i] = i < my_steps ? step_block(i) : 0;
  allow_next_then_wait();

  Stage<kD>* ring = stages[warp];
  auto issue = [&](int i, int32_t blk) {
    if (i < my_steps) {
      load_step<kD>(a, blk, kvh, step_key(i), lo, hi, ring[i % kStages]);
    } else {
      cp_async_commit();  // an empty group keeps the wait below counting the same
    }
  };
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) issue(i, first_blocks[i]);
  // The query after the first keys' copies: its loads' wait then overlaps theirs.
  uint32_t qf[kChunks][4];
  query_fragments<kD, kHeadTiles, kE>(a, t, h0, gqa, qf);

  float m[kHeadTiles];
  float l[kHeadTiles];
  float o[kChunks][kHeadTiles][4] = {};  // O^T: dims 16 c + g (+ 8), heads 8 ht + 2 tq (+ 1)
#pragma unroll
  for (int rr = 0; rr < kHeadTiles; ++rr) {
    m[rr] = -INFINITY;
    l[rr] = 0.0f;
  }
  const int mat = lane / 8;  // the 8x8 matrix whose row this lane addresses in ldmatrix
  const int mat_row = (mat / 2) * 8 + lane % 8;
  for (int i = 0; i < my_steps; ++i) {
    const int next = i + kStages - 1;
    issue(next, next < my_steps ? step_block(next) : 0);  // into the stage computed last step
    cp_async_wait<kStages - 1>();
    sync_warp();  // every lane's copies of this step are in place
    const Stage<kD>& st = ring[i % kStages];
    const int32_t j0 = step_key(i);
    // S = Q K^T: two n-tiles of 8 keys; K's B fragments by ldmatrix (rows: keys).
    float s[2][4] = {};
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      uint32_t r[4];
      ldmatrix_x4(r, &st.k[mat_row][Stage<kD>::col(mat_row, 2 * c + mat % 2)]);
      const uint32_t b0[2] = {r[0], r[1]};
      const uint32_t b1[2] = {r[2], r[3]};
      mma_kv16<kE>(s[0], qf[c], b0);
      mma_kv16<kE>(s[1], qf[c], b1);
    }
    float corr[kHeadTiles];
    softmax_step<kHeadTiles>(a, s, j0, lo, hi, m, l, corr);
    rescale<kD, kHeadTiles>(o, corr);
    // O^T += V^T P^T. P^T's B fragments: keys 2 tq (+ 1) and 8 + 2 tq (+ 1)
    // of head g (+ 8); V^T's A fragments by ldmatrix.trans.
    constexpr int kParts = kWeightParts<kE>;
    uint32_t pb[kParts][kHeadTiles][2];
#pragma unroll
    for (int ht = 0; ht < kHeadTiles; ++ht) {
      const PackedWeights w0 = pack_weights<kE>(s[0][2 * ht], s[0][2 * ht + 1]);
      const PackedWeights w1 = pack_weights<kE>(s[1][2 * ht], s[1][2 * ht + 1]);
#pragma unroll
      for (int part = 0; part < kParts; ++part) {
        pb[part][ht][0] = w0.part[part];
        pb[part][ht][1] = w1.part[part];
      }
    }
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      uint32_t r[4];
      ldmatrix_x4_trans(r, &st.v[mat_row][Stage<kD>::col(mat_row, 2 * c + mat % 2)]);
#pragma unroll
      for (int part = 0; part < kParts; ++part) {
#pragma unroll
        for (int ht = 0; ht < kHeadTiles; ++ht) mma_kv16<kE>(o[c][ht], r, pb[part][ht]);
      }
    }
    sync_warp();  // every lane is done with the stage before a copy refills it
  }
  cp_async_wait<0>();
  static_assert(sizeof(Partials<kD, kHeadTiles, kWarps>) <= ring_bytes<kD, kWarps>());
  __syncthreads();  // every warp is done with its stages: the merge takes them over
  auto& mg = *reinterpret_cast<Partials<kD, kHeadTiles, kWarps>*>(decode_smem);
  stash_state<kD, kHeadTiles, kWarps>(mg, o, m, l);
  __syncthreads();
  if constexpr (kCluster) {
    store_cluster_merged<kWarps * kLanes>(a, mg, t, h0, gqa);
  } else {
    store_block_partials<kWarps * kLanes>(a, mg, t, h0, gqa);
  }
}

template <int kD, int kHeadTiles, int kWarps, bool kCluster, KvElem kE>
Status launch_dw(const AttentionArgs& a, rt::Stream stream) {
  constexpr auto kernel = attention_decode_mma_kernel<kD, kHeadTiles, kWarps, kCluster, kE>;
  constexpr int kSmem = ring_bytes<kD, kWarps>();
  RF_TRY(RF_GPU_CHECK(rt::allow_dynamic_smem(kernel, kSmem)));
  const dim3 grid(static_cast<unsigned>(a.n_splits), static_cast<unsigned>(a.n_head_kv),
                  static_cast<unsigned>(a.n_tokens));
  if constexpr (kCluster) {
    return check(rt::launch_clustered_smem(kernel, grid, kWarps * kLanes, kSmem, static_cast<unsigned>(a.n_splits),
                                           stream, a),
                 "attention_decode_mma_kernel (clusters)");
  } else {
    return check(rt::launch_overlapped_smem(kernel, grid, kWarps * kLanes, kSmem, stream, a),
                 "attention_decode_mma_kernel");
  }
}

template <int kD, int kHeadTiles, KvElem kE>
Status launch_d(const AttentionArgs& a, rt::Stream stream) {
  if constexpr (kHasMma) {
    if (a.cluster) return launch_dw<kD, kHeadTiles, kDecodeMmaWideWarps, true, kE>(a, stream);
    if (a.decode_wide) return launch_dw<kD, kHeadTiles, kDecodeMmaWideWarps, false, kE>(a, stream);
    return launch_dw<kD, kHeadTiles, kDecodeMmaWarps, false, kE>(a, stream);
  } else {
    return RF_ERROR(kInternal, "tensor-core attention in a build without tensor cores");
  }
}

// Whether the device holds a cluster of this instance's wide blocks.
template <int kD, int kHeadTiles, KvElem kE>
Result<bool> cluster_fits(int max_block_smem) {
  if constexpr (kHasMma) {
    constexpr auto kernel = attention_decode_mma_kernel<kD, kHeadTiles, kDecodeMmaWideWarps, true, kE>;
    constexpr int kSmem = ring_bytes<kD, kDecodeMmaWideWarps>();
    if (kSmem > max_block_smem) return false;
    RF_TRY(RF_GPU_CHECK(rt::allow_dynamic_smem(kernel, kSmem)));
    int n = 0;
    RF_TRY(RF_GPU_CHECK(
        rt::max_active_clusters(kernel, kDecodeMmaWideWarps * kLanes, kSmem, kDecodeMmaClusterSplits, &n)));
    return n > 0;
  } else {
    return false;
  }
}

}  // namespace

Result<bool> attention_decode_mma_clusters_fit(int max_block_smem) {
  using Fits = Result<bool> (*)(int);
  constexpr KvElem kF16 = KvElem::kF16;
  constexpr KvElem kBF16 = KvElem::kBF16;
  for (const Fits fits : {cluster_fits<64, 1, kF16>, cluster_fits<64, 2, kF16>, cluster_fits<128, 1, kF16>,
                          cluster_fits<128, 2, kF16>, cluster_fits<64, 1, kBF16>, cluster_fits<64, 2, kBF16>,
                          cluster_fits<128, 1, kBF16>, cluster_fits<128, 2, kBF16>}) {
    if (!RF_TRY(fits(max_block_smem))) return false;
  }
  return true;
}

bool attention_decode_mma_fits(const AttentionArgs& a, KvTypes types, int warp_size) {
  const int32_t gqa = a.n_head_kv > 0 ? a.n_head / a.n_head_kv : 0;
  const bool dims = a.head_dim == a.head_dim_v && (a.head_dim == 64 || a.head_dim == 128);
  const bool aligned = reinterpret_cast<uintptr_t>(a.k_cache) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(a.v_cache) % 16 == 0 && a.k_row_bytes % 16 == 0 &&
                       a.v_row_bytes % 16 == 0;
  return kHasMma && warp_size == kLanes && kv_on_tensor_cores(types) && dims && gqa >= 1 && gqa <= kDecodeMmaHeads &&
         a.block_size > 0 && a.block_size % kStep == 0 && aligned && kv_slots_fit_32bit(a);
}

Status launch_attention_decode_mma(const AttentionArgs& a, KvTypes types, rt::Stream stream) {
  if (a.n_tokens == 0) return ok();
  if (a.n_tokens > 65535 || a.n_head_kv > 65535) {
    return RF_ERROR(kInternal, "attention grid too large: {} tokens x {} KV heads", a.n_tokens, a.n_head_kv);
  }
  using Launch = Status (*)(const AttentionArgs&, rt::Stream);
  const bool two_tiles = a.n_head / a.n_head_kv > 8;
  const auto pick = [&]<KvElem kE>() -> Launch {
    return a.head_dim == 64 ? (two_tiles ? launch_d<64, 2, kE> : launch_d<64, 1, kE>)
                            : (two_tiles ? launch_d<128, 2, kE> : launch_d<128, 1, kE>);
  };
  const Launch launch = types.k == gguf::GgmlType::kBF16 ? pick.template operator()<KvElem::kBF16>()
                                                         : pick.template operator()<KvElem::kF16>();
  if (a.cluster && (a.n_splits < 2 || a.n_splits > kDecodeMmaClusterSplits || !a.decode_wide)) {
    return RF_ERROR(kInternal, "decode attention in clusters of {} splits", a.n_splits);
  }
  RF_TRY(launch(a, stream));
  return a.n_splits == 1 || a.cluster ? ok() : launch_attention_merge(a, stream);
}

}  // namespace rocmforge::backend::gpu
