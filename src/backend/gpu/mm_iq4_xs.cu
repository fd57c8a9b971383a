// The matrix kernels instantiated for iq4_xs weights.
#include "backend/gpu/gemm_kernel.cuh"
#include "backend/gpu/matvec_kernel.cuh"

namespace rocmforge::backend::gpu {

template Status launch_matvec_t<gguf::GgmlType::kIQ4_XS>(const MatvecArgs&, rt::Stream);
template Status launch_gemm_t<gguf::GgmlType::kIQ4_XS>(const GemmArgs&, rt::Stream);

}  // namespace rocmforge::backend::gpu
