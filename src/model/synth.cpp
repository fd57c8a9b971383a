#include "model/synth.h"

#include <array>
#include <cmath>
#include <vector>

#include "gguf/gguf_writer.h"
#include "quant/quant.h"

namespace rocmforge::model {
namespace {

constexpr std::array kShapes = {
    // name          vocab   embd  layers heads kv   ff     ctx     rope base  tied
    SynthShape{"tiny", 512, 256, 2, 4, 2, 768, 2048, 10000.0f, false},
    SynthShape{"llama3-1b", 128256, 2048, 16, 32, 8, 8192, 8192, 500000.0f, true},
    SynthShape{"llama2-7b", 32000, 4096, 32, 32, 32, 11008, 4096, 10000.0f, false},
    SynthShape{"llama3-8b", 128256, 4096, 32, 32, 8, 14336, 8192, 500000.0f, false},
    SynthShape{"llama3-70b", 128256, 8192, 80, 64, 8, 28672, 8192, 500000.0f, false},
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

struct TensorSpec {
  std::string name;
  int64_t cols;  // ne[0]
  int64_t rows;  // ne[1]; 1 for vectors
  bool norm;
};

std::vector<TensorSpec> tensor_specs(const SynthShape& s) {
  const int64_t head_dim = s.n_embd / s.n_head;
  const int64_t kv = s.n_head_kv * head_dim;
  std::vector<TensorSpec> t = {{"token_embd.weight", s.n_embd, s.n_vocab, false},
                               {"output_norm.weight", s.n_embd, 1, true}};
  if (!s.tied_output) t.push_back({"output.weight", s.n_embd, s.n_vocab, false});
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    t.push_back({p + "attn_norm.weight", s.n_embd, 1, true});
    t.push_back({p + "attn_q.weight", s.n_embd, s.n_embd, false});
    t.push_back({p + "attn_k.weight", s.n_embd, kv, false});
    t.push_back({p + "attn_v.weight", s.n_embd, kv, false});
    t.push_back({p + "attn_output.weight", s.n_embd, s.n_embd, false});
    t.push_back({p + "ffn_norm.weight", s.n_embd, 1, true});
    t.push_back({p + "ffn_gate.weight", s.n_embd, s.n_ff, false});
    t.push_back({p + "ffn_up.weight", s.n_embd, s.n_ff, false});
    t.push_back({p + "ffn_down.weight", s.n_ff, s.n_embd, false});
  }
  return t;
}

void write_vocab(gguf::GgufWriter& w, int64_t n_vocab) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0.0f, 0.0f, 0.0f};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_vocab; ++b) {
    tokens.push_back(fmt::format("<0x{:02X}>", b));
    scores.push_back(0.0f);
    types.push_back(6);  // byte
  }
  for (int64_t i = static_cast<int64_t>(tokens.size()); i < n_vocab; ++i) {
    tokens.push_back(fmt::format("\xe2\x96\x81tok{}", i));  // "▁tokN"
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
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
  RF_TRY(quant::check_supported(options.type));
  const int64_t block = gguf::ggml_type_info(options.type).block_size;
  if (s.n_embd % block != 0 || s.n_ff % block != 0) {
    return RF_ERROR(kInvalidArgument, "shape '{}' has rows that are not whole {} blocks", s.name,
                    gguf::ggml_type_name(options.type));
  }
  gguf::GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_string("general.name", fmt::format("synthetic {} {}", s.name, gguf::ggml_type_name(options.type)));
  w.set_u32("llama.context_length", static_cast<uint32_t>(s.n_ctx));
  w.set_u32("llama.embedding_length", static_cast<uint32_t>(s.n_embd));
  w.set_u32("llama.block_count", static_cast<uint32_t>(s.n_layer));
  w.set_u32("llama.feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.set_u32("llama.attention.head_count", static_cast<uint32_t>(s.n_head));
  w.set_u32("llama.attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  w.set_u32("llama.rope.dimension_count", static_cast<uint32_t>(s.n_embd / s.n_head));
  w.set_f32("llama.rope.freq_base", s.rope_base);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  write_vocab(w, s.n_vocab);

  uint64_t tensor_seed = options.seed;
  for (const TensorSpec& spec : tensor_specs(s)) {
    const gguf::GgmlType type = spec.norm ? gguf::GgmlType::kF32 : options.type;
    const uint64_t seed = tensor_seed++;
    const float scale = 1.0f / std::sqrt(static_cast<float>(spec.cols));
    auto fill = [spec, type, seed, scale, &pool](std::span<std::byte> out) -> Status {
      const size_t row_bytes = gguf::ggml_row_size(type, spec.cols);
      pool.parallel_for(spec.rows, 8, [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(spec.cols));
        for (int64_t r = begin; r < end; ++r) {
          if (spec.norm) {
            std::fill(row.begin(), row.end(), 1.0f);
          } else {
            fill_row(seed * 0x100000001B3ull + static_cast<uint64_t>(r), scale, row.data(), spec.cols);
          }
          quant::quantize_row(type, row.data(), out.data() + static_cast<size_t>(r) * row_bytes, spec.cols);
        }
      });
      return ok();
    };
    const std::vector<int64_t> ne = spec.norm ? std::vector<int64_t>{spec.cols} : std::vector<int64_t>{spec.cols, spec.rows};
    RF_TRY(w.add_tensor(spec.name, type, ne, fill));
  }
  return w.write(path);
}

}  // namespace rocmforge::model
