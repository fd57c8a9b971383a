// Turns the user's --device choice into a backend object.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/log.h"

namespace rocmforge::cli {

// device: "cpu", "gpu" or "auto" (a GPU when this build has one and one is
// present). A GPU backend may use gpu_mem_fraction of the device memory free
// at start (--gpu-mem-fraction). batch_invariant: a backend whose results
// for a sequence do not depend on the others batched with it (serving).
Result<std::unique_ptr<backend::Backend>> make_backend(const std::string& device, int n_threads,
                                                       const core::Logger& log, double gpu_mem_fraction = 0.9,
                                                       bool batch_invariant = false);

// The default thread count: the machine's hardware threads.
int default_threads();

}  // namespace rocmforge::cli
