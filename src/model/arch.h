// The one table of supported architectures. Each entry says how the shared
// forward pass differs for that family; nothing else in the code switches on
// the architecture name.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "rocmforge/error.h"

namespace rocmforge::model {

enum class Arch { kLlama };

// How RoPE pairs the dimensions of a head: NORM rotates adjacent pairs
// (x[2i], x[2i+1]); NEOX rotates the two halves (x[i], x[i + n_rot/2]).
enum class RopeStyle { kNorm, kNeox };

struct ArchSpec {
  std::string_view name;  // general.architecture
  Arch arch;
  RopeStyle rope_style;
};

// The spec for `name`, or a kUnsupported error that lists the supported names.
Result<const ArchSpec*> find_arch(std::string_view name);

std::span<const ArchSpec> supported_archs();

}  // namespace rocmforge::model
