#include "model/synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_writer.h"
#include "model/arch.h"
#include "model/config.h"
#include "model/quant_mixture.h"
#include "model/tensor_plan.h"
#include "quant/quant.h"

namespace rocmforge::model {
namespace {

// Tiny shapes keep every row a multiple of 256 so that K-quants apply.
constexpr std::array kShapes = {
    SynthShape{.name = "tiny", .arch = "llama", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 768, .n_ctx = 2048},
    SynthShape{.name = "llama3-1b", .arch = "llama", .n_vocab = 128256, .n_embd = 2048, .n_layer = 16, .n_head = 32,
               .n_head_kv = 8, .n_ff = 8192, .n_ctx = 8192, .rope_base = 500000.0f, .tied_output = true},
    SynthShape{.name = "llama2-7b", .arch = "llama", .n_vocab = 32000, .n_embd = 4096, .n_layer = 32, .n_head = 32,
               .n_head_kv = 32, .n_ff = 11008},
    SynthShape{.name = "llama3-8b", .arch = "llama", .n_vocab = 128256, .n_embd = 4096, .n_layer = 32, .n_head = 32,
               .n_head_kv = 8, .n_ff = 14336, .n_ctx = 8192, .rope_base = 500000.0f},
    SynthShape{.name = "llama3-70b", .arch = "llama", .n_vocab = 128256, .n_embd = 8192, .n_layer = 80, .n_head = 64,
               .n_head_kv = 8, .n_ff = 28672, .n_ctx = 8192, .rope_base = 500000.0f},
    SynthShape{.name = "tiny-mixtral", .arch = "llama", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 512, .n_expert = 4, .n_expert_used = 2, .n_ff_exp = 512},
    SynthShape{.name = "tiny-qwen2", .arch = "qwen2", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 768, .rope_base = 1000000.0f, .tied_output = true, .qkv_bias = true},
    SynthShape{.name = "tiny-qwen3", .arch = "qwen3", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 768, .rope_base = 1000000.0f, .head_dim = 128},
    SynthShape{.name = "tiny-qwen2moe", .arch = "qwen2moe", .n_vocab = 512, .n_embd = 256, .n_layer = 2,
               .n_head = 4, .n_head_kv = 2, .n_ff = 512, .n_expert = 4, .n_expert_used = 2, .n_ff_exp = 256,
               .n_ff_shexp = 512, .qkv_bias = true},
    SynthShape{.name = "tiny-qwen3moe", .arch = "qwen3moe", .n_vocab = 512, .n_embd = 256, .n_layer = 2,
               .n_head = 4, .n_head_kv = 2, .n_ff = 512, .head_dim = 128, .n_expert = 8, .n_expert_used = 2,
               .n_ff_exp = 256},
    SynthShape{.name = "tiny-gemma2", .arch = "gemma2", .n_vocab = 512, .n_embd = 256, .n_layer = 4, .n_head = 4,
               .n_head_kv = 2, .n_ff = 512, .tied_output = true, .head_dim = 128, .swa_window = 8},
    SynthShape{.name = "tiny-gemma3", .arch = "gemma3", .n_vocab = 512, .n_embd = 256, .n_layer = 6, .n_head = 4,
               .n_head_kv = 1, .n_ff = 512, .rope_base = 1000000.0f, .tied_output = true, .head_dim = 128,
               .swa_window = 8},
    SynthShape{.name = "tiny-phi3", .arch = "phi3", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 4, .n_ff = 512, .fused_qkv = true},
    // Long-context RoPE variants.
    SynthShape{.name = "tiny-rope-linear", .arch = "llama", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 768, .rope_scaling = "linear", .rope_factor = 4.0f},
    SynthShape{.name = "tiny-rope-llama3", .arch = "llama", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 768, .rope_base = 500000.0f, .rope_freqs = true},
    SynthShape{.name = "tiny-rope-yarn", .arch = "qwen2", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 768, .n_ctx = 8192, .rope_base = 1000000.0f, .rope_scaling = "yarn",
               .rope_factor = 4.0f, .n_ctx_orig = 2048},
    SynthShape{.name = "tiny-rope-longrope", .arch = "phi3", .n_vocab = 512, .n_embd = 256, .n_layer = 2,
               .n_head = 4, .n_head_kv = 4, .n_ff = 512, .n_ctx = 8192, .fused_qkv = true, .rope_scaling = "longrope",
               .n_ctx_orig = 1024, .rope_attn_factor = 1.19f},
    SynthShape{.name = "tiny-glm4", .arch = "glm4", .n_vocab = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
               .n_head_kv = 2, .n_ff = 512, .n_rot = 32, .fused_qkv = true, .qkv_bias = true},
};

// SplitMix64: a fast, well-mixed generator; each row gets its own stream so
// quantising in parallel gives the same file as quantising in order.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [-scale, scale): the variance of a 1/sqrt(fan_in) init keeps
// activations in range through many layers.
void fill_row(uint64_t seed, float scale, float* out, int64_t n) {
  uint64_t state = mix(seed);
  for (int64_t i = 0; i < n; ++i) {
    state = mix(state);
    const float u = static_cast<float>(state >> 40) * (1.0f / 16777216.0f);
    out[i] = (2.0f * u - 1.0f) * scale;
  }
}

// The configuration a shape stands for, as load_config would read it back.
ModelConfig shape_config(const SynthShape& s, const ArchSpec* arch, int64_t n_vocab) {
  ModelConfig c;
  c.arch = arch;
  c.n_vocab = n_vocab;
  c.n_embd = s.n_embd;
  c.n_layer = s.n_layer;
  c.n_head = s.n_head;
  c.n_head_kv = s.n_head_kv;
  c.head_dim = s.head_dim != 0 ? s.head_dim : s.n_embd / s.n_head;
  c.head_dim_v = c.head_dim;
  c.n_ff = s.n_ff;
  c.rope.n_rot = s.n_rot != 0 ? s.n_rot : c.head_dim;
  c.layout.fused_qkv = s.fused_qkv;
  c.layout.qkv_bias = s.qkv_bias;
  c.layout.fused_up = arch->arch == Arch::kPhi3 || arch->arch == Arch::kGlm4;
  c.layout.tied_output = s.tied_output;
  c.rope.has_freq_factors = s.rope_freqs;
  c.rope.has_long_short = s.rope_scaling == "longrope";
  c.n_expert = s.n_expert;
  c.n_expert_used = s.n_expert_used;
  c.n_ff_exp = s.n_ff_exp;
  c.n_ff_shexp = s.n_ff_shexp;
  return c;
}

void write_hparams(gguf::GgufWriter& w, const SynthShape& s, const ModelConfig& c, const SynthOptions& o) {
  const std::string a(s.arch);
  w.set_string("general.architecture", a);
  const std::string_view type = o.file_type ? o.file_type->name : gguf::ggml_type_name(o.type);
  w.set_string("general.name", fmt::format("synthetic {} {}", s.name, type));
  if (o.file_type) w.set_u32("general.file_type", static_cast<uint32_t>(o.file_type->type));
  w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
  w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(c.head_dim));
  w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(c.head_dim_v));
  w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(c.rope.n_rot));
  w.set_f32(a + ".rope.freq_base", s.rope_base);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
  if (s.n_expert > 0) {
    w.set_u32(a + ".expert_count", static_cast<uint32_t>(s.n_expert));
    w.set_u32(a + ".expert_used_count", static_cast<uint32_t>(s.n_expert_used));
    w.set_u32(a + ".expert_feed_forward_length", static_cast<uint32_t>(s.n_ff_exp));
    if (s.n_ff_shexp > 0) w.set_u32(a + ".expert_shared_feed_forward_length", static_cast<uint32_t>(s.n_ff_shexp));
  }
  if (s.swa_window > 0) w.set_u32(a + ".attention.sliding_window", static_cast<uint32_t>(s.swa_window));
  if (!s.rope_scaling.empty()) {
    w.set_string(a + ".rope.scaling.type", std::string(s.rope_scaling));
    if (s.rope_factor > 0.0f) w.set_f32(a + ".rope.scaling.factor", s.rope_factor);
    if (s.n_ctx_orig > 0) w.set_u32(a + ".rope.scaling.original_context_length", static_cast<uint32_t>(s.n_ctx_orig));
    if (s.rope_attn_factor > 0.0f) w.set_f32(a + ".rope.scaling.attn_factor", s.rope_attn_factor);
  }
  if (c.arch->arch == Arch::kGemma2) {
    w.set_f32(a + ".attn_logit_softcapping", 50.0f);
    w.set_f32(a + ".final_logit_softcapping", 30.0f);
  }
}

