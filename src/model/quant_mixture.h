// Which tensor type each tensor of a model gets when it is quantised to a
// llama.cpp file type: llama.cpp's rules (src/llama-quant.cpp,
// llama_tensor_get_type and its callers), so that `rocmforge quantize` and
// `llama-quantize` write the same mixture.
//
// In short: only 2-D and larger weights are quantised (norms, biases, the MoE
// router and a list of small tensors keep their type); the output head (and a
// token embedding tied to it) gets Q6_K; the "_M"/"_L" mixtures give more bits
// to attn_v, ffn_down and attn_output in some layers; 8-expert models get Q8_0
// attn_k/attn_v; a row length that is not a multiple of the type's block falls
// back to a 32-block type, or F16. `pure` quantises every weight to the file
// type's own tensor type (still with that fallback).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/file_type.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

// ggml_is_quantized: a block type. Only such file types get a mixture, and
// only such tensors count as requantised.
bool is_quantized(gguf::GgmlType type);

// What the rules look at, as llama.cpp's hparams hold it.
struct MixtureModel {
  std::string arch;           // general.architecture
  int64_t n_layer = 0;        // block_count (llama.cpp's n_layer_all)
  int64_t n_layer_nextn = 0;  // nextn_predict_layers
  int64_t n_head = 0;         // of layer 0
  int64_t n_head_kv = 0;      // of layer 0
  int64_t n_expert = 0;

  int64_t n_gqa() const { return n_head_kv == 0 ? 0 : n_head / n_head_kv; }
  // llama.cpp's LLM_TYPE_70B: 8 heads share each attn_v, which then gets more bits.
  bool is_70b() const;
};

// Reads the model's hyperparameters from its metadata; kParse when it has no
// general.architecture or block_count (then it is not a model).
Result<MixtureModel> read_mixture_model(const gguf::GgufFile& file);

// llama.cpp's order of tensors in the file it writes (its loader's map): by
// block number, tensors outside blocks first, then by name. The mixture's
// layer counters run in this order.
std::vector<gguf::TensorInfo> quantize_order(std::span<const gguf::TensorInfo> tensors);

struct TensorTypeChoice {
  gguf::GgmlType type = gguf::GgmlType::kF32;
  bool fallback = false;  // the row length forced another type than the rules chose
};

// The type of each of `tensors` (in quantize_order) for `file_type`. kParse
// when an expert model's FFN tensor has no valid block number in its name.
Result<std::vector<TensorTypeChoice>> choose_tensor_types(const MixtureModel& model,
                                                          std::span<const gguf::TensorInfo> tensors,
                                                          const FileTypeInfo& file_type, bool pure);

}  // namespace rocmforge::model
