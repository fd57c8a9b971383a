// The KV cache's element types on the device (layout: backend/kv_layout.h):
// reading a lane's slice of a cached row as floats, writing one element, and
// the dispatch from the layout's types to kernel template arguments.
//
// F16 and BF16 rows are 16-bit elements (BF16: the top half of the F32).
// A Q8_0 row is ggml's 34-byte blocks (F16 scale d, then 32 int8 quants)
// over the whole slot row; element e sits in block e / 32 at quant e % 32
// and reads as d * q, the CPU's dequantisation.
#pragma once

#include <cstdint>
#include <optional>

#include "backend/gpu/compat.cuh"
#include "backend/kv_layout.h"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

enum class KvElem { kF32, kF16, kBF16, kQ8_0 };

inline constexpr int kKvQ8Block = 32;       // elements of a Q8_0 block
inline constexpr int kKvQ8BlockBytes = 34;  // its F16 scale and quants

// kN consecutive elements e, e + 1, ... of a cached row as floats. The
// caller keeps the slice inside one Q8_0 block and e a multiple of kN.
template <int kN, KvElem E>
__device__ __forceinline__ void load_kv(const uint8_t* row, int64_t e, float (&v)[kN]) {
  if constexpr (E == KvElem::kQ8_0) {
    const uint8_t* block = row + (e / kKvQ8Block) * kKvQ8BlockBytes;
    const float d = f16_to_f32(*reinterpret_cast<const uint16_t*>(block));
    const auto* qs = reinterpret_cast<const int8_t*>(block + 2) + e % kKvQ8Block;
    if constexpr (kN == 1) {
      v[0] = static_cast<float>(qs[0]) * d;
    } else {
      // Quants are only 2-byte aligned (34-byte blocks): pairs at a time.
#pragma unroll
      for (int i = 0; i < kN / 2; ++i) {
        const uint16_t w = reinterpret_cast<const uint16_t*>(qs)[i];
        v[2 * i] = static_cast<float>(static_cast<int8_t>(w & 0xFFu)) * d;
        v[2 * i + 1] = static_cast<float>(static_cast<int8_t>(w >> 8)) * d;
      }
    }
  } else if constexpr (E == KvElem::kF16 || E == KvElem::kBF16) {
    const auto* h = reinterpret_cast<const uint16_t*>(row) + e;
    const auto to_f32 = [](uint32_t bits) {
      const auto half = static_cast<uint16_t>(bits & 0xFFFFu);
      return E == KvElem::kF16 ? f16_to_f32(half) : bf16_to_f32(half);
    };
    if constexpr (kN == 8) {
      const uint4 r = *reinterpret_cast<const uint4*>(h);
      const uint32_t w[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        v[2 * i] = to_f32(w[i]);
        v[2 * i + 1] = to_f32(w[i] >> 16);
      }
    } else if constexpr (kN == 4) {
      const uint2 r = *reinterpret_cast<const uint2*>(h);
      v[0] = to_f32(r.x);
      v[1] = to_f32(r.x >> 16);
      v[2] = to_f32(r.y);
      v[3] = to_f32(r.y >> 16);
    } else if constexpr (kN == 2) {
      const uint32_t r = *reinterpret_cast<const uint32_t*>(h);
      v[0] = to_f32(r);
      v[1] = to_f32(r >> 16);
    } else {
      v[0] = to_f32(h[0]);
    }
  } else {
    const auto* f = reinterpret_cast<const float*>(row) + e;
    if constexpr (kN % 4 == 0) {
#pragma unroll
      for (int i = 0; i < kN / 4; ++i) {
        const float4 r = reinterpret_cast<const float4*>(f)[i];
        v[4 * i] = r.x;
        v[4 * i + 1] = r.y;
        v[4 * i + 2] = r.z;
        v[4 * i + 3] = r.w;
      }
    } else if constexpr (kN == 2) {
      const float2 r = *reinterpret_cast<const float2*>(f);
      v[0] = r.x;
      v[1] = r.y;
    } else {
      v[0] = f[0];
    }
  }
}

