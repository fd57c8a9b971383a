// rocmforge synth: writes a llama-shaped GGUF with random weights.
#include "cli/backend_choice.h"
#include "cli/command.h"
#include "core/thread_pool.h"
#include "model/synth.h"

namespace rocmforge::cli {
namespace {

struct SynthCliOptions {
  std::string output;
  std::string shape = "tiny";
  std::string type = "f16";
  uint64_t seed = 42;
  std::string vocab;
  int n_threads = default_threads();
};

Status synth(const SynthCliOptions& o) {
  model::SynthOptions so;
  so.shape = RF_TRY(model::find_synth_shape(o.shape));
  // A tensor type (every matrix), else a llama.cpp file type's mixture.
  if (const auto type = gguf::parse_ggml_type(o.type)) {
    so.type = *type;
  } else {
    so.file_type = RF_TRY(model::parse_file_type(o.type));
  }
  so.seed = o.seed;
  so.vocab_path = o.vocab;
  if (o.n_threads <= 0) return RF_ERROR(kInvalidArgument, "--threads must be positive");
  core::ThreadPool pool(o.n_threads);
  RF_TRY(model::write_synth_model(o.output, so, pool));
  std::fprintf(stderr, "wrote %s (%s, %s)\n", o.output.c_str(), o.shape.c_str(), o.type.c_str());
  return ok();
}

}  // namespace

Subcommand add_synth_command(CLI::App& root) {
  auto opts = std::make_shared<SynthCliOptions>();
  CLI::App* app = root.add_subcommand("synth", "Write a GGUF model of a given shape and architecture with random weights");
  std::string shapes;
  for (const model::SynthShape& s : model::synth_shapes()) shapes += (shapes.empty() ? "" : ", ") + std::string(s.name);
  app->add_option("output", opts->output, "Output GGUF file")->required();
  app->add_option("--shape", opts->shape, "Model shape: " + shapes);
  app->add_option("--type", opts->type,
                  "Weight type of every matrix (f32, f16, bf16, q8_0, q4_0, ...), or a llama.cpp file type's mixture "
                  "as llama-quantize makes it (q4_k_m, q5_k_s, ...)");
  app->add_option("--seed", opts->seed, "Random seed");
  app->add_option("--vocab", opts->vocab, "Copy the tokenizer of this GGUF (a real vocabulary) into the model");
  app->add_option("-t,--threads", opts->n_threads, "Threads for quantisation");
  return {app, [opts] { return synth(*opts); }};
}

}  // namespace rocmforge::cli
