#pragma once

namespace rocmforge::bench {

// dot_tile per weight type and instruction-set level (matvec with 1x1 and 4x1
// tiles, 4x4 tiles over four tokens) and quantize_activations.
void register_quant_benchmarks();

}  // namespace rocmforge::bench
