#include "cli/backend_choice.h"

#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/gpu_backend.h"

namespace rocmforge::cli {

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

Result<std::unique_ptr<backend::Backend>> make_backend(const std::string& device, int n_threads,
                                                       const core::Logger& log, double gpu_mem_fraction,
                                                       bool batch_invariant) {
  if (n_threads <= 0 || n_threads > 1024) {
    return RF_ERROR(kInvalidArgument, "--threads must be between 1 and 1024, got {}", n_threads);
  }
  if (device != "cpu" && device != "gpu" && device != "auto") {
    return RF_ERROR(kInvalidArgument, "--device must be cpu, gpu or auto, got '{}'", device);
  }
  if (device == "gpu" || (device == "auto" && backend::gpu::device_count() > 0)) {
    return backend::gpu::create_backend({0, gpu_mem_fraction, batch_invariant});
  }
  if (device == "auto") {
    log.info("device: {}, using the CPU",
             backend::gpu::built_with_gpu() ? "no GPU found" : "no GPU backend in this build");
  }
  return std::unique_ptr<backend::Backend>(new backend::CpuBackend(n_threads, batch_invariant));
}

}  // namespace rocmforge::cli
