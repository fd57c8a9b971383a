// The attention kernel instantiated for heads of up to 64 dims (every K and V cache type).
#include "backend/gpu/attention_kernel.cuh"

namespace rocmforge::backend::gpu {

template Status launch_attention_d<64>(const AttentionArgs&, KvTypes, rt::Stream);

}  // namespace rocmforge::backend::gpu
