#include "model_file_builder.h"

#include <filesystem>
#include <memory>
#include <vector>

#include "core/thread_pool.h"

namespace rocmforge::testing {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("rocmforge_test_" + name + ".gguf")).string();
}

std::string write_temp_model(const std::string& name, const model::SynthOptions& o) {
  core::ThreadPool pool(2);
  const std::string path = temp_path(name);
  const Status s = model::write_synth_model(path, o, pool);
  if (!s) throw std::runtime_error(s.error().to_string());
  return path;
}

}  // namespace

std::string write_small_model(const std::string& name, gguf::GgmlType type, bool tied_output) {
  model::SynthOptions o;
  o.shape = {.name = "small", .arch = "llama", .n_vocab = 128, .n_embd = 64, .n_layer = 2, .n_head = 4, .n_head_kv = 2,
             .n_ff = 128, .n_ctx = 256, .tied_output = tied_output};
  o.type = type;
  return write_temp_model(name, o);
}

std::string write_synth_shape_model(const std::string& shape, gguf::GgmlType type, const std::string& name) {
  auto found = model::find_synth_shape(shape);
  if (!found) throw std::runtime_error(found.error().to_string());
  model::SynthOptions o;
  o.shape = *found;
  o.type = type;
  return write_temp_model(name, o);
}

std::string write_edited_copy(const std::string& source, const std::string& name, const ModelEdit& edit) {
  auto file = gguf::GgufFile::open(source);
  if (!file) throw std::runtime_error(file.error().to_string());
  gguf::GgufWriter w;
  for (const gguf::MetadataEntry& e : file->metadata()) {
    if (e.key == "general.alignment") continue;
    const Status s = w.set(e.key, e.value);
    if (!s) throw std::runtime_error(s.error().to_string());
  }
  if (edit.metadata) edit.metadata(w);
  std::vector<std::shared_ptr<std::vector<std::byte>>> keep_alive;
  for (const gguf::TensorInfo& t : file->tensors()) {
    if (edit.keep_tensor && !edit.keep_tensor(t)) continue;
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    if (edit.reshape) edit.reshape(t, ne);
    auto bytes = std::make_shared<std::vector<std::byte>>(t.data, t.data + t.n_bytes);
    int64_t elements = 1;
    for (int64_t d : ne) elements *= d;
    bytes->resize(gguf::ggml_row_size(t.type, ne[0]) * static_cast<size_t>(elements / ne[0]));
    keep_alive.push_back(bytes);
    const Status s = w.add_tensor(t.name, t.type, ne, std::span<const std::byte>(*bytes));
    if (!s) throw std::runtime_error(s.error().to_string());
  }
  const std::string path = temp_path(name);
  const Status s = w.write(path);
  if (!s) throw std::runtime_error(s.error().to_string());
  return path;
}

}  // namespace rocmforge::testing
