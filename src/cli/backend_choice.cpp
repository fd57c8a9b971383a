#include "cli/backend_choice.h"

#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/gpu_backend.h"

namespace rocmforge::cli {
namespace {

Result<backend::gpu::F16CopyMode> parse_f16_copies(const std::string& name) {
  using backend::gpu::F16CopyMode;
  if (name == "auto") return F16CopyMode::kAuto;
  if (name == "on") return F16CopyMode::kOn;
  if (name == "off") return F16CopyMode::kOff;
  return RF_ERROR(kInvalidArgument, "--gpu-f16-weights must be auto, on or off, got '{}'", name);
}

}  // namespace

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void add_device_flags(CLI::App& app, DeviceFlags& flags) {
  app.add_option("--device", flags.device, "cpu, gpu or auto");
  app.add_option("--gpu-mem-fraction", flags.gpu_mem_fraction,
                 "Share of the free GPU memory to use (weights, then the KV cache takes what is left)");
  app.add_option("--gpu-f16-weights", flags.gpu_f16_weights,
                 "Keep an F16 copy of each quantised layer weight for prompt GEMMs, which then skip a "
                 "dequantising pass a step: auto (when weights and copies take at most half the GPU memory "
                 "budget; never with batch-invariant kernels), on or off");
}

Result<std::unique_ptr<backend::Backend>> make_backend(const DeviceFlags& flags, int n_threads,
                                                       const core::Logger& log, bool batch_invariant,
                                                       int64_t decode_rows) {
  if (n_threads <= 0 || n_threads > 1024) {
    return RF_ERROR(kInvalidArgument, "--threads must be between 1 and 1024, got {}", n_threads);
  }
  const std::string& device = flags.device;
  if (device != "cpu" && device != "gpu" && device != "auto") {
    return RF_ERROR(kInvalidArgument, "--device must be cpu, gpu or auto, got '{}'", device);
  }
  const backend::gpu::F16CopyMode f16_copies = RF_TRY(parse_f16_copies(flags.gpu_f16_weights));
  if (device == "gpu" || (device == "auto" && backend::gpu::device_count() > 0)) {
    return backend::gpu::create_backend({0, flags.gpu_mem_fraction, batch_invariant, decode_rows, f16_copies});
  }
  if (device == "auto") {
    log.info("device: {}, using the CPU",
             backend::gpu::built_with_gpu() ? "no GPU found" : "no GPU backend in this build");
  }
  return std::unique_ptr<backend::Backend>(new backend::CpuBackend(n_threads, batch_invariant));
}

}  // namespace rocmforge::cli
