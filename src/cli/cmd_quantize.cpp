// rocmforge quantize IN OUT TYPE: llama-quantize for the file types rocmforge
// can produce (model/file_type.h), with the same mixture and bytes
// (model/quantize.h), a progress bar on stderr and a size summary.
#include <chrono>
#include <cstdio>

#include "cli/backend_choice.h"
#include "cli/command.h"
#include "cli/human_units.h"
#include "cli/progress_bar.h"
#include "core/thread_pool.h"
#include "model/quantize.h"

namespace rocmforge::cli {
namespace {

struct QuantizeCliOptions {
  std::string input;
  std::string output;
  std::string type;
  bool pure = false;
  bool allow_requantize = false;
  int n_threads = default_threads();
};

double bits_per_weight(uint64_t bytes, uint64_t n_elements) {
  return n_elements == 0 ? 0.0 : static_cast<double>(bytes) * 8.0 / static_cast<double>(n_elements);
}

void report_fallbacks(const model::QuantizePlan& plan) {
  size_t n_fallback = 0;
  for (const model::TensorJob& job : plan.tensors) {
    if (!job.fallback) continue;
    ++n_fallback;
    std::fprintf(stderr, "warning: %s: rows of %lld are not whole blocks of the mixture's type: using %s\n",
                 job.source.name.c_str(), static_cast<long long>(job.source.ne[0]),
                 std::string(gguf::ggml_type_name(job.type)).c_str());
  }
  if (n_fallback > 0) {
    std::fprintf(stderr, "warning: %zu of %zu tensors needed a fallback type\n", n_fallback, plan.tensors.size());
  }
}

// On a terminal, the bar; elsewhere, one line per tensor as llama-quantize logs them.
void show_progress(const model::QuantizePlan& plan, const model::QuantizeProgress& p, ProgressBar& bar) {
  const model::TensorJob& job = plan.tensors[p.i_tensor];
  const std::string types = job.converts() ? fmt::format("{} -> {}", gguf::ggml_type_name(job.source.type),
                                                         gguf::ggml_type_name(job.type))
                                           : std::string(gguf::ggml_type_name(job.type));
  const std::string counter = fmt::format("[{:4}/{:4}]", p.i_tensor + 1, plan.tensors.size());
  if (bar.interactive()) {
    const double fraction = plan.bytes_in == 0 ? 1.0 : static_cast<double>(p.bytes_in_done) / plan.bytes_in;
    bar.update(fraction, fmt::format("{} {} / {}  {} {}", counter, human_bytes(p.bytes_in_done),
                                     human_bytes(plan.bytes_in), job.source.name, types));
  } else if (p.tensor_done) {
    fmt::print(stderr, "{} {:<36} {:<16} {:>14} -> {:>10}\n", counter, job.source.name, job.source.shape_string(),
               types, human_bytes(job.n_bytes));
  }
}

Status quantize(const QuantizeCliOptions& o) {
  model::QuantizeOptions options;
  options.file_type = RF_TRY(model::parse_file_type(o.type));
  options.pure = o.pure;
  options.allow_requantize = o.allow_requantize;
  if (o.n_threads <= 0) return RF_ERROR(kInvalidArgument, "--threads must be positive");
  const model::QuantizePlan plan = RF_TRY(model::plan_quantization(o.input, options));
  report_fallbacks(plan);

  core::ThreadPool pool(o.n_threads);
  const auto start = std::chrono::steady_clock::now();
  {
    ProgressBar bar(stderr);
    // Announced once the output exists, so that a path that cannot be
    // written to gets its one error line and nothing else.
    bool announced = false;
    RF_TRY(model::write_quantized(plan, o.output, pool, [&](const model::QuantizeProgress& p) {
      if (!announced) {
        fmt::print(stderr, "quantize: {} -> {} as {}{}, {} threads\n", o.input, o.output,
                   options.file_type.copy ? options.file_type.name : model::file_type_name(options.file_type.type),
                   o.pure ? " (pure)" : "", o.n_threads);
        announced = true;
      }
      show_progress(plan, p, bar);
    }));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t n_converted = 0;
  for (const model::TensorJob& job : plan.tensors) n_converted += job.converts() ? 1 : 0;
  fmt::print(stderr, "quantize: model size: {} ({:.2f} bpw) -> {} ({:.2f} bpw)\n", human_bytes(plan.bytes_in),
             bits_per_weight(plan.bytes_in, plan.n_elements), human_bytes(plan.bytes_out),
             bits_per_weight(plan.bytes_out, plan.n_elements));
  fmt::print(stderr, "quantize: {} tensors ({} converted) in {:.2f} s, {:.1f} MB/s of input\n", plan.tensors.size(),
             n_converted, seconds, seconds > 0 ? static_cast<double>(plan.bytes_in) / seconds / 1e6 : 0.0);
  return ok();
}

}  // namespace

Subcommand add_quantize_command(CLI::App& root) {
  auto opts = std::make_shared<QuantizeCliOptions>();
  CLI::App* app = root.add_subcommand("quantize", "Quantise a GGUF model to a llama.cpp file type (as llama-quantize)");
  std::string types;
  for (const model::FileTypeInfo& t : model::file_types()) types += (types.empty() ? "" : ", ") + std::string(t.name);
  app->add_option("input", opts->input, "Input GGUF model (usually F32, F16 or BF16)")->required();
  app->add_option("output", opts->output, "Output GGUF file")->required();
  app->add_option("type", opts->type, "File type: " + types)->required();
  app->add_flag("--pure", opts->pure, "Quantise every weight to the type's tensor type, without the mixture's bumps");
  app->add_flag("--allow-requantize", opts->allow_requantize,
                "Convert tensors that are already quantised (loses quality compared with quantising F16/F32)");
  app->add_option("-t,--threads", opts->n_threads, "Threads");
  return {app, [opts] { return quantize(*opts); }};
}

}  // namespace rocmforge::cli
