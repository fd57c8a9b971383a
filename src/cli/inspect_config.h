// The "model configuration" section of rocmforge inspect: the dimensions the
// engine derives from metadata and tensor shapes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"

namespace rocmforge::cli {

// A file without an architecture (a vocabulary) or with one this build does
// not run gets a one-line explanation; a supported architecture whose
// metadata and tensors disagree is an error.
Result<std::string> config_text(const gguf::GgufFile& file);
Result<nlohmann::ordered_json> config_json(const gguf::GgufFile& file);

}  // namespace rocmforge::cli
