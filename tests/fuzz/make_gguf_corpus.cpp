// Writes the seed corpus for gguf_fuzz: each real GGUF file given, shrunk to
// a few KB while keeping its structure (every key and value type, arrays cut
// to a few elements, every tensor info with its type, each tensor one or two
// blocks of its real bytes).
// Usage: make_gguf_corpus OUT_DIR FILE.gguf... (tests/fuzz/README.md lists the files)
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace {

using namespace rocmforge;
using namespace rocmforge::gguf;

constexpr size_t kArrayItems = 6;
constexpr size_t kStringBytes = 48;

Array shrink(const Array& array) {
  Array out = array;
  out.ints.resize(std::min(out.ints.size(), kArrayItems));
  out.floats.resize(std::min(out.floats.size(), kArrayItems));
  out.strings.resize(std::min(out.strings.size(), kArrayItems));
  for (std::string& s : out.strings) s.resize(std::min(s.size(), kStringBytes));
  out.arrays.resize(std::min(out.arrays.size(), kArrayItems));
  for (Array& nested : out.arrays) nested = shrink(nested);
  return out;
}

Status shrink_file(const std::string& path, const std::filesystem::path& out) {
  const GgufFile file = RF_TRY(GgufFile::open(path));
  GgufWriter writer;
  for (const MetadataEntry& entry : file.metadata()) {
    if (const auto* array = std::get_if<std::shared_ptr<const Array>>(&entry.value.data)) {
      RF_TRY(writer.set_array(entry.key, shrink(**array)));
    } else if (const auto* text = std::get_if<std::string>(&entry.value.data)) {
      writer.set_string(entry.key, text->substr(0, kStringBytes));
    } else {
      RF_TRY(writer.set(entry.key, entry.value));
    }
  }
  for (const TensorInfo& tensor : file.tensors()) {
    const GgmlTypeInfo type = ggml_type_info(tensor.type);
    // One block per row; two rows for matrices, so shapes keep their rank.
    std::vector<int64_t> ne = {type.block_size};
    if (tensor.n_dims > 1) ne.push_back(2);
    const uint64_t n_bytes = *ggml_tensor_bytes(tensor.type, ne);
    RF_TRY(writer.add_tensor(tensor.name, tensor.type, ne, tensor.bytes().first(n_bytes)));
  }
  return writer.write(out.string());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_gguf_corpus OUT_DIR FILE.gguf...\n");
    return 2;
  }
  const std::filesystem::path out_dir = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string path = argv[i];
    const Status written = shrink_file(path, out_dir / std::filesystem::path(path).filename());
    if (!written) {
      std::fprintf(stderr, "make_gguf_corpus: %s\n", written.error().message().c_str());
      return 1;
    }
  }
  return 0;
}
