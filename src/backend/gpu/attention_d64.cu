// The attention kernel instantiated for heads of up to 64 dims (F16 and F32 caches).
#include "backend/gpu/attention_kernel.cuh"

namespace rocmforge::backend::gpu {

template Status launch_attention_d<64>(const AttentionArgs&, bool, rt::Stream);

}  // namespace rocmforge::backend::gpu
