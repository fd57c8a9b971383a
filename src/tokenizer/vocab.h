// A tokenizer vocabulary read from GGUF metadata, shared by every tokenizer
// model: the tokens with their scores and types, the special token ids, the
// add-BOS/EOS/space-prefix flags and the end-of-generation set.
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

  bool is_eog(TokenId id) const;
  const std::vector<TokenId>& eog_ids() const { return eog_ids_; }  // ascending

  // Control, user-defined and unknown tokens, longest text first (ties by
  // id): the tokens that encode() matches in raw text before tokenizing it.
  const std::vector<TokenId>& special_token_ids() const { return special_token_ids_; }

 private:
  // Heterogeneous lookup, so that encoders can probe with a string_view.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  Vocab() = default;
  Status read_tokens(const gguf::GgufFile& file);
  Status read_special_ids(const gguf::GgufFile& file);
  Status read_flags(const gguf::GgufFile& file);
  // llama.cpp's text-based rules (special_token_rules.cpp).
  void detect_special_tokens();
  void build_eog_set();
  void apply_name_quirks(std::string_view general_name);
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
  std::vector<TokenId> eog_ids_;
  std::vector<TokenId> special_token_ids_;
};

}  // namespace rocmforge::tokenizer
