#include "model/quant_mixture.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

namespace rocmforge::model {
namespace {

using gguf::GgmlType;
using gguf::TensorInfo;

// llama.cpp's tensor_category: broad roles found by name, whatever the architecture.
enum class Category { kTokenEmbd, kAttnQ, kAttnV, kAttnK, kAttnQkv, kAttnKvB, kAttnOutput, kFfnUp, kFfnGate, kFfnDown, kOutput, kOther };

bool contains(std::string_view name, std::string_view part) { return name.find(part) != std::string_view::npos; }

Category category_of(std::string_view name) {
  using enum Category;
  if (name == "output.weight") return kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") return kTokenEmbd;
  if (contains(name, "attn_qkv.weight")) return kAttnQkv;
  if (contains(name, "attn_kv_b.weight")) return kAttnKvB;
  if (contains(name, "attn_v.weight")) return kAttnV;
  if (contains(name, "attn_k.weight")) return kAttnK;
  if (contains(name, "attn_q.weight")) return kAttnQ;
  if (contains(name, "attn_output.weight")) return kAttnOutput;
  if (contains(name, "ffn_up")) return kFfnUp;
  if (contains(name, "ffn_gate")) return kFfnGate;
  if (contains(name, "ffn_down")) return kFfnDown;
  return kOther;
}

// The tensors that share attn_v's rules. (llama.cpp also has a branch for
// attn_qkv alone, but this one always takes it first.)
bool is_attn_v_like(Category c) { return c == Category::kAttnV || c == Category::kAttnQkv || c == Category::kAttnKvB; }

// Weights llama.cpp never quantises: small, or lookup tables, or sensitive.
constexpr std::array<std::string_view, 37> kKeptParts = {
    "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
    "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
    "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
    "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
    "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
    "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd",
    "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook",
    "mm.a.code_embd", "position_embd.weight", "token_types.weight"};

bool allows_quantization(const TensorInfo& t) {
  if (t.n_dims < 2 || !std::string_view(t.name).ends_with("weight")) return false;
  return std::none_of(kKeptParts.begin(), kKeptParts.end(), [&](std::string_view part) { return contains(t.name, part); });
}

// sscanf(name, "blk.%d.") as llama.cpp reads a block number.
std::optional<int> block_number(std::string_view name) {
  if (!name.starts_with("blk.")) return std::nullopt;
  int n = 0;
  const auto [end, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), n);
  if (ec != std::errc{}) return std::nullopt;
  return n;
}

bool use_more_bits(int64_t i_layer, int64_t n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

// llama.cpp's quantize_state_impl: counters that advance as tensors are typed.
struct MixtureState {
  const MixtureModel& model;
  FileType file_type;
  bool falcon;
  bool tied_embeddings;  // no output.weight: token_embd is also the output head
  int64_t n_attention_wv = 0;
  int64_t i_attention_wv = 0;
  int64_t i_ffn_down = 0;
};

// The FFN tensor's layer: its position among its kind, or, in expert models
// (whose expert tensors are not in layer order in every file), its block number.
Result<int64_t> layer_of(const MixtureState& s, int64_t counter, const std::string& name) {
  if (s.model.n_expert <= 1) return counter;
  const std::optional<int> block = block_number(name);
  if (!block) return RF_ERROR(kParse, "tensor '{}': cannot tell its layer from its name", name);
  if (*block < 0 || *block >= s.model.n_layer) {
    return RF_ERROR(kParse, "tensor '{}': block {} is outside [0, {})", name, *block, s.model.n_layer);
  }
  return int64_t{*block};
}

GgmlType attn_v_type(MixtureState& s, GgmlType type) {
  using enum FileType;
  const int64_t n_gqa = s.model.n_gqa();
  switch (s.file_type) {
    case kQ2_K: type = n_gqa >= 4 ? GgmlType::kQ4_K : GgmlType::kQ3_K; break;
    case kQ3_K_M: type = s.i_attention_wv < 2 ? GgmlType::kQ5_K : GgmlType::kQ4_K; break;
    case kQ3_K_L: type = GgmlType::kQ5_K; break;
    case kIQ4_NL:
    case kIQ4_XS: type = n_gqa >= 4 ? GgmlType::kQ5_K : type; break;
    case kQ4_K_M:
    case kQ5_K_M: type = use_more_bits(s.i_attention_wv, s.n_attention_wv) ? GgmlType::kQ6_K : type; break;
    case kQ4_K_S: type = s.i_attention_wv < 4 ? GgmlType::kQ5_K : type; break;
    default: break;
  }
  if (s.model.is_70b() && (type == GgmlType::kQ3_K || type == GgmlType::kQ4_K)) type = GgmlType::kQ5_K;
  if (s.model.n_expert == 8) type = GgmlType::kQ8_0;
  ++s.i_attention_wv;
  return type;
}

Result<GgmlType> ffn_down_type(MixtureState& s, const TensorInfo& t, GgmlType type) {
  using enum FileType;
  const int64_t i = RF_TRY(layer_of(s, s.i_ffn_down, t.name));
  const int64_t n = s.model.n_layer;
  const bool more = use_more_bits(i, n);
  switch (s.file_type) {
    case kQ2_K: type = GgmlType::kQ3_K; break;
    case kQ3_K_M:
      type = i < n / 16 ? GgmlType::kQ5_K : !s.falcon || more ? GgmlType::kQ4_K : GgmlType::kQ3_K;
      break;
    case kQ3_K_L: type = s.falcon ? GgmlType::kQ4_K : GgmlType::kQ5_K; break;
    case kQ4_K_M:
      if (s.falcon) {
        type = i < n / 16 ? GgmlType::kQ6_K : more ? GgmlType::kQ5_K : GgmlType::kQ4_K;
      } else if (more) {
        type = GgmlType::kQ6_K;
      }
      break;
    case kIQ4_NL:
    case kIQ4_XS: type = i < n / 8 ? GgmlType::kQ5_K : type; break;
    case kQ5_K_M: type = more ? GgmlType::kQ6_K : type; break;
    case kQ4_K_S: type = !s.falcon && i < n / 8 ? GgmlType::kQ5_K : type; break;
    default: break;
  }
  ++s.i_ffn_down;
  return type;
}

GgmlType attn_output_type(const MixtureState& s, GgmlType type) {
  using enum FileType;
  if (s.falcon) return s.file_type == kQ3_K_L ? GgmlType::kQ4_K : type;
  if (s.model.n_expert == 8) {
    switch (s.file_type) {
      case kQ2_K: case kQ3_K_S: case kQ3_K_M: case kIQ4_NL: case kQ4_K_S: case kQ4_K_M: case kIQ4_XS:
        return GgmlType::kQ5_K;
      default: return type;
    }
  }
  switch (s.file_type) {
    case kQ2_K: return GgmlType::kQ3_K;
    case kQ3_K_M: return GgmlType::kQ4_K;
    case kQ3_K_L: return GgmlType::kQ5_K;
    default: return type;
  }
}

// llama_tensor_get_type_impl for the file types we produce.
Result<GgmlType> mixture_type(MixtureState& s, const TensorInfo& t, Category c, GgmlType type) {
  if (c == Category::kOutput || (s.tied_embeddings && c == Category::kTokenEmbd)) {
    if (s.falcon || t.ne[0] % gguf::ggml_type_info(type).block_size != 0) return GgmlType::kQ8_0;
    return type == GgmlType::kQ8_0 ? type : GgmlType::kQ6_K;
  }
  if (c == Category::kTokenEmbd) return type;
  if (is_attn_v_like(c)) return attn_v_type(s, type);
  switch (c) {
    case Category::kAttnK: return s.model.n_expert == 8 ? GgmlType::kQ8_0 : type;
    case Category::kFfnDown: return ffn_down_type(s, t, type);
    case Category::kAttnOutput: return attn_output_type(s, type);
    case Category::kFfnGate:
    case Category::kFfnUp:
      // Their rules only concern IQ3_XS, but llama.cpp still insists on a layer.
      RF_TRY(layer_of(s, 0, t.name));
      return type;
    default: return type;
  }
}

// tensor_type_fallback: a row must be whole blocks of its type.
TensorTypeChoice fit_row_length(GgmlType type, int64_t n_cols) {
  if (n_cols % gguf::ggml_type_info(type).block_size == 0) return {type, false};
  switch (type) {
    case GgmlType::kIQ4_XS: type = GgmlType::kIQ4_NL; break;
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K: type = GgmlType::kQ4_0; break;
    case GgmlType::kQ4_K: type = GgmlType::kQ5_0; break;
    case GgmlType::kQ5_K: type = GgmlType::kQ5_1; break;
    case GgmlType::kQ6_K: type = GgmlType::kQ8_0; break;
    default: break;  // a 32-block type already: only F16 is left
  }
  if (n_cols % gguf::ggml_type_info(type).block_size != 0) type = GgmlType::kF16;
  return {type, true};
}

// A per-layer key holds one number or one per layer: layer 0's.
Result<int64_t> layer0_int(const gguf::GgufFile& file, const std::string& key, int64_t fallback) {
  const gguf::Value* value = file.find(key);
  if (value == nullptr) return fallback;
  const auto* array = std::get_if<std::shared_ptr<const gguf::Array>>(&value->data);
  if (array == nullptr) return file.get_int(key);
  if (!gguf::is_integer_type((*array)->element_type) || (*array)->ints.empty()) {
    return RF_ERROR(kParse, "metadata key '{}': expected an integer or a non-empty array of integers", key);
  }
  return (*array)->ints[0];
}

}  // namespace

bool is_quantized(GgmlType type) { return gguf::ggml_type_info(type).block_size > 1; }

Result<MixtureModel> read_mixture_model(const gguf::GgufFile& file) {
  // llama.cpp's LLAMA_MAX_LAYERS and LLAMA_MAX_EXPERTS.
  constexpr int64_t kMaxLayers = 512;
  constexpr int64_t kMaxExperts = 512;
  MixtureModel m;
  const auto arch = RF_TRY(file.find_string("general.architecture"));
  if (!arch) return RF_ERROR(kParse, "not a model: it has no general.architecture");
  m.arch = *arch;
  const std::string prefix = m.arch + ".";
  const auto n_layer = RF_TRY(file.find_int(prefix + "block_count"));
  if (!n_layer) return RF_ERROR(kParse, "not a model: it has no {}block_count", prefix);
  m.n_layer = *n_layer;
  m.n_layer_nextn = RF_TRY(file.find_int(prefix + "nextn_predict_layers")).value_or(0);
  m.n_head = RF_TRY(layer0_int(file, prefix + "attention.head_count", 0));
  m.n_head_kv = RF_TRY(layer0_int(file, prefix + "attention.head_count_kv", m.n_head));
  m.n_expert = RF_TRY(file.find_int(prefix + "expert_count")).value_or(0);
  if (m.n_layer <= 0 || m.n_layer > kMaxLayers || m.n_layer_nextn < 0 || m.n_layer_nextn > m.n_layer ||
      m.n_head < 0 || m.n_head_kv < 0 || m.n_expert < 0 || m.n_expert > kMaxExperts) {
    return RF_ERROR(kParse, "implausible hyperparameters: {} layers ({} next-token), {} heads ({} KV), {} experts",
                    m.n_layer, m.n_layer_nextn, m.n_head, m.n_head_kv, m.n_expert);
  }
  return m;
}

bool MixtureModel::is_70b() const {
  const int64_t n = n_layer - n_layer_nextn;
  if (arch == "llama") return n_expert != 8 && n == 80 && n_head != n_head_kv;
  if (arch == "qwen2" || arch == "deci" || arch == "olmo") return n == 80;
  if (arch == "jais2") return n == 68;
  return false;
}

std::vector<TensorInfo> quantize_order(std::span<const TensorInfo> tensors) {
  std::vector<TensorInfo> ordered(tensors.begin(), tensors.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const TensorInfo& a, const TensorInfo& b) {
    const int block_a = block_number(a.name).value_or(-1);
    const int block_b = block_number(b.name).value_or(-1);
    if (block_a != block_b) return block_a < block_b;
    return a.name < b.name;
  });
  return ordered;
}

Result<std::vector<TensorTypeChoice>> choose_tensor_types(const MixtureModel& model, std::span<const TensorInfo> tensors,
                                                          const FileTypeInfo& file_type, bool pure) {
  MixtureState state{model, file_type.type, model.arch == "falcon", true};
  for (const TensorInfo& t : tensors) {
    const Category c = category_of(t.name);
    if (is_attn_v_like(c)) ++state.n_attention_wv;
    if (c == Category::kOutput) state.tied_embeddings = false;
  }
  std::vector<TensorTypeChoice> choices;
  choices.reserve(tensors.size());
  for (const TensorInfo& t : tensors) {
    if (file_type.copy || !allows_quantization(t)) {
      choices.push_back({t.type, false});
      continue;
    }
    GgmlType type = file_type.default_type;
    if (!is_quantized(type)) {
      choices.push_back({type, false});
      continue;
    }
    if (!pure) type = RF_TRY(mixture_type(state, t, category_of(t.name), type));
    choices.push_back(fit_row_length(type, t.ne[0]));
  }
  return choices;
}

}  // namespace rocmforge::model
