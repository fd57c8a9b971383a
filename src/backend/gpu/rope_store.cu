#include "backend/gpu/rope_store.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kv_elem.cuh"
#include "backend/gpu/rope_heads.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 128;

// What the kernel stores, beside what it rotates.
struct StoreArgs {
  const float* k;  // [n_tokens, k_stride]: the last target, whose unrotated dims are copied as they are
  int64_t k_stride;
  int64_t k_head0;  // K's first head among the heads of all targets
  int64_t k_rest;   // head_dim - n_rot: the unrotated dims of a head
  int64_t n_head_kv;
  const float* v;  // [n_tokens, v_stride]
  int64_t v_stride;
  int64_t v_width;       // n_head_kv * head_dim_v
  const int32_t* slots;  // [n_tokens]
  int64_t n_slots;
  uint8_t* k_cache;  // [n_slots, k_row_bytes]
  size_t k_row_bytes;
  uint8_t* v_cache;  // [n_slots, v_row_bytes]
  size_t v_row_bytes;
  uint32_t rope_blocks;    // blocks along x that rotate; then those that copy K's unrotated dims,
  uint32_t k_rest_blocks;  // then those that copy V
  bool v_vec;              // V rows of whole float4s, 16-byte aligned: four elements a thread
  uint32_t* error_flag;
};

// Elements e..e+3 of a cache row, as store_kv_elem would store them one by one.
template <KvElem E>
__device__ __forceinline__ void store_kv_elem4(uint8_t* row, int64_t e, float4 x) {
  static_assert(E != KvElem::kQ8_0, "Q8_0 caches take the separate store");
  if constexpr (E == KvElem::kF16) {
    *reinterpret_cast<uint2*>(row + 2 * e) = make_uint2(pack_f16x2(x.x, x.y), pack_f16x2(x.z, x.w));
  } else {
    *reinterpret_cast<float4*>(row + 4 * e) = x;
  }
}

// Token blockIdx.y. Blocks [0, rope_blocks) rotate as rope_kernel does and
// store each rotated element of K as store_kv_kernel would store it; the
// blocks after them copy K's unrotated dims an element a thread, then the
// V row, four elements a thread where its rows allow (a 512-token prompt's
// V took 8 of a token's 11 blocks an element a thread). A bad slot stops
// the stores, not the rotation.
template <KvElem kK, KvElem kV>
__global__ void __launch_bounds__(kThreads)
    rope_store_kernel(const int32_t* __restrict__ positions,  // [n_tokens]
                      RopeHeads a, StoreArgs s) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t t = blockIdx.y;
  const int64_t slot = s.slots[t];
  const bool stored = slot >= 0 && slot < s.n_slots;
  if (!stored && blockIdx.x == 0 && threadIdx.x == 0) raise_device_error(s.error_flag, DeviceError::kSlotOutOfRange);
  uint8_t* k_row = stored ? s.k_cache + slot * s.k_row_bytes : nullptr;
  if (blockIdx.x < s.rope_blocks) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    rotate_heads(a, t, positions[t], i, [&](int64_t head, int64_t ia, int64_t ib, float ya, float yb) {
      if (k_row == nullptr || head < s.k_head0) return;
      const int64_t e = (head - s.k_head0) * a.head_dim;
      store_kv_elem<kK>(k_row, e + ia, ya);
      store_kv_elem<kK>(k_row, e + ib, yb);
    });
    return;
  }
  if (k_row == nullptr) return;
  if (blockIdx.x < s.rope_blocks + s.k_rest_blocks) {
    const int64_t j = static_cast<int64_t>(blockIdx.x - s.rope_blocks) * kThreads + threadIdx.x;
    if (j < s.n_head_kv * s.k_rest) {
      const int64_t e = j / s.k_rest * a.head_dim + a.n_rot + j % s.k_rest;
      store_kv_elem<kK>(k_row, e, s.k[t * s.k_stride + e]);
    }
    return;
  }
  const int64_t j = static_cast<int64_t>(blockIdx.x - s.rope_blocks - s.k_rest_blocks) * kThreads + threadIdx.x;
  uint8_t* v_row = s.v_cache + slot * s.v_row_bytes;
  const float* v = s.v + t * s.v_stride;
  if (s.v_vec) {
    if (4 * j < s.v_width) store_kv_elem4<kV>(v_row, 4 * j, *reinterpret_cast<const float4*>(v + 4 * j));
  } else if (j < s.v_width) {
    store_kv_elem<kV>(v_row, j, v[j]);
  }
}

