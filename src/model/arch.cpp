#include "model/arch.h"

#include <array>

namespace rocmforge::model {
namespace {

using enum RopeStyle;
using enum Activation;
using enum MoeUse;

// Semantics follow llama.cpp's builders for each family.
constexpr std::array kArchs = {
    // Llama 1/2/3, TinyLlama, Mistral, Mixtral (experts), Yi, Code Llama: the GGUF
    // converters permute Q/K so that NORM RoPE applies.
    //        name        arch            rope   act    qknorm post   embed  qpre   moe        moe_norm shared swa_p swa_w
    ArchSpec{"llama",    Arch::kLlama,    kNorm, kSilu, false, false, false, false, kOptional, true,    false, 0, 0},
    ArchSpec{"qwen2",    Arch::kQwen2,    kNeox, kSilu, false, false, false, false, kNone,     false,   false, 0, 0},
    ArchSpec{"qwen3",    Arch::kQwen3,    kNeox, kSilu, true,  false, false, false, kNone,     false,   false, 0, 0},
    ArchSpec{"qwen2moe", Arch::kQwen2Moe, kNeox, kSilu, false, false, false, false, kRequired, false,   true,  0, 0},
    ArchSpec{"qwen3moe", Arch::kQwen3Moe, kNeox, kSilu, true,  false, false, false, kRequired, true,    false, 0, 0},
    // Gemma 2: sliding window on every other layer (4096 unless the file says).
    ArchSpec{"gemma2",   Arch::kGemma2,   kNeox, kGelu, false, true,  true,  true,  kNone,     false,   false, 2, 4096},
    // Gemma 3: five sliding layers for each global one, when the file gives a window.
    ArchSpec{"gemma3",   Arch::kGemma3,   kNeox, kGelu, true,  true,  true,  true,  kNone,     false,   false, 6, 0},
    // Phi-3: fused QKV and gate/up projections; its sliding window is ignored, as llama.cpp does.
    ArchSpec{"phi3",     Arch::kPhi3,     kNeox, kSilu, false, false, false, true,  kNone,     false,   false, 0, 0},
    ArchSpec{"glm4",     Arch::kGlm4,     kNorm, kSilu, false, true,  false, false, kNone,     false,   false, 0, 0},
};

}  // namespace

std::span<const ArchSpec> supported_archs() { return kArchs; }

Result<const ArchSpec*> find_arch(std::string_view name) {
  std::string names;
  for (const ArchSpec& spec : kArchs) {
    if (spec.name == name) return &spec;
    names += names.empty() ? "" : ", ";
    names += spec.name;
  }
  return RF_ERROR(kUnsupported, "architecture '{}' is not supported (supported: {})", name, names);
}

}  // namespace rocmforge::model
