#include "model/quantize.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "gguf/gguf_writer.h"
#include "quant/quant.h"

namespace rocmforge::model {
namespace {

using gguf::GgmlType;

// llama.cpp's GGML_QNT_VERSION: the version of the quantised block formats.
constexpr uint32_t kQuantizationVersion = 2;
// Keys llama.cpp drops (split) or rewrites (appended at the end, in this order).
constexpr std::string_view kQuantizationVersionKey = "general.quantization_version";
constexpr std::string_view kFileTypeKey = "general.file_type";
constexpr std::string_view kSplitKeys[] = {"split.no", "split.count", "split.tensors.count"};

// Work is handed out in chunks of at least this many elements (llama.cpp's
// min_chunk_size), and progress reported after each slab of source bytes.
constexpr int64_t kChunkElements = 32 * 512;
constexpr uint64_t kSlabBytes = uint64_t{64} << 20;

Status check_convertible(const TensorJob& job, const QuantizeOptions& options) {
  const gguf::TensorInfo& t = job.source;
  if (is_quantized(t.type) && !options.allow_requantize) {
    return RF_ERROR(kInvalidArgument,
                    "the model is already quantised (tensor '{}' is {}); requantising loses quality, pass "
                    "--allow-requantize to do it anyway",
                    t.name, gguf::ggml_type_name(t.type));
  }
  if (!quant::is_supported(t.type)) {
    return RF_ERROR(kUnsupported, "tensor '{}' is {}, which rocmforge cannot convert to {}", t.name,
                    gguf::ggml_type_name(t.type), gguf::ggml_type_name(job.type));
  }
  return ok();
}

// Where the writer is, for progress reports; the fills run one after another.
struct Position {
  size_t i_tensor = 0;
  uint64_t bytes_in_done = 0;
  uint64_t bytes_out_done = 0;
};

struct RowRange {
  int64_t begin;
  int64_t end;
};

// Dequantises rows [range) of the job's source to F32 and quantises them into
// `out`, chunks handed out to the pool's threads as they come free.
Status convert_rows(const TensorJob& job, RowRange range, std::span<std::byte> out, core::ThreadPool& pool) {
  const gguf::TensorInfo& t = job.source;
  const int64_t n_cols = t.ne[0];
  const size_t src_row_bytes = gguf::ggml_row_size(t.type, n_cols);
  const size_t dst_row_bytes = gguf::ggml_row_size(job.type, n_cols);
  const int64_t chunk_rows = std::max<int64_t>(1, kChunkElements / n_cols);
  std::atomic<int64_t> next{range.begin};
  return pool.run_checked([&](int) -> Status {
    std::vector<float> row(static_cast<size_t>(n_cols));
    for (int64_t begin = next.fetch_add(chunk_rows); begin < range.end; begin = next.fetch_add(chunk_rows)) {
      const int64_t end = std::min(range.end, begin + chunk_rows);
      for (int64_t r = begin; r < end; ++r) {
        quant::dequantize_row(t.type, t.data + static_cast<size_t>(r) * src_row_bytes, row.data(), n_cols);
        if (!std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); })) {
          next = range.end;  // the other threads stop too
          return RF_ERROR(kInvalidArgument, "row {} holds a NaN or an infinity", r);
        }
        quant::quantize_row(job.type, row.data(), out.data() + static_cast<size_t>(r) * dst_row_bytes, n_cols);
      }
    }
    return ok();
  });
}

Status fill_tensor(const TensorJob& job, std::span<std::byte> out, core::ThreadPool& pool, Position& position,
                   const QuantizeProgressFn& progress) {
  const gguf::TensorInfo& t = job.source;
  const uint64_t in_start = position.bytes_in_done;
  if (!job.converts()) {
    std::memcpy(out.data(), t.data, out.size());
  } else {
    const uint64_t src_row_bytes = gguf::ggml_row_size(t.type, t.ne[0]);
    const int64_t slab_rows = std::max<int64_t>(1, static_cast<int64_t>(kSlabBytes / src_row_bytes));
    for (int64_t begin = 0; begin < t.n_rows(); begin += slab_rows) {
      const int64_t end = std::min(t.n_rows(), begin + slab_rows);
      RF_TRY(convert_rows(job, {begin, end}, out, pool));
      position.bytes_in_done = in_start + static_cast<uint64_t>(end) * src_row_bytes;
      if (end < t.n_rows()) progress({position.i_tensor, false, position.bytes_in_done, position.bytes_out_done});
    }
  }
  position.bytes_in_done = in_start + t.n_bytes;
  return ok();
}

}  // namespace

