#include "cli/inspect_config.h"

#include <fmt/format.h>

#include "model/config.h"

namespace rocmforge::cli {
namespace {

using Json = nlohmann::ordered_json;

// The configuration, or why there is none (nullopt config with a reason).
struct Derived {
  std::optional<model::ModelConfig> config;
  std::string reason;
};

Result<Derived> derive(const gguf::GgufFile& file) {
  const std::optional<std::string_view> arch = RF_TRY(file.find_string("general.architecture"));
  if (!arch) return Derived{std::nullopt, "no general.architecture (a vocabulary-only file?)"};
  if (auto spec = model::find_arch(*arch); !spec) return Derived{std::nullopt, spec.error().message()};
  return Derived{RF_TRY(model::load_config(file)), {}};
}

std::string_view scaling_name(model::RopeScaling s) {
  switch (s) {
    case model::RopeScaling::kNone: return "none";
    case model::RopeScaling::kLinear: return "linear";
    case model::RopeScaling::kYarn: return "yarn";
    case model::RopeScaling::kLongRope: return "longrope";
  }
  return "?";
}

}  // namespace

Result<std::string> config_text(const gguf::GgufFile& file) {
  const Derived d = RF_TRY(derive(file));
  if (!d.config) return fmt::format("\nmodel configuration: none ({})\n", d.reason);
  const model::ModelConfig& c = *d.config;
  std::string out = fmt::format("\nmodel configuration: {} ({})\n", c.name, c.arch->name);
  out += fmt::format("  vocabulary {}, context {}, embedding {}, layers {}, feed-forward {}\n", c.n_vocab,
                     c.n_ctx_train, c.n_embd, c.n_layer, c.n_ff);
  out += fmt::format("  heads {} (KV heads {}, {} queries per KV head), head size {} (value {})\n", c.n_head,
                     c.n_head_kv, c.n_gqa(), c.head_dim, c.head_dim_v);
  out += fmt::format("  RoPE: {} dims, base {}, scaling {} (factor {}){}\n", c.rope.n_rot, c.rope.freq_base,
                     scaling_name(c.rope.scaling), 1.0f / c.rope.freq_scale,
                     c.rope.has_freq_factors ? ", frequency factors" : "");
  out += fmt::format("  RMS norm epsilon {}, output head {}\n", c.rms_eps,
                     c.layout.tied_output ? "tied to the token embedding" : "output.weight");
  return out;
}

Result<Json> config_json(const gguf::GgufFile& file) {
  const Derived d = RF_TRY(derive(file));
  if (!d.config) return Json{{"available", false}, {"reason", d.reason}};
  const model::ModelConfig& c = *d.config;
  return Json{{"available", true},
              {"architecture", c.arch->name},
              {"name", c.name},
              {"n_vocab", c.n_vocab},
              {"n_ctx_train", c.n_ctx_train},
              {"n_embd", c.n_embd},
              {"n_layer", c.n_layer},
              {"n_head", c.n_head},
              {"n_head_kv", c.n_head_kv},
              {"head_dim", c.head_dim},
              {"head_dim_v", c.head_dim_v},
              {"n_ff", c.n_ff},
              {"rms_eps", c.rms_eps},
              {"rope", {{"n_rot", c.rope.n_rot},
                        {"freq_base", c.rope.freq_base},
                        {"scaling", scaling_name(c.rope.scaling)},
                        {"freq_scale", c.rope.freq_scale},
                        {"n_ctx_orig", c.rope.n_ctx_orig},
                        {"freq_factors", c.rope.has_freq_factors}}},
              {"tied_output", c.layout.tied_output},
              {"n_params", c.n_params}};
}

}  // namespace rocmforge::cli
