// The matrix-vector kernels behind launch_matvec_t (included by the mm_<type>.cu
// instance files only).
//
// A block of kMatvecThreads threads owns kRowsPerBlock consecutive rows of
// one weight. Its threads stride over the rows' 32-element units (16-byte
// chunks for float weights; a 256-element type's unit is one of its 8
// sub-blocks): each loads one unit of activations per token, then that unit
// of each of the rows, so a warp reads 32 consecutive units of a row with
// wide coalesced loads. Partial sums meet in shared memory.
// (Measured on the H200: this beats one warp per row set, which keeps fewer
// loads in flight — bench/RESULTS-gpu-runs-1-14.md, run 2.)
#pragma once

#include <type_traits>

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kquant_types.cuh"
#include "backend/gpu/matmul.cuh"
#include "backend/gpu/kv_elem.cuh"
#include "backend/gpu/rope_heads.cuh"

namespace rocmforge::backend::gpu {

inline constexpr int kMatvecThreads = 128;

// Whether the one-token matvec kernel of a weight type must fit 16 blocks a
// multiprocessor (at most 32 registers a thread). The kernel is bound by
// the loads it keeps in flight, and the compiler's own choice leaves 12
// blocks (Q4_0, Q8_0: 36-40 registers) or 8-9 (the 256-element types:
// 54-61): Q4_K's tg128 gained 17% at 16 blocks on the H200
// (bench/RESULTS-gpu-runs-33-56.md, run 38), Q4_0's 6.5% (run 39), Q5_0's
// and Q5_1's 13-15% (run 41). The 32-element types fit 32 registers only
// in the lean loop below (kMatvecLeanLoop); in the other form Q4_0 and Q8_0
// spilled and lost 15% and 2%. Two keep the compiler's choice: IQ4_NL
// spills even in the lean loop (its level lookup), and Q4_1 lost 1.5% there
// (run 41).
template <gguf::GgmlType T, int kTok>
inline constexpr bool kMatvecSixteenBlocks =
    kTok == 1 && block_regions(T).qs != 0 && T != gguf::GgmlType::kIQ4_NL && T != gguf::GgmlType::kQ4_1;

// The loop form that keeps the one-token kernels of the 32-element types
// within 32 registers (30-32, no spills): 32-bit unit indices, the rows'
// addresses worked out once, and the block's operands worked out again
// after the loop instead of held through it. (The 256-element types spill
// in it; more tokens take more registers.)
template <gguf::GgmlType T, int kTok>
inline constexpr bool kMatvecLeanLoop = kMatvecSixteenBlocks<T, kTok> && block_regions(T).elems == kQuantBlock;

namespace detail {

// This block's weight rows, activation row and outputs: those of the part
// its grid.x index falls in, and in expert mode (grid.y = slots) of slot
// blockIdx.y's expert. False when that expert id is out of range (raised;
// the block then does nothing).
struct MatvecOperands {
  const uint8_t* w;  // the part's row 0
  size_t w_stride;
  int64_t rows;
  int64_t row0;  // first row of this block
  const uint8_t* xq;
  const float2* xds;
  float* out;
  int64_t out_stride;
  int part;  // index into MatvecArgs::parts
};

template <int kRowsPerBlock>
__device__ __forceinline__ bool matvec_operands(const MatvecArgs& a, MatvecOperands& o) {
  int p = 0;
#pragma unroll
  for (int i = 1; i < kMaxMatvecParts; ++i) {
    if (i < a.n_parts && blockIdx.x >= a.parts[i].first_block) p = i;
  }
  const MatvecArgs::Part& part = a.parts[p];
  o = {part.w, part.w_stride, part.rows, (blockIdx.x - part.first_block) * kRowsPerBlock, a.xq, a.xds, part.out,
       part.out_stride, p};
  if (a.experts.ids == nullptr) return true;
  const int64_t slot = blockIdx.y;
  const int32_t e = a.experts.ids[slot];
  if (e < 0 || e >= a.experts.n_expert) {
    if (threadIdx.x == 0) raise_device_error(a.experts.error_flag, DeviceError::kExpertOutOfRange);
    return false;
  }
  const int64_t src = slot / a.experts.x_div;
  o.w += static_cast<int64_t>(e) * part.rows * static_cast<int64_t>(part.w_stride);
  o.xq += src * static_cast<int64_t>(a.x_stride);
  if (o.xds != nullptr) o.xds += src * (a.cols / kQuantBlock);
  o.out += slot * part.out_stride;
  return true;
}


// The block's sums of its rows and tokens, reduced over its warps in shared memory.
template <int kRows, int kTok>
struct BlockSums {
  float partial[kMatvecThreads / kWarpSize][kRows * kTok];
  // Row r's sum for token t, the warps' parts added in warp order.
  __device__ float get(int r, int t) const {
    float s = 0.0f;
#pragma unroll
    for (int w = 0; w < kMatvecThreads / kWarpSize; ++w) s += partial[w][r * kTok + t];
    return s;
  }
};

// Sums acc over each warp into `sums`; every thread calls it.
template <int kRows, int kTok>
__device__ __forceinline__ void reduce(float (&acc)[kRows][kTok], BlockSums<kRows, kTok>& sums) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
#pragma unroll
    for (int t = 0; t < kTok; ++t) {
      const float v = warp_sum(acc[r][t]);
      if (lane == 0) sums.partial[warp][r * kTok + t] = v;
    }
  }
  __syncthreads();
}