void write_generated_vocab(gguf::GgufWriter& w, int64_t n_vocab) {
  // The chat markup of the families above, as control tokens at the end.
  static constexpr std::array kMarkup = {"<|endoftext|>", "<|im_start|>", "<|im_end|>",     "<|user|>",
                                         "<|assistant|>", "<|system|>",   "<|end|>",        "<start_of_turn>",
                                         "<end_of_turn>"};
  const int64_t n_plain = std::max<int64_t>(3, n_vocab - static_cast<int64_t>(kMarkup.size()));
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0.0f, 0.0f, 0.0f};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_plain; ++b) {
    tokens.push_back(fmt::format("<0x{:02X}>", b));
    scores.push_back(0.0f);
    types.push_back(6);  // byte
  }
  for (int64_t i = static_cast<int64_t>(tokens.size()); i < n_plain; ++i) {
    tokens.push_back(fmt::format("\xe2\x96\x81tok{}", i));  // "▁tokN"
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  for (const char* markup : kMarkup) {
    if (static_cast<int64_t>(tokens.size()) == n_vocab) break;
    tokens.emplace_back(markup);
    scores.push_back(0.0f);
    types.push_back(3);  // control
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
}

// Copies tokenizer.* from a vocabulary file; returns its token count.
Result<int64_t> copy_vocab(gguf::GgufWriter& w, const std::string& path) {
  const gguf::GgufFile vocab = RF_TRY(gguf::GgufFile::open(path));
  for (const gguf::MetadataEntry& e : vocab.metadata()) {
    if (e.key.starts_with("tokenizer.")) RF_TRY(w.set(e.key, e.value));
  }
  const gguf::Array* tokens = RF_TRY(vocab.get_array("tokenizer.ggml.tokens"));
  return static_cast<int64_t>(tokens->size());
}

gguf::GgmlType tensor_type(const TensorSpec& spec, gguf::GgmlType requested) {
  if (spec.role == TensorRole::kVector) return gguf::GgmlType::kF32;
  // Rows that are not whole blocks of the requested type stay F16.
  return spec.ne[0] % gguf::ggml_type_info(requested).block_size == 0 ? requested : gguf::GgmlType::kF16;
}

// Each tensor's type, in plan order: the requested type, or what
// llama-quantize would make of an F16 model (vectors F32) for the file type.
Result<std::vector<gguf::GgmlType>> tensor_types(const SynthShape& s, std::span<const TensorSpec> plan,
                                                 const SynthOptions& o) {
  std::vector<gguf::GgmlType> types;
  if (!o.file_type) {
    for (const TensorSpec& spec : plan) types.push_back(tensor_type(spec, o.type));
    return types;
  }
  if (o.file_type->copy) return RF_ERROR(kInvalidArgument, "COPY is not a weight type to synthesise");
  std::vector<gguf::TensorInfo> infos;
  for (const TensorSpec& spec : plan) {
    gguf::TensorInfo t;
    t.name = spec.name;
    t.type = spec.role == TensorRole::kVector ? gguf::GgmlType::kF32 : gguf::GgmlType::kF16;
    t.n_dims = static_cast<int>(spec.ne.size());
    std::copy(spec.ne.begin(), spec.ne.end(), t.ne.begin());
    infos.push_back(std::move(t));
  }
  const MixtureModel model{std::string(s.arch), s.n_layer, 0, s.n_head, s.n_head_kv, s.n_expert};
  const std::vector<gguf::TensorInfo> ordered = quantize_order(infos);
  const std::vector<TensorTypeChoice> chosen = RF_TRY(choose_tensor_types(model, ordered, *o.file_type, false));
  std::unordered_map<std::string, gguf::GgmlType> by_name;
  for (size_t j = 0; j < ordered.size(); ++j) by_name.emplace(ordered[j].name, chosen[j].type);
  for (const TensorSpec& spec : plan) types.push_back(by_name.at(spec.name));
  return types;
}

}  // namespace

