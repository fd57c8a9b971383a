// Quantising a GGUF model to a llama.cpp file type, as llama-quantize does
// without an importance matrix: the same tensor types (model/quant_mixture.h),
// the same bytes (quant::quantize_row is ggml's reference), the same tensor
// order and metadata (copied, then general.quantization_version and
// general.file_type appended), so the output file is llama-quantize's.
//
// Where it differs on purpose: a tensor that would be requantised is refused
// before anything is written (llama.cpp stops midway); a NaN or infinity in a
// converted weight is an error naming the tensor and row; a file aligned to
// other than 32 bytes keeps its alignment; an output path naming the input is
// refused.
//
// The model streams through: each output tensor is converted into one buffer
// while the file is written, rows in parallel on the caller's pool, so memory
// holds one output tensor, never the model.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/gguf_file.h"
#include "model/file_type.h"
#include "model/quant_mixture.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

struct QuantizeOptions {
  FileTypeInfo file_type;
  bool pure = false;              // every weight to the file type's tensor type
  bool allow_requantize = false;  // convert tensors that are already quantised
};

// One tensor of the output file and where it comes from.
struct TensorJob {
  gguf::TensorInfo source;  // its data points into QuantizePlan::input
  gguf::GgmlType type = gguf::GgmlType::kF32;
  bool fallback = false;  // see TensorTypeChoice
  uint64_t n_bytes = 0;   // in the output

  bool converts() const { return type != source.type; }
};

struct QuantizePlan {
  gguf::GgufFile input;
  QuantizeOptions options;
  std::vector<TensorJob> tensors;  // in output order
  uint64_t bytes_in = 0;           // tensor data, input
  uint64_t bytes_out = 0;          // tensor data, output
  uint64_t n_elements = 0;
};

// Opens the input and decides every tensor's type. kInvalidArgument for a
// quantised tensor to convert without allow_requantize; kUnsupported for a
// split file or a source type rocmforge cannot dequantise; the input's
// errors (not a GGUF file, not a model) as they are.
Result<QuantizePlan> plan_quantization(const std::string& input_path, const QuantizeOptions& options);

struct QuantizeProgress {
  size_t i_tensor = 0;  // the tensor being written (index into plan.tensors)
  bool tensor_done = false;
  uint64_t bytes_in_done = 0;  // of plan.bytes_in
  uint64_t bytes_out_done = 0;
};
// Called on the calling thread as work advances: at least once per tensor.
using QuantizeProgressFn = std::function<void(const QuantizeProgress&)>;

// Writes the plan's output to `output_path` (removed again on failure).
Status write_quantized(const QuantizePlan& plan, const std::string& output_path, core::ThreadPool& pool,
                       const QuantizeProgressFn& progress);

}  // namespace rocmforge::model
