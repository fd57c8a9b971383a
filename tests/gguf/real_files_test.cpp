// The real GGUF files under models/ and tests/data/: stories260K against
// ggml's dump of it, every quantised tiny model, the vocabulary-only files,
// and the time to open a 100,000-token vocabulary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "testing/test_paths.h"

namespace rocmforge::gguf {
namespace {

using rocmforge::testing::data_path;
using rocmforge::testing::source_path;

// FNV-1a-64 as the dump's tool computes it: its offset basis is
// 1469598103934665603, the standard 14695981039346656037 without its last
// digit (recovered by running the hash backwards over three tensors).
constexpr uint64_t kDumpFnvBasis = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t fnv1a(std::span<const std::byte> bytes, uint64_t hash = kDumpFnvBasis) {
  for (const std::byte b : bytes) hash = (hash ^ static_cast<uint8_t>(b)) * kFnvPrime;
  return hash;
}

std::string_view dump_type(ValueType type) {
  switch (type) {
    case ValueType::kUint8: return "u8";
    case ValueType::kInt8: return "i8";
    case ValueType::kUint16: return "u16";
    case ValueType::kInt16: return "i16";
    case ValueType::kUint32: return "u32";
    case ValueType::kInt32: return "i32";
    case ValueType::kFloat32: return "f32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "str";
    case ValueType::kArray: return "arr";
    case ValueType::kUint64: return "u64";
    case ValueType::kInt64: return "i64";
    case ValueType::kFloat64: return "f64";
  }
  return "?";
}

// Hashes an array as the dump does: fixed-size elements as their file bytes,
// strings each followed by a NUL.
uint64_t dump_array_hash(const Array& array) {
  uint64_t hash = kDumpFnvBasis;
  const auto add = [&](const auto& value) { hash = fnv1a(std::as_bytes(std::span(&value, 1)), hash); };
  switch (array.element_type) {
    case ValueType::kString:
      for (const std::string& s : array.strings) {
        hash = fnv1a(std::as_bytes(std::span(s.data(), s.size() + 1)), hash);  // with its NUL
      }
      break;
    case ValueType::kFloat32:
      for (const double v : array.floats) add(static_cast<float>(v));
      break;
    case ValueType::kInt32:
      for (const int64_t v : array.ints) add(static_cast<int32_t>(v));
      break;
    default: ADD_FAILURE() << "no dump hash for arrays of " << value_type_name(array.element_type);
  }
  return hash;
}

std::string dump_line(const MetadataEntry& entry) {
  const std::string head = fmt::format("kv {} {}", entry.key, dump_type(entry.value.type()));
  if (const auto* array = std::get_if<std::shared_ptr<const Array>>(&entry.value.data)) {
    return fmt::format("{} {} x{} fnv:{:016x}", head, dump_type((*array)->element_type), (*array)->size(),
                       dump_array_hash(**array));
  }
  if (const auto* text = std::get_if<std::string>(&entry.value.data)) return fmt::format("{} \"{}\"", head, *text);
  if (const auto* f = std::get_if<float>(&entry.value.data)) {
    uint32_t bits = 0;
    std::memcpy(&bits, f, sizeof(bits));
    return fmt::format("{} f32:{:08x}", head, bits);
  }
  if (const auto* u = std::get_if<uint32_t>(&entry.value.data)) return fmt::format("{} {}", head, *u);
  return head + " (not in the dump's format)";
}

std::vector<std::string> dump(const GgufFile& file) {
  std::vector<std::string> lines = {fmt::format("version {}", file.version()),
                                    fmt::format("alignment {}", file.alignment()),
                                    fmt::format("data {}", file.data_offset())};
  for (const MetadataEntry& entry : file.metadata()) lines.push_back(dump_line(entry));
  for (const TensorInfo& t : file.tensors()) {
    lines.push_back(fmt::format("tensor {} {} at {} size {} fnv:{:016x}", t.name, ggml_type_name(t.type),
                                file.data_offset() + t.offset, t.n_bytes, fnv1a(t.bytes())));
  }
  return lines;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(GgufRealFiles, Stories260KMatchesGgmlDump) {
  auto file = GgufFile::open(source_path("models/stories260K.gguf"));
  ASSERT_TRUE(file) << file.error().to_string();
  const std::vector<std::string> expected = read_lines(data_path("refs/stories260K.gguf-dump.txt"));
  ASSERT_EQ(expected.size(), 3u + 19u + 48u);
  const std::vector<std::string> actual = dump(*file);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual[i], expected[i]) << "line " << i + 1;
  EXPECT_EQ(*file->get_int("llama.embedding_length"), 64);
  EXPECT_EQ(file->find_tensor("blk.4.ffn_up.weight")->shape_string(), "[64, 172]");
}

TEST(GgufRealFiles, EveryQuantisedTinyModelOpens) {
  size_t n_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("models/quant"))) {
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    auto file = GgufFile::open(path);
    ASSERT_TRUE(file) << file.error().to_string();
    ++n_files;
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(file->tensors().size(), 21u);
    EXPECT_EQ(*file->get_string("general.architecture"), "llama");
    EXPECT_EQ((*file->get_array("tokenizer.ggml.tokens"))->size(), 512u);
    std::set<GgmlType> types;
    for (const TensorInfo& t : file->tensors()) types.insert(t.type);
    // tiny-<type>.gguf holds tensors of <type>; the Q4_K_M mixture is mostly q4_k.
    const std::string stem = entry.path().stem().string().substr(std::strlen("tiny-"));
    const auto named = parse_ggml_type(stem == "mix-q4_k_m" ? "q4_k" : stem);
    ASSERT_TRUE(named) << stem;
    EXPECT_TRUE(types.contains(*named)) << stem;
  }
  EXPECT_EQ(n_files, 16u);
}

