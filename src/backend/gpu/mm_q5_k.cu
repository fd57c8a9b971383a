// The matrix kernels instantiated for q5_k weights.
#include "backend/gpu/gemm_kernel.cuh"
#include "backend/gpu/matvec_kernel.cuh"

namespace rocmforge::backend::gpu {

template Status launch_matvec_t<gguf::GgmlType::kQ5_K>(const MatvecArgs&, rt::Stream);
template Status launch_gemm_t<gguf::GgmlType::kQ5_K>(const GemmArgs&, rt::Stream);

}  // namespace rocmforge::backend::gpu