// Sums acc over the block and hands the sums to Out::store, which writes
// them (PlainOut or RopeStoreOut, below).
template <class Out, int kRows, int kTok>
__device__ __forceinline__ void finish(float (&acc)[kRows][kTok], const MatvecOperands& o, const MatvecArgs& a,
                                       const typename Out::State& state) {
  __shared__ BlockSums<kRows, kTok> sums;
  reduce(acc, sums);
  Out::template store<kRows, kTok>(sums, o, a, state);
}

}  // namespace detail

// The plain product: out[t, row0 + r] for thread r * kTok + t.
struct PlainOut {
  struct State {};
  template <int kRows, int kTok>
  __device__ static State prepare(const detail::MatvecOperands&, const MatvecArgs&) {
    return {};
  }
  template <int kRows, int kTok>
  __device__ static void store(const detail::BlockSums<kRows, kTok>& sums, const detail::MatvecOperands& o,
                               const MatvecArgs& a, State) {
    if (threadIdx.x >= kRows * kTok) return;
    const int r = static_cast<int>(threadIdx.x) / kTok;
    const int t = static_cast<int>(threadIdx.x) % kTok;
    if (o.row0 + r < o.rows && t < a.n_tok) o.out[t * o.out_stride + o.row0 + r] = sums.get(r, t);
  }
};

