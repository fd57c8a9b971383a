// Turning a vendor runtime code into the project's Error, with the call and
// the call site: `RF_TRY(RF_GPU_CHECK(rt::stream_sync(stream)));`.
#pragma once

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// ok() for rt::kSuccess; otherwise a kDevice Error naming `call` and the
// vendor's error, located at `where`.
Status check(rt::Error code, const char* call, SourceLocation where = SourceLocation::current());

// The launch status of the kernels queued just before (a bad configuration,
// no kernel image for this device), checked after every launch.
inline Status check_launch(const char* kernel, SourceLocation where = SourceLocation::current()) {
  return check(rt::get_last_error(), kernel, where);
}

}  // namespace rocmforge::backend::gpu

// A macro only to capture the call's text; the location comes from check()'s default argument.
#define RF_GPU_CHECK(call) ::rocmforge::backend::gpu::check((call), #call)
