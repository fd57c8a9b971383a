// Bad input found by a kernel (a token id or KV slot out of range) is not
// skipped silently: the kernel records a code in one device word, which the
// backend reads back whenever it waits for the device and turns into an Error.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"

namespace rocmforge::backend::gpu {

enum class DeviceError : uint32_t {
  kNone = 0,
  kTokenOutOfRange = 1,  // embed: an id outside the table
  kSlotOutOfRange = 2,   // store_kv: a slot outside the KV pool
  kBlockOutOfRange = 3,  // attention: a block table entry outside the pool
  kRowOutOfRange = 4,    // gather_rows: a row outside the source
  kExpertOutOfRange = 5,  // matmul_experts: an expert id outside the stack
};

const char* device_error_text(DeviceError e);

// Keeps the first error raised.
__device__ __forceinline__ void raise_device_error(uint32_t* flag, DeviceError e) {
  atomicCAS(flag, 0u, static_cast<uint32_t>(e));
}

}  // namespace rocmforge::backend::gpu