std::span<const SynthShape> synth_shapes() { return kShapes; }

Result<SynthShape> find_synth_shape(std::string_view name) {
  std::string names;
  for (const SynthShape& s : kShapes) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + std::string(s.name);
  }
  return RF_ERROR(kInvalidArgument, "unknown shape '{}' (known: {})", name, names);
}

Status write_synth_model(const std::string& path, const SynthOptions& options, core::ThreadPool& pool) {
  const SynthShape& s = options.shape;
  const ArchSpec* arch = RF_TRY(find_arch(s.arch));
  gguf::GgufWriter w;
  int64_t n_vocab = s.n_vocab;
  if (options.vocab_path.empty()) {
    write_generated_vocab(w, n_vocab);
  } else {
    n_vocab = RF_TRY(copy_vocab(w, options.vocab_path));
  }
  const ModelConfig config = shape_config(s, arch, n_vocab);
  write_hparams(w, s, config, options);

  const std::vector<TensorSpec> plan = tensor_plan(config);
  const std::vector<gguf::GgmlType> types = RF_TRY(tensor_types(s, plan, options));
  for (const gguf::GgmlType type : types) RF_TRY(quant::check_supported(type));
  uint64_t tensor_seed = options.seed;
  for (size_t i = 0; i < plan.size(); ++i) {
    const TensorSpec& spec = plan[i];
    const gguf::GgmlType type = types[i];
    const uint64_t seed = tensor_seed++;
    const int64_t cols = spec.ne[0];
    int64_t rows = 1;
    for (size_t d = 1; d < spec.ne.size(); ++d) rows *= spec.ne[d];
    // Norm weights near 1, RoPE frequency factors in [1, 4] (they divide the
    // angles), biases small, matrices 1/sqrt(fan-in).
    const bool norm = spec.name.ends_with("norm.weight");
    const bool rope = spec.name.starts_with("rope_");
    const float scale = norm ? 0.5f
                        : rope ? 1.5f
                        : spec.role == TensorRole::kVector ? 0.1f
                                                           : 1.0f / std::sqrt(static_cast<float>(cols));
    const float offset = norm ? 1.0f : rope ? 2.5f : 0.0f;
    auto fill = [cols, rows, type, seed, scale, offset, &pool](std::span<std::byte> out) -> Status {
      const size_t row_bytes = gguf::ggml_row_size(type, cols);
      pool.parallel_for(rows, 8, [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = begin; r < end; ++r) {
          fill_row(seed * 0x100000001B3ull + static_cast<uint64_t>(r), scale, row.data(), cols);
          for (float& v : row) v += offset;
          quant::quantize_row(type, row.data(), out.data() + static_cast<size_t>(r) * row_bytes, cols);
        }
      });
      return ok();
    };
    RF_TRY(w.add_tensor(spec.name, type, spec.ne, fill));
  }
  return w.write(path);
}

}  // namespace rocmforge::model