Result<QuantizePlan> plan_quantization(const std::string& input_path, const QuantizeOptions& options) {
  QuantizePlan plan{RF_TRY(gguf::GgufFile::open(input_path)), options, {}, 0, 0, 0};
  const auto n_split = RF_TRY(plan.input.find_int("split.count"));
  if (n_split && *n_split > 1) {
    return RF_ERROR(kUnsupported, "'{}' is one of {} split files; merge them first (llama-gguf-split --merge)",
                    input_path, *n_split);
  }
  Result<MixtureModel> model = read_mixture_model(plan.input);
  if (!model) return std::move(model).error().with_context(fmt::format("'{}'", input_path));
  const std::vector<gguf::TensorInfo> ordered = quantize_order(plan.input.tensors());
  const std::vector<TensorTypeChoice> choices =
      RF_TRY(choose_tensor_types(*model, ordered, options.file_type, options.pure));
  for (size_t i = 0; i < ordered.size(); ++i) {
    TensorJob job{ordered[i], choices[i].type, choices[i].fallback, 0};
    if (job.converts()) RF_TRY(check_convertible(job, options));
    const auto n_bytes = gguf::ggml_tensor_bytes(job.type, std::span(job.source.ne).first(job.source.n_dims));
    if (!n_bytes) return RF_ERROR(kInvalidArgument, "tensor '{}': its size as {} overflows", job.source.name,
                                  gguf::ggml_type_name(job.type));
    job.n_bytes = *n_bytes;
    plan.bytes_in += job.source.n_bytes;
    plan.bytes_out += job.n_bytes;
    plan.n_elements += static_cast<uint64_t>(job.source.n_elements());
    plan.tensors.push_back(std::move(job));
  }
  return plan;
}

Status write_quantized(const QuantizePlan& plan, const std::string& output_path, core::ThreadPool& pool,
                       const QuantizeProgressFn& progress) {
  std::error_code ec;
  if (std::filesystem::equivalent(plan.input.path(), output_path, ec)) {
    return RF_ERROR(kInvalidArgument, "the output '{}' is the input file", output_path);
  }
  gguf::GgufWriter writer;
  const bool copy = plan.options.file_type.copy;  // the input's file type stays
  for (const gguf::MetadataEntry& entry : plan.input.metadata()) {
    const bool dropped = entry.key == kQuantizationVersionKey || (entry.key == kFileTypeKey && !copy) ||
                         std::find(std::begin(kSplitKeys), std::end(kSplitKeys), entry.key) != std::end(kSplitKeys);
    if (!dropped) RF_TRY(writer.set(entry.key, entry.value));
  }
  writer.set_u32(kQuantizationVersionKey, kQuantizationVersion);
  if (!copy) writer.set_u32(kFileTypeKey, static_cast<uint32_t>(plan.options.file_type.type));

  Position position;
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const TensorJob& job = plan.tensors[i];
    const gguf::TensorInfo& t = job.source;
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    auto fill = [&, i](std::span<std::byte> out) -> Status {
      position.i_tensor = i;
      RF_TRY(fill_tensor(job, out, pool, position, progress));
      position.bytes_out_done += job.n_bytes;
      progress({i, true, position.bytes_in_done, position.bytes_out_done});
      return ok();
    };
    RF_TRY(writer.add_tensor(t.name, job.type, ne, std::move(fill)));
  }
  return writer.write(output_path);
}

}  // namespace rocmforge::model
