// Turns the user's --device choice into a backend object.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/log.h"

namespace rocmforge::cli {

// The device flags of run, serve and bench.
struct DeviceFlags {
  std::string device = "auto";  // "cpu", "gpu" or "auto" (a GPU when the build has one and one is present)
  double gpu_mem_fraction = 0.9;     // share of the device memory free at start that the backend may use
  std::string gpu_f16_weights = "auto";  // F16 copies of quantised weights for prompt GEMMs: auto, on or off
};

void add_device_flags(CLI::App& app, DeviceFlags& flags);

// batch_invariant: a backend whose results for a sequence do not depend on
// the others batched with it (serving); decode_rows: the most sequences a
// step decodes, which picks its kernels (0: not known).
Result<std::unique_ptr<backend::Backend>> make_backend(const DeviceFlags& flags, int n_threads,
                                                       const core::Logger& log, bool batch_invariant = false,
                                                       int64_t decode_rows = 0);

// The default thread count: the machine's hardware threads.
int default_threads();

}  // namespace rocmforge::cli
