// The one table of supported architectures. Each entry says how the shared
// forward pass differs for that family; nothing else in the code switches on
// the architecture name.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "rocmforge/error.h"

namespace rocmforge::model {

enum class Arch { kLlama, kQwen2, kQwen3, kQwen2Moe, kQwen3Moe, kGemma2, kGemma3, kPhi3, kGlm4 };

// How RoPE pairs the dimensions of a head: NORM rotates adjacent pairs
// (x[2i], x[2i+1]); NEOX rotates the two halves (x[i], x[i + n_rot/2]).
enum class RopeStyle { kNorm, kNeox };

// The gate's activation in the gated feed-forward: SiLU (SwiGLU) or GELU (GeGLU).
enum class Activation { kSilu, kGelu };

// Experts: none, used when the file has them (llama: Mixtral), or required.
enum class MoeUse { kNone, kOptional, kRequired };

struct ArchSpec {
  std::string_view name;  // general.architecture
  Arch arch;
  RopeStyle rope_style;
  Activation activation;
  bool qk_norm;          // RMS norm of each Q and K head before RoPE
  bool post_norms;       // RMS norms of the attention and FFN outputs before the residual adds
  bool embed_scale;      // embeddings multiplied by sqrt(n_embd)
  bool q_prescale;       // Q multiplied by the attention scale before attention (which then uses 1)
  MoeUse moe;
  bool moe_norm_weights;  // renormalise the top-k routing weights to sum to 1
  bool shared_expert;     // a shared expert gated by sigmoid(x . w) (Qwen2-MoE)
  int64_t swa_period;     // every swa_period-th layer is global, the others sliding (0: none)
  int64_t swa_default;    // window when the metadata gives none (0: only if it does)
};

// The spec for `name`, or a kUnsupported error that lists the supported names.
Result<const ArchSpec*> find_arch(std::string_view name);

std::span<const ArchSpec> supported_archs();

}  // namespace rocmforge::model