TEST(GgufRealFiles, LlamaTinyRandomCarriesTheLlama2Vocabulary) {
  auto file = GgufFile::open(data_path("models/llama-2-tiny-random.gguf"));
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->tensors().size(), 12u);
  const Array* tokens = *file->get_array("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens->size(), 32000u);
  EXPECT_EQ(tokens->strings[1], "<s>");
}

TEST(GgufRealFiles, VocabularyFilesHaveNoTensors) {
  size_t n_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_path("vocab"))) {
    if (entry.path().extension() != ".gguf") continue;
    SCOPED_TRACE(entry.path().string());
    auto file = GgufFile::open(entry.path().string());
    ASSERT_TRUE(file) << file.error().to_string();
    ++n_files;
    EXPECT_TRUE(file->tensors().empty());
    EXPECT_TRUE(*file->find_string("tokenizer.ggml.model"));
    const size_t n_tokens = (*file->get_array("tokenizer.ggml.tokens"))->size();
    EXPECT_GT(n_tokens, 30000u);
    for (const char* key : {"tokenizer.ggml.scores", "tokenizer.ggml.token_type"}) {
      if (const Array* array = *file->find_array(key)) {
        EXPECT_EQ(array->size(), n_tokens) << key;
      }
    }
  }
  EXPECT_EQ(n_files, 7u);
}

TEST(GgufRealFiles, AHundredThousandTokenVocabularyOpensFast) {
  constexpr int kTokens = 100000;
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int i = 0; i < kTokens; ++i) {
    tokens.push_back(fmt::format("\xc4\xa0tok{}{}", i, std::string(static_cast<size_t>(i % 7), 'x')));
    merges.push_back(fmt::format("tok {}", i));
    scores.push_back(static_cast<float>(-i));
    types.push_back(1);
  }
  GgufWriter writer;
  writer.set_string("tokenizer.ggml.model", "gpt2");
  writer.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
  writer.set_string_array("tokenizer.ggml.merges", std::move(merges));
  writer.set_f32_array("tokenizer.ggml.scores", scores);
  writer.set_i32_array("tokenizer.ggml.token_type", types);
  const std::vector<std::byte> bytes = *writer.to_bytes();

  const auto start = std::chrono::steady_clock::now();
  auto file = GgufFile::parse(bytes);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ((*file->get_array("tokenizer.ggml.tokens"))->size(), size_t{kTokens});
  // Tens of milliseconds on a loaded two-core machine; a quadratic step would take seconds.
  EXPECT_LT(elapsed, std::chrono::milliseconds(250));
  RecordProperty("parse_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

}  // namespace
}  // namespace rocmforge::gguf
