// The GEMM on F16 activations instantiated for q8_0 weights.
#include "backend/gpu/gemm_a16_kernel.cuh"

namespace rocmforge::backend::gpu {

template Status launch_gemm_a16_t<gguf::GgmlType::kQ8_0>(const A16Args&, rt::Stream);

}  // namespace rocmforge::backend::gpu