// The epilogue that finishes a decode layer's Q, K and V products as the
// RoPE and KV store after them would (rope_store.cu), so a layer runs one
// kernel fewer. A block's rows come in adjacent pairs (head_dim and its
// first row are even): exactly the pairs RoPE's adjacent mode rotates, so
// the thread that sums a pair also turns it and stores it. The sums, the
// angle and the rotation are the separate kernels' arithmetic
// (BlockSums::get, rope_heads.cuh, kv_elem.cuh): the tensors and the cache
// hold the same bits either way.
//
// Parts 0, 1 and 2 are Q, K and V (MatvecArgs::rope). Thread j * kTok + t
// takes rows 2j and 2j + 1 of token t: rotated for Q and K within each
// head's first n_rot dims, written to the part's output, and for K and V
// also into the token's cache slot. A slot outside the pool raises
// kSlotOutOfRange and stores nothing.
template <KvElem kK, KvElem kV>
struct RopeStoreOut {
  // The pair's angle and the token's slot, worked out at the kernel's start
  // (prepare) so that their loads and arithmetic overlap the main loop's.
  struct State {
    float c = 1.0f;
    float s = 0.0f;
    int32_t slot = -1;
  };
  // Whether this thread holds a pair of the block's rows, and which.
  template <int kRows, int kTok>
  __device__ static bool pair(const detail::MatvecOperands& o, const MatvecArgs& a, int& j, int& t, int64_t& row) {
    static_assert(kRows % 2 == 0, "rows in pairs");
    if (threadIdx.x >= kRows / 2 * kTok) return false;
    j = static_cast<int>(threadIdx.x) / kTok;
    t = static_cast<int>(threadIdx.x) % kTok;
    row = o.row0 + 2 * j;
    return row < o.rows && t < a.n_tok;
  }
  template <int kRows, int kTok>
  __device__ static State prepare(const detail::MatvecOperands& o, const MatvecArgs& a) {
    State st;
    int j = 0;
    int t = 0;
    int64_t row = 0;
    if (!pair<kRows, kTok>(o, a, j, t, row)) return st;
    const MatvecRopeStore& rs = a.rope;
    const int64_t dim = row % rs.head_dim;
    if (o.part < 2 && dim < rs.n_rot) {
      rope_cos_sin(rs.k, rs.freq_scale, rs.ext_factor, rs.freq_factors, dim / 2, rs.positions[t], st.c, st.s);
    }
    if (o.part > 0) st.slot = rs.slots[t];
    return st;
  }
  template <int kRows, int kTok>
  __device__ static void store(const detail::BlockSums<kRows, kTok>& sums, const detail::MatvecOperands& o,
                               const MatvecArgs& a, const State& st) {
    int j = 0;
    int t = 0;
    int64_t row = 0;
    if (!pair<kRows, kTok>(o, a, j, t, row)) return;
    const MatvecRopeStore& rs = a.rope;
    float2 y = make_float2(sums.get(2 * j, t), sums.get(2 * j + 1, t));
    if (o.part < 2 && row % rs.head_dim < rs.n_rot) y = rotate_pair(y.x, y.y, st.c, st.s);
    float* out = o.out + t * o.out_stride + row;
    out[0] = y.x;
    out[1] = y.y;
    if (o.part == 0) return;
    if (st.slot < 0 || st.slot >= rs.n_slots) {
      if (o.part == 1 && row == 0) raise_device_error(rs.error_flag, DeviceError::kSlotOutOfRange);
      return;
    }
    const int64_t slot = st.slot;
    if (o.part == 1) {
      uint8_t* k_row = rs.k_cache + slot * static_cast<int64_t>(rs.k_row_bytes);
      store_kv_elem<kK>(k_row, row, y.x);
      store_kv_elem<kK>(k_row, row + 1, y.y);
    } else {
      uint8_t* v_row = rs.v_cache + slot * static_cast<int64_t>(rs.v_row_bytes);
      store_kv_elem<kV>(v_row, row, y.x);
      store_kv_elem<kV>(v_row, row + 1, y.y);
    }
  }
};

// Quantised weights against Q8 activations (the kernels below), kRows rows a block.
template <gguf::GgmlType T, int kTok, class Out, int kRows>
__device__ __forceinline__ void matvec_quant(const MatvecArgs& a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  using W = WeightType<T>;
  detail::MatvecOperands o;
  if (!detail::matvec_operands<kRows>(a, o)) return;
  const typename Out::State state = Out::template prepare<kRows, kTok>(o, a);
  const int64_t row0 = o.row0;
  constexpr bool kLean = kMatvecLeanLoop<T, kTok> && kRows == kMatvecRowsPerBlock<kTok>;
  using Index = std::conditional_t<kLean, int, int64_t>;
  const auto nb = static_cast<Index>(a.cols / kQuantBlock);
  const uint8_t* wrow[kRows] = {};
  bool live[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    live[r] = row0 + r < o.rows;
    if constexpr (kLean) wrow[r] = o.w + (row0 + r) * o.w_stride;
  }
  auto row = [&](int r) {
    if constexpr (kLean) return wrow[r];
    return o.w + (row0 + r) * o.w_stride;
  };
  float acc[kRows][kTok] = {};
  for (auto b = static_cast<Index>(threadIdx.x); b < nb; b += kMatvecThreads) {
    int x8[kTok][8];
    float2 ads[kTok];
#pragma unroll
    for (int t = 0; t < kTok; ++t) {
      if (t >= a.n_tok) continue;
      const uint4* p = reinterpret_cast<const uint4*>(o.xq + t * a.x_stride + b * kQuantBlock);
      const uint4 lo = p[0];
      const uint4 hi = p[1];
      x8[t][0] = static_cast<int>(lo.x);
      x8[t][1] = static_cast<int>(lo.y);
      x8[t][2] = static_cast<int>(lo.z);
      x8[t][3] = static_cast<int>(lo.w);
      x8[t][4] = static_cast<int>(hi.x);
      x8[t][5] = static_cast<int>(hi.y);
      x8[t][6] = static_cast<int>(hi.z);
      x8[t][7] = static_cast<int>(hi.w);
      ads[t] = o.xds[t * nb + b];
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (!live[r]) continue;
      const auto unit = W::unpack(W::load(row(r), nb, b));
#pragma unroll
      for (int t = 0; t < kTok; ++t) {
        if (t >= a.n_tok) continue;
        acc[r][t] += W::dot_q8(unit, x8[t], ads[t]);
      }
    }
  }
  if constexpr (kLean) detail::matvec_operands<kRows>(a, o);
  detail::finish<Out>(acc, o, a, state);
}