// d = amax / 127 (stored as F16) and q = round_half_even(x * (127 / amax))
// over the `group` lanes (a power of two up to 32, aligned) that hold one
// group's values: the CPU's quantize_row_q8_0. Every lane of the warp calls
// it; `amax` is this lane's largest |value|. Returns 127 / amax (0 for a
// group of zeros) and sets d.
__device__ __forceinline__ float q8_0_scale(float amax, int group, float& d) {
  for (int mask = group / 2; mask > 0; mask >>= 1) amax = fmaxf(amax, shfl_xor(amax, mask));
  d = amax / 127.0f;
  return amax != 0.0f ? 127.0f / amax : 0.0f;
}

// Element e of a cached row set to x. For Q8_0 the 32 lanes holding one
// block (consecutive lanes, e % 32 == lane % 32) call it together.
template <KvElem E>
__device__ __forceinline__ void store_kv_elem(uint8_t* row, int64_t e, float x) {
  if constexpr (E == KvElem::kQ8_0) {
    float d = 0.0f;
    const float id = q8_0_scale(fabsf(x), kKvQ8Block, d);
    uint8_t* block = row + (e / kKvQ8Block) * kKvQ8BlockBytes;
    reinterpret_cast<int8_t*>(block + 2)[e % kKvQ8Block] = static_cast<int8_t>(__float2int_rn(x * id));
    if (e % kKvQ8Block == 0) *reinterpret_cast<uint16_t*>(block) = f32_to_f16(d);
  } else if constexpr (E == KvElem::kF16) {
    reinterpret_cast<uint16_t*>(row)[e] = f32_to_f16(x);
  } else if constexpr (E == KvElem::kBF16) {
    reinterpret_cast<uint16_t*>(row)[e] = f32_to_bf16(x);
  } else {
    reinterpret_cast<float*>(row)[e] = x;
  }
}

inline std::optional<KvElem> kv_elem(gguf::GgmlType type) {
  switch (type) {
    case gguf::GgmlType::kF32:
      return KvElem::kF32;
    case gguf::GgmlType::kF16:
      return KvElem::kF16;
    case gguf::GgmlType::kBF16:
      return KvElem::kBF16;
    case gguf::GgmlType::kQ8_0:
      return KvElem::kQ8_0;
    default:
      return std::nullopt;
  }
}

// Calls fn.template operator()<K, V>() for the layout's K and V types;
// kUnsupported for a type the device code does not hold.
template <class Fn>
Status with_kv_elems(KvTypes types, Fn&& fn) {
  const std::optional<KvElem> k = kv_elem(types.k);
  const std::optional<KvElem> v = kv_elem(types.v);
  if (!k || !v) {
    return RF_ERROR(kUnsupported, "no GPU KV cache of {} (K) and {} (V)", gguf::ggml_type_name(types.k),
                    gguf::ggml_type_name(types.v));
  }
  auto with_v = [&]<KvElem kK>() -> Status {
    switch (*v) {
      case KvElem::kF32:
        return fn.template operator()<kK, KvElem::kF32>();
      case KvElem::kF16:
        return fn.template operator()<kK, KvElem::kF16>();
      case KvElem::kBF16:
        return fn.template operator()<kK, KvElem::kBF16>();
      case KvElem::kQ8_0:
        break;
    }
    return fn.template operator()<kK, KvElem::kQ8_0>();
  };
  switch (*k) {
    case KvElem::kF32:
      return with_v.template operator()<KvElem::kF32>();
    case KvElem::kF16:
      return with_v.template operator()<KvElem::kF16>();
    case KvElem::kBF16:
      return with_v.template operator()<KvElem::kBF16>();
    case KvElem::kQ8_0:
      break;
  }
  return with_v.template operator()<KvElem::kQ8_0>();
}

}  // namespace rocmforge::backend::gpu
