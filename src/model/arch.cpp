#include "model/arch.h"

#include <array>

namespace rocmforge::model {
namespace {

constexpr std::array kArchs = {
    // Llama 1/2/3, TinyLlama, Mistral 7B, Yi, Code Llama: GGUF converters
    // permute Q/K so that llama.cpp's NORM RoPE applies.
    ArchSpec{"llama", Arch::kLlama, RopeStyle::kNorm},
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
