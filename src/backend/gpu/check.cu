#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {

Status check(rt::Error code, const char* call, SourceLocation where) {
  if (code == rt::kSuccess) return ok();
  return Error(ErrorCode::kDevice,
               fmt::format("{} failed: {} ({})", call, rt::error_name(code), rt::error_string(code)), where);
}

}  // namespace rocmforge::backend::gpu