template <gguf::GgmlType T, int kTok, class Out>
__global__ void __launch_bounds__(kMatvecThreads) matvec_quant_kernel(MatvecArgs a) {
  matvec_quant<T, kTok, Out, kMatvecRowsPerBlock<kTok>>(a);
}

template <gguf::GgmlType T, int kTok, class Out>
__global__ void __launch_bounds__(kMatvecThreads, kMatvecOneTokenBlocksPerSm) matvec_quant_kernel_16(MatvecArgs a) {
  matvec_quant<T, kTok, Out, kMatvecRowsPerBlock<kTok>>(a);
}

// One token's Q+K+V in blocks of kMatvecQkvRows rows (MatvecArgs::four_rows),
// at least 12 blocks a multiprocessor: the grid's blocks fit in one wave.
template <gguf::GgmlType T, class Out>
__global__ void __launch_bounds__(kMatvecThreads, 12) matvec_quant_kernel_qkv(MatvecArgs a) {
  matvec_quant<T, 1, Out, kMatvecQkvRows>(a);
}

// F32/F16/BF16 weights against activations of the same type, 16 bytes per
// step; the last cols % kChunkElems elements one by one.
template <gguf::GgmlType T, int kTok, class Out>
__global__ void __launch_bounds__(kMatvecThreads) matvec_float_kernel(MatvecArgs a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  using W = WeightType<T>;
  constexpr int64_t kChunkBytes = 16;
  constexpr int kRows = kMatvecRowsPerBlock<kTok>;
  detail::MatvecOperands o;
  if (!detail::matvec_operands<kRows>(a, o)) return;
  const typename Out::State state = Out::template prepare<kRows, kTok>(o, a);
  const int64_t row0 = o.row0;
  const uint8_t* x = o.xq;
  const int64_t n_chunks = a.cols / W::kChunkElems;
  float acc[kRows][kTok] = {};
  for (int64_t c = threadIdx.x; c < n_chunks; c += kMatvecThreads) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (row0 + r >= o.rows) continue;
      const uint8_t* wp = o.w + (row0 + r) * o.w_stride + c * kChunkBytes;
#pragma unroll
      for (int t = 0; t < kTok; ++t) {
        if (t >= a.n_tok) continue;
        acc[r][t] += W::dot_chunk(wp, x + t * a.x_stride + c * kChunkBytes);
      }
    }
  }
  for (int64_t k = n_chunks * W::kChunkElems + threadIdx.x; k < a.cols; k += kMatvecThreads) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (row0 + r >= o.rows) continue;
      const float wv = W::elem(o.w + (row0 + r) * o.w_stride, k);
#pragma unroll
      for (int t = 0; t < kTok; ++t) {
        if (t >= a.n_tok) continue;
        acc[r][t] += wv * W::elem(x + t * a.x_stride, k);
      }
    }
  }
  detail::finish<Out>(acc, o, a, state);
}

