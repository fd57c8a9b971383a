#include "backend/gpu/attention.cuh"

#include <algorithm>

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

// Merges the splits of one (token, head): out = sum(acc_i e^(m_i - M)) / sum(s_i e^(m_i - M)).
// grid: n_tokens * n_head; block: kAttnThreads over the value dims.
__global__ void __launch_bounds__(kAttnThreads) attention_merge_kernel(AttentionArgs a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t th = blockIdx.x;  // token * n_head + head
  const int64_t t = th / a.n_head;
  const int64_t h = th % a.n_head;
  const float2* ms = a.part_ms + th * a.n_splits;
  float big = -INFINITY;
  for (int i = 0; i < a.n_splits; ++i) big = fmaxf(big, ms[i].x);
  float sum = 0.0f;
  for (int i = 0; i < a.n_splits; ++i) sum += ms[i].x == -INFINITY ? 0.0f : ms[i].y * expf(ms[i].x - big);
  const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
  const float* acc = a.part_acc + th * a.n_splits * a.head_dim_v;
  for (int d = threadIdx.x; d < a.head_dim_v; d += kAttnThreads) {
    float value = 0.0f;
    for (int i = 0; i < a.n_splits; ++i) {
      if (ms[i].x != -INFINITY) value += acc[static_cast<int64_t>(i) * a.head_dim_v + d] * expf(ms[i].x - big);
    }
    a.out[t * a.out_stride + h * a.head_dim_v + d] = value * inv;
  }
}

}  // namespace

int64_t attention_partial_floats(int64_t n_tokens, int64_t n_head, int64_t n_splits, int64_t head_dim_v) {
  if (n_splits <= 1) return 0;
  return n_tokens * n_head * n_splits * (head_dim_v + 2);
}

int32_t attention_row_splits(int64_t max_keys) {
  return static_cast<int32_t>(std::clamp<int64_t>((max_keys + kRowSplitKeys - 1) / kRowSplitKeys, 1, kRowSplits));
}

Status launch_attention(const AttentionArgs& args, KvTypes cache_types, int warp_size, rt::Stream stream) {
  if (args.n_tokens == 0) return ok();
  if (args.n_tokens > 65535 || args.n_head_kv * args.head_groups > 65535) {
    return RF_ERROR(kInternal, "attention grid too large: {} tokens x {} head blocks", args.n_tokens,
                    args.n_head_kv * args.head_groups);
  }
  const int32_t dims = std::max(args.head_dim, args.head_dim_v);
  // Each lane holds a slice of kMaxD / warp_size dims: heads must be whole
  // slices (then a slice never straddles a Q8_0 block either).
  auto fits = [&](int32_t max_d) {
    const int32_t slice = std::max(1, max_d / warp_size);
    return args.head_dim % slice == 0 && args.head_dim_v % slice == 0;
  };
  if (dims <= 64 && fits(64)) {
    RF_TRY(launch_attention_d<64>(args, cache_types, stream));
  } else if (dims <= 128 && fits(128)) {
    RF_TRY(launch_attention_d<128>(args, cache_types, stream));
  } else if (dims <= 256 && fits(256)) {
    RF_TRY(launch_attention_d<256>(args, cache_types, stream));
  } else {
    return RF_ERROR(kUnsupported, "no GPU attention for heads of {} (K) and {} (V) dims", args.head_dim,
                    args.head_dim_v);
  }
  return args.n_splits == 1 ? ok() : launch_attention_merge(args, stream);
}

Status launch_attention_merge(const AttentionArgs& args, rt::Stream stream) {
  const dim3 grid(static_cast<unsigned>(static_cast<int64_t>(args.n_tokens) * args.n_head));
  return check(rt::launch_overlapped(attention_merge_kernel, grid, kAttnThreads, stream, args), "attention_merge_kernel");
}

}  // namespace rocmforge::backend::gpu
