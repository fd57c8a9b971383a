#include "cli/cache_type_flags.h"

#include <algorithm>
#include <optional>

namespace rocmforge::cli {
namespace {

Result<gguf::GgmlType> parse_one(const std::string& name, const char* flag) {
  const std::optional<gguf::GgmlType> type = gguf::parse_ggml_type(name);
  const auto allowed = backend::kv_cache_types();
  if (!type || std::find(allowed.begin(), allowed.end(), *type) == allowed.end()) {
    return RF_ERROR(kInvalidArgument, "{} must be one of {}, got '{}'", flag, backend::kv_cache_type_names(), name);
  }
  return *type;
}

}  // namespace

void add_cache_type_flags(CLI::App& app, CacheTypeFlags& flags) {
  const std::string types = backend::kv_cache_type_names();
  app.add_option("--cache-type", flags.both, "KV cache type for K and V: " + types);
  app.add_option("--cache-type-k", flags.k, "K cache type (-ctk): " + types + " (default: --cache-type)");
  app.add_option("--cache-type-v", flags.v, "V cache type (-ctv): " + types + " (default: --cache-type)");
}

Result<backend::KvTypes> parse_cache_types(const CacheTypeFlags& flags) {
  const gguf::GgmlType both = RF_TRY(parse_one(flags.both, "--cache-type"));
  backend::KvTypes types{both, both};
  if (!flags.k.empty()) types.k = RF_TRY(parse_one(flags.k, "--cache-type-k"));
  if (!flags.v.empty()) types.v = RF_TRY(parse_one(flags.v, "--cache-type-v"));
  return types;
}

}  // namespace rocmforge::cli
