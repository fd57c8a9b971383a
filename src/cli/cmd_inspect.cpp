// rocmforge inspect: what a GGUF file holds, as text or as one JSON object
// (--json): the file's header, its metadata (long arrays and strings
// shortened), the tensor table and the totals. Each section is one entry of
// kSections with a text and a JSON renderer, so a new section (the model
// configuration, say) is one more pair of functions and one more entry.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/human_units.h"
#include "cli/inspect_config.h"
#include "gguf/gguf_file.h"
#include "gguf/value_format.h"

namespace rocmforge::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kShownItems = 6;          // array elements shown, in text and JSON
constexpr size_t kShownStringBytes = 120;  // of a string value, in text

struct InspectOptions {
  std::string model;
  bool json = false;
};

struct Section {
  std::string_view key;  // the section's member in the JSON object
  Result<std::string> (*text)(const gguf::GgufFile&);
  Result<Json> (*json)(const gguf::GgufFile&);
};

// --- file ---------------------------------------------------------------

Result<std::string> file_text(const gguf::GgufFile& file) {
  return fmt::format("file: {}\n  {} ({} bytes), GGUF version {}, alignment {}, data at byte {}\n", file.path(),
                     human_bytes(file.file_size()), file.file_size(), file.version(), file.alignment(),
                     file.data_offset());
}

Result<Json> file_json(const gguf::GgufFile& file) {
  return Json{{"path", file.path()},           {"bytes", file.file_size()},
              {"version", file.version()},     {"alignment", file.alignment()},
              {"data_offset", file.data_offset()}};
}

// --- metadata -----------------------------------------------------------

Result<std::string> metadata_text(const gguf::GgufFile& file) {
  size_t key_width = 0;
  size_t type_width = 0;
  for (const gguf::MetadataEntry& entry : file.metadata()) {
    key_width = std::max(key_width, gguf::escape(entry.key).size());
    type_width = std::max(type_width, gguf::value_type_string(entry.value).size());
  }
  const gguf::ValueFormat format{kShownItems, kShownStringBytes};
  std::string out = fmt::format("\nmetadata: {} entries\n", file.metadata().size());
  for (const gguf::MetadataEntry& entry : file.metadata()) {
    out += fmt::format("  {:<{}}  {:<{}}  {}\n", gguf::escape(entry.key), key_width,
                       gguf::value_type_string(entry.value), type_width, gguf::format_value(entry.value, format));
  }
  return out;
}

Json array_items_json(const gguf::Array& array) {
  Json items = Json::array();
  const size_t shown = std::min(array.size(), kShownItems);
  for (size_t i = 0; i < shown; ++i) {
    switch (array.element_type) {
      case gguf::ValueType::kString: items.push_back(array.strings[i]); break;
      case gguf::ValueType::kArray: items.push_back(array_items_json(array.arrays[i])); break;
      case gguf::ValueType::kFloat32:
      case gguf::ValueType::kFloat64: items.push_back(array.floats[i]); break;
      case gguf::ValueType::kBool: items.push_back(array.ints[i] != 0); break;
      case gguf::ValueType::kUint64: items.push_back(static_cast<uint64_t>(array.ints[i])); break;
      default: items.push_back(array.ints[i]); break;
    }
  }
  return items;
}

Json entry_json(const gguf::MetadataEntry& entry) {
  Json out = {{"key", entry.key}, {"type", gguf::value_type_string(entry.value)}};
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::shared_ptr<const gguf::Array>>) {
          out["value"] = array_items_json(*v);  // the first kShownItems
          out["length"] = v->size();
        } else {
          out["value"] = v;
        }
      },
      entry.value.data);
  return out;
}

Result<Json> metadata_json(const gguf::GgufFile& file) {
  Json out = Json::array();
  for (const gguf::MetadataEntry& entry : file.metadata()) out.push_back(entry_json(entry));
  return out;
}

// --- tensors ------------------------------------------------------------

Result<std::string> tensors_text(const gguf::GgufFile& file) {
  size_t name_width = std::string_view("name").size();
  size_t shape_width = std::string_view("shape").size();
  for (const gguf::TensorInfo& t : file.tensors()) {
    name_width = std::max(name_width, gguf::escape(t.name).size());
    shape_width = std::max(shape_width, t.shape_string().size());
  }
  std::string out = fmt::format("\ntensors: {}\n", file.tensors().size());
  if (file.tensors().empty()) return out;
  out += fmt::format("  {:<{}}  {:<8}  {:<{}}  {:>12}\n", "name", name_width, "type", "shape", shape_width, "bytes");
  for (const gguf::TensorInfo& t : file.tensors()) {
    out += fmt::format("  {:<{}}  {:<8}  {:<{}}  {:>12}\n", gguf::escape(t.name), name_width,
                       gguf::ggml_type_name(t.type), t.shape_string(), shape_width, human_bytes(t.n_bytes));
  }
  return out;
}

Result<Json> tensors_json(const gguf::GgufFile& file) {
  Json out = Json::array();
  for (const gguf::TensorInfo& t : file.tensors()) {
    out.push_back({{"name", t.name},
                   {"type", gguf::ggml_type_name(t.type)},
                   {"shape", std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims)},
                   {"offset", file.data_offset() + t.offset},
                   {"bytes", t.n_bytes}});
  }
  return out;
}

// --- totals -------------------------------------------------------------

struct Totals {
  uint64_t params = 0;
  uint64_t bytes = 0;
};

Totals totals(const gguf::GgufFile& file) {
  Totals sum;
  for (const gguf::TensorInfo& t : file.tensors()) {
    sum.params += static_cast<uint64_t>(t.n_elements());
    sum.bytes += t.n_bytes;
  }
  return sum;
}

Result<std::string> totals_text(const gguf::GgufFile& file) {
  const Totals sum = totals(file);
  return fmt::format("\ntotal: {} params, {} in {} tensors\n", human_count(sum.params), human_bytes(sum.bytes),
                     file.tensors().size());
}

Result<Json> totals_json(const gguf::GgufFile& file) {
  const Totals sum = totals(file);
  return Json{{"tensors", file.tensors().size()}, {"params", sum.params}, {"bytes", sum.bytes}};
}

constexpr Section kSections[] = {
    {"file", file_text, file_json},
    {"metadata", metadata_text, metadata_json},
    {"tensors", tensors_text, tensors_json},
    {"model", config_text, config_json},
    {"totals", totals_text, totals_json},
};

Status run_inspect(const InspectOptions& o) {
  const gguf::GgufFile file = RF_TRY(gguf::GgufFile::open(o.model));
  std::string out;
  if (o.json) {
    Json json = Json::object();
    for (const Section& section : kSections) json[std::string(section.key)] = RF_TRY(section.json(file));
    // Strings from the file need not be UTF-8 (byte tokens): JSON shows U+FFFD.
    out = json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  } else {
    for (const Section& section : kSections) out += RF_TRY(section.text(file));
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return RF_ERROR(kIo, "cannot write to stdout");
  }
  return ok();
}

}  // namespace

Subcommand add_inspect_command(CLI::App& root) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* app = root.add_subcommand("inspect", "Show a GGUF file's metadata, tensors, model configuration and totals");
  app->add_option("model", options->model, "GGUF file")->required();
  app->add_flag("--json", options->json,
                "Print one JSON object {file, metadata, tensors, model, totals}; arrays give their first items and length");
  return {app, [options] { return run_inspect(*options); }};
}

}  // namespace rocmforge::cli