template <gguf::GgmlType T, int kTok, class Out = PlainOut, int kRowsPerBlock = kMatvecRowsPerBlock<kTok>>
Status launch_matvec_tok(MatvecArgs args, rt::Stream stream) {
  int64_t blocks = 0;
  for (int i = 0; i < args.n_parts; ++i) {
    args.parts[i].first_block = blocks;
    blocks += (args.parts[i].rows + kRowsPerBlock - 1) / kRowsPerBlock;
  }
  const dim3 grid(static_cast<unsigned>(blocks),
                  static_cast<unsigned>(args.experts.ids != nullptr ? args.experts.n_slots : 1));
  if constexpr (kRowsPerBlock != kMatvecRowsPerBlock<kTok>) {
    static_assert(kTok == 1 && kRowsPerBlock == kMatvecQkvRows && matvec_qkv_four_rows(T));
    return check(rt::launch_overlapped(matvec_quant_kernel_qkv<T, Out>, grid, kMatvecThreads, stream, args),
                 "matvec_quant_kernel_qkv");
  } else if constexpr (kMatvecSixteenBlocks<T, kTok>) {
    return check(rt::launch_overlapped(matvec_quant_kernel_16<T, kTok, Out>, grid, kMatvecThreads, stream, args),
                 "matvec_quant_kernel_16");
  } else if constexpr (block_regions(T).qs != 0) {
    return check(rt::launch_overlapped(matvec_quant_kernel<T, kTok, Out>, grid, kMatvecThreads, stream, args),
                 "matvec_quant_kernel");
  } else {
    return check(rt::launch_overlapped(matvec_float_kernel<T, kTok, Out>, grid, kMatvecThreads, stream, args),
                 "matvec_float_kernel");
  }
}

// The Q+K+V launch with RoPE and the KV store (launch_matvec_rope_store checked the shapes).
template <gguf::GgmlType T, int kTok, int kRows>
Status launch_matvec_rope_store_rows(const MatvecArgs& args, rt::Stream stream) {
  const MatvecRopeStore& r = args.rope;
  if (r.k_f16 != r.v_f16) return RF_ERROR(kInternal, "RoPE and KV store in the matvec for K and V of two types");
  if (r.k_f16) return launch_matvec_tok<T, kTok, RopeStoreOut<KvElem::kF16, KvElem::kF16>, kRows>(args, stream);
  return launch_matvec_tok<T, kTok, RopeStoreOut<KvElem::kF32, KvElem::kF32>, kRows>(args, stream);
}

template <gguf::GgmlType T, int kTok>
Status launch_matvec_rope_store_tok(const MatvecArgs& args, rt::Stream stream) {
  if constexpr (kTok == 1 && matvec_qkv_four_rows(T)) {
    if (args.four_rows) return launch_matvec_rope_store_rows<T, 1, kMatvecQkvRows>(args, stream);
  }
  if (args.four_rows) return RF_ERROR(kInternal, "Q+K+V in blocks of {} rows", kMatvecQkvRows);
  return launch_matvec_rope_store_rows<T, kTok, kMatvecRowsPerBlock<kTok>>(args, stream);
}

template <gguf::GgmlType T>
Status launch_matvec_t(const MatvecArgs& args, rt::Stream stream) {
  if (args.rope.k_cache != nullptr) {
    static_assert(kMatvecRopeStoreTokens == 2);
    if (args.n_tok == 1) return launch_matvec_rope_store_tok<T, 1>(args, stream);
    return launch_matvec_rope_store_tok<T, 2>(args, stream);
  }
  if (args.n_tok == 1) return launch_matvec_tok<T, 1>(args, stream);
  if (args.n_tok == 2) return launch_matvec_tok<T, 2>(args, stream);
  if (args.n_tok <= 4) return launch_matvec_tok<T, 4>(args, stream);
  return launch_matvec_tok<T, 8>(args, stream);
}

}  // namespace rocmforge::backend::gpu