bool plain(gguf::GgmlType type) { return type == gguf::GgmlType::kF32 || type == gguf::GgmlType::kF16; }

}  // namespace

bool rope_store_supports(const KvLayout& layout) { return plain(layout.types.k) && plain(layout.types.v); }

Status launch_rope_store(std::span<const RopeTarget> targets, int64_t n_tokens, const int32_t* positions,
                         const RopeParams& p, const float* v, int64_t v_stride, const int32_t* slots,
                         const KvLayerView& kv, const KvLayout& layout, uint32_t* error_flag, rt::Stream stream) {
  if (targets.empty() || targets.size() > kMaxRopeTargets) {
    return RF_ERROR(kInternal, "{} RoPE targets in one launch", targets.size());
  }
  if (!rope_store_supports(layout)) {
    return RF_ERROR(kInternal, "RoPE with the store of a {} (K) and {} (V) cache", gguf::ggml_type_name(layout.types.k),
                    gguf::ggml_type_name(layout.types.v));
  }
  const RopeTarget& k = targets.back();
  if (k.n_heads != layout.n_head_kv || p.head_dim != layout.head_dim || p.n_rot > p.head_dim) {
    return RF_ERROR(kInternal, "RoPE of {} heads of {} ({} rotated) stored as {} KV heads of {}", k.n_heads,
                    p.head_dim, p.n_rot, layout.n_head_kv, layout.head_dim);
  }
  if (n_tokens == 0) return ok();
  if (n_tokens > 65535) return RF_ERROR(kInternal, "{} tokens in one RoPE launch", n_tokens);
  const RopeHeads heads = rope_heads(targets, p);
  const int64_t rope_blocks = p.n_rot == 0 ? 0 : (rope_threads(heads) + kThreads - 1) / kThreads;
  const int64_t v_width = layout.n_head_kv * layout.head_dim_v;
  const bool v_vec = v_width % 4 == 0 && v_stride % 4 == 0 && aligned16(v) && aligned16(kv.v) &&
                     layout.v_row_bytes() % 16 == 0;
  const int64_t k_rest_blocks = (layout.n_head_kv * (p.head_dim - p.n_rot) + kThreads - 1) / kThreads;
  const int64_t v_blocks = (v_width / (v_vec ? 4 : 1) + kThreads - 1) / kThreads;
  const StoreArgs s{k.x,
                    k.x_stride,
                    heads.n_heads - k.n_heads,
                    p.head_dim - p.n_rot,
                    layout.n_head_kv,
                    v,
                    v_stride,
                    v_width,
                    slots,
                    layout.slots(),
                    static_cast<uint8_t*>(kv.k),
                    layout.k_row_bytes(),
                    static_cast<uint8_t*>(kv.v),
                    layout.v_row_bytes(),
                    static_cast<uint32_t>(rope_blocks),
                    static_cast<uint32_t>(k_rest_blocks),
                    v_vec,
                    error_flag};
  const dim3 grid(static_cast<unsigned>(rope_blocks + k_rest_blocks + v_blocks), static_cast<unsigned>(n_tokens));
  auto launch = [&]<KvElem kK, KvElem kV>() {
    return check(rt::launch_overlapped(rope_store_kernel<kK, kV>, grid, kThreads, stream, positions, heads, s),
                 "rope_store_kernel");
  };
  const bool k16 = layout.types.k == gguf::GgmlType::kF16;
  const bool v16 = layout.types.v == gguf::GgmlType::kF16;
  if (k16) {
    return v16 ? launch.template operator()<KvElem::kF16, KvElem::kF16>()
               : launch.template operator()<KvElem::kF16, KvElem::kF32>();
  }
  return v16 ? launch.template operator()<KvElem::kF32, KvElem::kF16>()
             : launch.template operator()<KvElem::kF32, KvElem::kF32>();
}

}  // namespace rocmforge::backend::gpu
