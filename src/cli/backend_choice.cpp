#include "cli/backend_choice.h"

#include <thread>

#include "backend/cpu/cpu_backend.h"

namespace rocmforge::cli {

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

Result<std::unique_ptr<backend::Backend>> make_backend(const std::string& device, int n_threads,
                                                       const core::Logger& log) {
  if (n_threads <= 0 || n_threads > 1024) {
    return RF_ERROR(kInvalidArgument, "--threads must be between 1 and 1024, got {}", n_threads);
  }
  if (device == "gpu") {
    return RF_ERROR(kUnsupported, "--device gpu: this build has no GPU backend (build with make build-cuda or "
                                  "make build-hip)");
  }
  if (device == "auto") log.info("device: no GPU backend in this build, using the CPU");
  if (device != "cpu" && device != "auto") {
    return RF_ERROR(kInvalidArgument, "--device must be cpu, gpu or auto, got '{}'", device);
  }
  return std::unique_ptr<backend::Backend>(new backend::CpuBackend(n_threads));
}

}  // namespace rocmforge::cli
