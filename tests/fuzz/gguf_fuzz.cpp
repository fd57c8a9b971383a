// libFuzzer target: GgufFile::parse over arbitrary bytes under tight limits.
// Any input must either parse, leaving every accessor safe, or fail with one
// one-line error that names a byte offset; a crash, a sanitizer report, a
// hang or a broken error contract (trapped below) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf/gguf_file.h"

namespace {

using rocmforge::ErrorCode;
using rocmforge::gguf::GgufFile;

rocmforge::gguf::Limits tight_limits() {
  rocmforge::gguf::Limits limits;
  limits.max_file_bytes = 1 << 20;
  limits.max_tensors = 256;
  limits.max_metadata_entries = 256;
  limits.max_string_bytes = 4096;
  limits.max_array_elements = 4096;
  limits.max_array_depth = 3;
  return limits;
}

// Reads what a caller would: every getter on every key, both ends of every tensor.
int touch(const GgufFile& file) {
  int sum = 0;
  for (const auto& entry : file.metadata()) {
    sum += file.get_int(entry.key).has_value() + file.get_float(entry.key).has_value() +
           file.get_string(entry.key).has_value() + file.get_array(entry.key).has_value();
  }
  for (const auto& tensor : file.tensors()) {
    sum += static_cast<int>(tensor.data[0]) + static_cast<int>(tensor.data[tensor.n_bytes - 1]);
    sum += static_cast<int>(tensor.shape_string().size());
    if (file.find_tensor(tensor.name) != &tensor) __builtin_trap();
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  auto file = GgufFile::parse(bytes, tight_limits());
  if (file) return touch(*file) < 0 ? -1 : 0;
  const auto& error = file.error();
  const bool expected_code = error.code() == ErrorCode::kParse || error.code() == ErrorCode::kCapacity ||
                             error.code() == ErrorCode::kUnsupported;
  const std::string& message = error.message();
  if (!expected_code || message.find('\n') != std::string::npos || message.find("at byte ") == std::string::npos) {
    __builtin_trap();
  }
  return 0;
}
