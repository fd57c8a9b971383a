// The GPU entry points of a build without GPU support.
#include "backend/gpu/gpu_backend.h"

namespace rocmforge::backend::gpu {

bool built_with_gpu() { return false; }

int device_count() { return 0; }

Result<std::unique_ptr<Backend>> create_backend(const GpuOptions&) {
  return RF_ERROR(kUnsupported, "this build has no GPU backend (build with make build-cuda or make build-hip)");
}

}  // namespace rocmforge::backend::gpu
