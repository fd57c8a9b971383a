// From a weight type known at run time to the kernel instantiated for it.
#pragma once

#include "gguf/ggml_type.h"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Calls Fn<T>::run(args...) for the weight type `type`; kUnsupported (naming
// `op`) for a type the GPU kernels do not handle.
template <template <gguf::GgmlType> class Fn, class... Args>
Status dispatch_weight_type(gguf::GgmlType type, const char* op, const Args&... args) {
  using gguf::GgmlType;
  switch (type) {
    case GgmlType::kF32:
      return Fn<GgmlType::kF32>::run(args...);
    case GgmlType::kF16:
      return Fn<GgmlType::kF16>::run(args...);
    case GgmlType::kBF16:
      return Fn<GgmlType::kBF16>::run(args...);
    case GgmlType::kQ4_0:
      return Fn<GgmlType::kQ4_0>::run(args...);
    case GgmlType::kQ4_1:
      return Fn<GgmlType::kQ4_1>::run(args...);
    case GgmlType::kQ5_0:
      return Fn<GgmlType::kQ5_0>::run(args...);
    case GgmlType::kQ5_1:
      return Fn<GgmlType::kQ5_1>::run(args...);
    case GgmlType::kQ8_0:
      return Fn<GgmlType::kQ8_0>::run(args...);
    case GgmlType::kIQ4_NL:
      return Fn<GgmlType::kIQ4_NL>::run(args...);
    case GgmlType::kQ2_K:
      return Fn<GgmlType::kQ2_K>::run(args...);
    case GgmlType::kQ3_K:
      return Fn<GgmlType::kQ3_K>::run(args...);
    case GgmlType::kQ4_K:
      return Fn<GgmlType::kQ4_K>::run(args...);
    case GgmlType::kQ5_K:
      return Fn<GgmlType::kQ5_K>::run(args...);
    case GgmlType::kQ6_K:
      return Fn<GgmlType::kQ6_K>::run(args...);
    case GgmlType::kIQ4_XS:
      return Fn<GgmlType::kIQ4_XS>::run(args...);
    default:
      return RF_ERROR(kUnsupported, "no GPU {} for {} weights", op, gguf::ggml_type_name(type));
  }
}

}  // namespace rocmforge::backend::gpu
