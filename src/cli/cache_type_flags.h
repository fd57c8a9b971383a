// The KV cache type flags of run, serve and bench: llama.cpp's
// -ctk/--cache-type-k and -ctv/--cache-type-v (K and V chosen apart), and
// --cache-type for both at once; the K or V flag wins over --cache-type.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "backend/kv_layout.h"
#include "rocmforge/error.h"

namespace rocmforge::cli {

struct CacheTypeFlags {
  std::string both = "f16";
  std::string k;  // empty: --cache-type's
  std::string v;
};

void add_cache_type_flags(CLI::App& app, CacheTypeFlags& flags);

// kInvalidArgument naming the flag and the allowed types for an unknown or
// unsupported name.
Result<backend::KvTypes> parse_cache_types(const CacheTypeFlags& flags);

}  // namespace rocmforge::cli
