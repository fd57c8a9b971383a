#include "backend/gpu/device_error.cuh"

namespace rocmforge::backend::gpu {

const char* device_error_text(DeviceError e) {
  switch (e) {
    case DeviceError::kNone:
      return "no error";
    case DeviceError::kTokenOutOfRange:
      return "a token id is outside the embedding table";
    case DeviceError::kSlotOutOfRange:
      return "a KV slot is outside the cache pool";
    case DeviceError::kBlockOutOfRange:
      return "a block table entry is outside the cache pool";
    case DeviceError::kRowOutOfRange:
      return "a gathered row is outside its source";
    case DeviceError::kExpertOutOfRange:
      return "an expert id is outside the expert stack";
  }
  return "an unknown device error";
}

}  // namespace rocmforge::backend::gpu
