// A tokenizer vocabulary read from GGUF metadata, shared by every tokenizer
// model: the tokens with their scores and types, the special token ids, the
// add-BOS/EOS/space-prefix flags and the end-of-generation set, and what only
// some models have (BPE merges and pre-tokenizer, WordPiece normalizer).
//
// The rules follow llama.cpp's llama_vocab::load (defaults per model, special
// tokens recognised by their text, the per-model strip flags), so that a model
// tokenizes here exactly as it does there. Unlike llama.cpp, metadata that
// does not make sense (arrays of different lengths, ids outside the
// vocabulary, token types out of range) is a kParse error, never a warning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rocmforge/error.h"
#include "tokenizer/pre_tokenizer_specs.h"

namespace rocmforge::gguf {
class GgufFile;
}

namespace rocmforge::tokenizer {

using TokenId = int32_t;

// Token types as stored in tokenizer.ggml.token_type (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

std::string_view token_type_name(TokenType type);

// The tokenization algorithm, from tokenizer.ggml.model.
enum class VocabKind {
  kSpm,  // "llama": SentencePiece merges by score, byte fallback
  kBpe,  // "gpt2": byte-level BPE, merges by rank within pre-tokenized words
  kWpm,  // "bert": WordPiece, longest token first within normalized words
};

// BERT's text normalization (tokenizer.ggml.normalizer.*), for WordPiece.
struct Normalizer {
  bool lowercase = true;
  bool strip_accents = true;
};

// Heterogeneous hashing, so that maps keyed by text can be probed with a
// string_view.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

struct TokenData {
  std::string text;  // as stored: spaces are U+2581 for SentencePiece models
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
  // When the token is matched in raw text, the whitespace to its left/right
  // is dropped (llama.cpp's LSTRIP/RSTRIP attributes).
  bool lstrip = false;
  bool rstrip = false;
};

struct SpecialTokens {
  std::optional<TokenId> bos;
  std::optional<TokenId> eos;
  std::optional<TokenId> eot;
  std::optional<TokenId> eom;
  std::optional<TokenId> unk;
  std::optional<TokenId> sep;
  std::optional<TokenId> pad;
  std::optional<TokenId> mask;
  std::optional<TokenId> fim_pre;
  std::optional<TokenId> fim_suf;
  std::optional<TokenId> fim_mid;
  std::optional<TokenId> fim_pad;
  std::optional<TokenId> fim_rep;
  std::optional<TokenId> fim_sep;
};

class Vocab {
 public:
  // kUnsupported for a tokenizer model other than those in VocabKind (the
  // message lists them); kParse for missing or inconsistent metadata.
  static Result<Vocab> from_gguf(const gguf::GgufFile& file);

  VocabKind kind() const { return kind_; }
  const std::string& model_name() const { return model_name_; }

  int32_t n_tokens() const { return static_cast<int32_t>(tokens_.size()); }
  bool contains(TokenId id) const { return id >= 0 && id < n_tokens(); }
  // `id` must be contained.
  const TokenData& token(TokenId id) const { return tokens_[static_cast<size_t>(id)]; }
  std::optional<TokenId> find(std::string_view text) const;
  size_t max_token_bytes() const { return max_token_bytes_; }

  const SpecialTokens& special() const { return special_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  // decode() removes spaces before punctuation as llama.cpp's
  // clean_up_tokenization_spaces does (BPE and WordPiece, per pre-tokenizer).
  bool clean_spaces() const { return clean_spaces_; }

  // BPE only: the pre-tokenizer (tokenizer.ggml.pre, "default" when absent,
  // as llama.cpp) and the merges (tokenizer.ggml.merges) in rank order.
  const PreTokenizerSpec* pre_tokenizer() const { return pre_tokenizer_; }
  const std::vector<std::string>& merges() const { return merges_; }
  const Normalizer& normalizer() const { return normalizer_; }

  bool is_eog(TokenId id) const;
  const std::vector<TokenId>& eog_ids() const { return eog_ids_; }  // ascending

  // Control, user-defined and unknown tokens, longest text first (ties by
  // id): the tokens that encode() matches in raw text before tokenizing it.
  const std::vector<TokenId>& special_token_ids() const { return special_token_ids_; }

 private:
  struct KindDefaults;

  Vocab() = default;
  KindDefaults defaults() const;
  Status read_model_specifics(const gguf::GgufFile& file);
  Status read_tokens(const gguf::GgufFile& file);
  Status read_special_ids(const gguf::GgufFile& file);
  Status read_flags(const gguf::GgufFile& file);
  // llama.cpp's text-based rules (special_token_rules.cpp).
  void detect_special_tokens();
  void build_eog_set();
  // The names llama.cpp keys its per-model token attributes on.
  struct ModelNames {
    std::string_view general_name;
    std::string_view architecture;
    std::string_view pre_tokenizer;
  };
  void apply_name_quirks(const ModelNames& names);
  void build_special_token_list();
  void set_type(TokenId id, TokenType type) { tokens_[static_cast<size_t>(id)].type = type; }
  void mark_control(TokenId id);

  VocabKind kind_ = VocabKind::kSpm;
  std::string model_name_;
  std::vector<TokenData> tokens_;
  std::unordered_map<std::string, TokenId, TextHash, std::equal_to<>> token_to_id_;
  size_t max_token_bytes_ = 0;
  SpecialTokens special_;
  bool add_bos_ = false;
  bool add_eos_ = false;
  bool add_space_prefix_ = false;
  bool clean_spaces_ = false;
  const PreTokenizerSpec* pre_tokenizer_ = nullptr;
  std::vector<std::string> merges_;
  Normalizer normalizer_;
  std::vector<TokenId> eog_ids_;
  std::vector<TokenId> special_token_ids_;
};

}  // namespace rocmforge::tokenizer
