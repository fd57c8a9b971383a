#include "tokenizer/vocab.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gguf/gguf_file.h"

namespace rocmforge::tokenizer {
namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kAddBosKey = "tokenizer.ggml.add_bos_token";
constexpr std::string_view kAddEosKey = "tokenizer.ggml.add_eos_token";
constexpr std::string_view kAddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";
constexpr std::string_view kGeneralNameKey = "general.name";
constexpr std::string_view kArchitectureKey = "general.architecture";
constexpr std::string_view kPreKey = "tokenizer.ggml.pre";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";
constexpr std::string_view kLowercaseKey = "tokenizer.ggml.normalizer.lowercase";
constexpr std::string_view kStripAccentsKey = "tokenizer.ggml.normalizer.strip_accents";

struct KindName {
  std::string_view name;
  VocabKind kind;
};
constexpr KindName kKinds[] = {{"llama", VocabKind::kSpm}, {"gpt2", VocabKind::kBpe}, {"bert", VocabKind::kWpm}};

struct SpecialKey {
  std::string_view key;
  std::optional<TokenId> SpecialTokens::*field;
};
// In llama.cpp's order: the deprecated FIM keys come last and win.
constexpr SpecialKey kSpecialKeys[] = {
    {"tokenizer.ggml.bos_token_id", &SpecialTokens::bos},
    {"tokenizer.ggml.eos_token_id", &SpecialTokens::eos},
    {"tokenizer.ggml.eot_token_id", &SpecialTokens::eot},
    {"tokenizer.ggml.eom_token_id", &SpecialTokens::eom},
    {"tokenizer.ggml.unknown_token_id", &SpecialTokens::unk},
    {"tokenizer.ggml.seperator_token_id", &SpecialTokens::sep},  // sic, as llama.cpp spells it
    {"tokenizer.ggml.padding_token_id", &SpecialTokens::pad},
    {"tokenizer.ggml.mask_token_id", &SpecialTokens::mask},
    {"tokenizer.ggml.fim_pre_token_id", &SpecialTokens::fim_pre},
    {"tokenizer.ggml.fim_suf_token_id", &SpecialTokens::fim_suf},
    {"tokenizer.ggml.fim_mid_token_id", &SpecialTokens::fim_mid},
    {"tokenizer.ggml.fim_pad_token_id", &SpecialTokens::fim_pad},
    {"tokenizer.ggml.fim_rep_token_id", &SpecialTokens::fim_rep},
    {"tokenizer.ggml.fim_sep_token_id", &SpecialTokens::fim_sep},
    {"tokenizer.ggml.prefix_token_id", &SpecialTokens::fim_pre},
    {"tokenizer.ggml.suffix_token_id", &SpecialTokens::fim_suf},
    {"tokenizer.ggml.middle_token_id", &SpecialTokens::fim_mid},
};

// Converters write -1 (often as uint32) for "no such token"; llama.cpp then
// keeps the default.
bool is_unset_marker(int64_t value) { return value == -1 || value == int64_t{std::numeric_limits<uint32_t>::max()}; }

Result<VocabKind> kind_from_name(std::string_view name) {
  std::string supported;
  for (const KindName& entry : kKinds) {
    if (entry.name == name) return entry.kind;
    supported += supported.empty() ? "" : ", ";
    supported += entry.name;
  }
  return RF_ERROR(kUnsupported, "tokenizer model '{}' is not supported (supported: {})", name, supported);
}

Status check_length(std::string_view key, const gguf::Array& array, size_t n_tokens) {
  if (array.size() != n_tokens) {
    return RF_ERROR(kParse, "'{}' has {} entries but '{}' has {}", key, array.size(), kTokensKey, n_tokens);
  }
  return ok();
}

Status check_element_type(std::string_view key, const gguf::Array& array,
                          std::initializer_list<gguf::ValueType> allowed) {
  for (gguf::ValueType type : allowed) {
    if (array.element_type == type) return ok();
  }
  return RF_ERROR(kParse, "'{}' is an array of {}, which a tokenizer cannot use", key,
                  gguf::value_type_name(array.element_type));
}

}  // namespace

// What llama.cpp assumes for a model when the metadata says nothing.
struct Vocab::KindDefaults {
  std::optional<TokenId> bos;
  std::optional<TokenId> eos;
  std::optional<TokenId> unk;
  std::optional<TokenId> sep;
  std::optional<TokenId> pad;
  std::optional<TokenId> mask;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
  bool clean_spaces = false;
};

Vocab::KindDefaults Vocab::defaults() const {
  KindDefaults d;
  switch (kind_) {
    case VocabKind::kSpm:
      d.bos = 1;
      d.eos = 2;
      d.unk = 0;
      d.add_bos = true;
      d.add_space_prefix = true;
      break;
    case VocabKind::kBpe:
      // 11 is Falcon's "<|endoftext|>", llama.cpp's historical BPE default.
      if (!pre_tokenizer_->no_default_bos) d.bos = 11;
      d.eos = 11;
      d.add_bos = pre_tokenizer_->add_bos;
      d.clean_spaces = pre_tokenizer_->clean_spaces;
      break;
    case VocabKind::kWpm:
      // BERT's [CLS], [UNK], [SEP], [PAD] and [MASK].
      d.bos = 101;
      d.unk = 100;
      d.sep = 102;
      d.pad = 0;
      d.mask = 103;
      d.add_bos = true;
      d.clean_spaces = true;
      break;
  }
  return d;
}

std::string_view token_type_name(TokenType type) {
  switch (type) {
    case TokenType::kUndefined:
      return "undefined";
    case TokenType::kNormal:
      return "normal";
    case TokenType::kUnknown:
      return "unknown";
    case TokenType::kControl:
      return "control";
    case TokenType::kUserDefined:
      return "user-defined";
    case TokenType::kUnused:
      return "unused";
    case TokenType::kByte:
      return "byte";
  }
  return "invalid";
}

Result<Vocab> Vocab::from_gguf(const gguf::GgufFile& file) {
  if (!file.has(kModelKey)) return RF_ERROR(kParse, "the file has no tokenizer ('{}' is missing)", kModelKey);
  Vocab vocab;
  vocab.model_name_ = std::string(RF_TRY(file.get_string(kModelKey)));
  vocab.kind_ = RF_TRY(kind_from_name(vocab.model_name_));

  RF_TRY(vocab.read_model_specifics(file));
  RF_TRY(vocab.read_tokens(file));
  RF_TRY(vocab.read_special_ids(file));
  RF_TRY(vocab.read_flags(file));

  vocab.detect_special_tokens();
  vocab.build_eog_set();
  vocab.build_special_token_list();
  const std::optional<std::string_view> general_name = RF_TRY(file.find_string(kGeneralNameKey));
  const std::optional<std::string_view> architecture = RF_TRY(file.find_string(kArchitectureKey));
  vocab.apply_name_quirks({.general_name = general_name.value_or(""),
                           .architecture = architecture.value_or(""),
                           .pre_tokenizer = vocab.pre_tokenizer_ ? vocab.pre_tokenizer_->name : ""});
  return vocab;
}

Status Vocab::read_model_specifics(const gguf::GgufFile& file) {
  if (kind_ == VocabKind::kWpm) {
    // llama.cpp: accents are stripped when lower-casing unless told otherwise.
    normalizer_.lowercase = RF_TRY(file.find_bool(kLowercaseKey)).value_or(true);
    normalizer_.strip_accents = RF_TRY(file.find_bool(kStripAccentsKey)).value_or(normalizer_.lowercase);
  }
  if (kind_ != VocabKind::kBpe) return ok();
  // Without a name llama.cpp uses "default" and warns that quality suffers;
  // that is the converter's doing, so it is not logged here.
  const std::optional<std::string_view> pre = RF_TRY(file.find_string(kPreKey));
  pre_tokenizer_ = RF_TRY(find_pre_tokenizer(pre.value_or(kDefaultPreTokenizer)));
  if (!file.has(kMergesKey)) {
    return RF_ERROR(kParse, "'{}' is missing: a BPE vocabulary cannot tokenize without its merges", kMergesKey);
  }
  const gguf::Array* merges = RF_TRY(file.get_array(kMergesKey));
  RF_TRY(check_element_type(kMergesKey, *merges, {gguf::ValueType::kString}));
  merges_ = merges->strings;
  return ok();
}

Status Vocab::read_tokens(const gguf::GgufFile& file) {
  if (!file.has(kTokensKey)) return RF_ERROR(kParse, "tokenizer metadata: '{}' is missing", kTokensKey);
  const gguf::Array* texts = RF_TRY(file.get_array(kTokensKey));
  RF_TRY(check_element_type(kTokensKey, *texts, {gguf::ValueType::kString}));
  const size_t n_tokens = texts->strings.size();
  if (n_tokens == 0) return RF_ERROR(kParse, "'{}' is empty: the vocabulary has no tokens", kTokensKey);
  if (n_tokens > static_cast<size_t>(std::numeric_limits<TokenId>::max())) {
    return RF_ERROR(kParse, "'{}' has {} tokens, more than token ids can number", kTokensKey, n_tokens);
  }

  const gguf::Array* scores = RF_TRY(file.find_array(kScoresKey));
  if (scores != nullptr) {
    RF_TRY(check_element_type(kScoresKey, *scores, {gguf::ValueType::kFloat32, gguf::ValueType::kInt32}));
    RF_TRY(check_length(kScoresKey, *scores, n_tokens));
  }
  const gguf::Array* types = RF_TRY(file.find_array(kTypesKey));
  if (types != nullptr) {
    RF_TRY(check_element_type(kTypesKey, *types, {gguf::ValueType::kInt32}));
    RF_TRY(check_length(kTypesKey, *types, n_tokens));
  }

  tokens_.resize(n_tokens);
  token_to_id_.reserve(n_tokens);
  for (size_t i = 0; i < n_tokens; ++i) {
    TokenData& token = tokens_[i];
    // llama.cpp names empty tokens so that every token has text to match.
    token.text = texts->strings[i].empty() ? fmt::format("[EMPTY_{}]", i) : texts->strings[i];
    if (scores != nullptr) {
      const bool is_float = scores->element_type == gguf::ValueType::kFloat32;
      token.score = is_float ? static_cast<float>(scores->floats[i]) : static_cast<float>(scores->ints[i]);
      if (std::isnan(token.score)) return RF_ERROR(kParse, "'{}'[{}] is NaN", kScoresKey, i);
    }
    if (types != nullptr) {
      const int64_t type = types->ints[i];
      if (type < 0 || type > static_cast<int64_t>(TokenType::kByte)) {
        return RF_ERROR(kParse, "'{}'[{}] = {} is not a token type (0..6)", kTypesKey, i, type);
      }
      token.type = static_cast<TokenType>(type);
    }
    const auto [it, inserted] = token_to_id_.emplace(token.text, static_cast<TokenId>(i));
    if (!inserted) {
      return RF_ERROR(kParse, "duplicate token in '{}': '{}' has ids {} and {}", kTokensKey, token.text, it->second, i);
    }
    max_token_bytes_ = std::max(max_token_bytes_, token.text.size());
  }
  return ok();
}

Status Vocab::read_special_ids(const gguf::GgufFile& file) {
  const KindDefaults kind_defaults = defaults();
  special_.bos = kind_defaults.bos;
  special_.eos = kind_defaults.eos;
  special_.unk = kind_defaults.unk;
  special_.sep = kind_defaults.sep;
  special_.pad = kind_defaults.pad;
  special_.mask = kind_defaults.mask;
  // A default outside a small vocabulary is dropped, as llama.cpp does.
  for (const SpecialKey& entry : kSpecialKeys) {
    std::optional<TokenId>& id = special_.*entry.field;
    if (id && !contains(*id)) id.reset();
  }
  for (const SpecialKey& entry : kSpecialKeys) {
    const std::optional<int64_t> value = RF_TRY(file.find_int(entry.key));
    if (!value || is_unset_marker(*value)) continue;
    if (*value < 0 || *value >= n_tokens()) {
      return RF_ERROR(kParse, "'{}' = {} is outside the vocabulary ({} tokens)", entry.key, *value, n_tokens());
    }
    special_.*entry.field = static_cast<TokenId>(*value);
  }
  return ok();
}

Status Vocab::read_flags(const gguf::GgufFile& file) {
  const KindDefaults kind_defaults = defaults();
  add_bos_ = RF_TRY(file.find_bool(kAddBosKey)).value_or(kind_defaults.add_bos);
  add_eos_ = RF_TRY(file.find_bool(kAddEosKey)).value_or(kind_defaults.add_eos);
  add_space_prefix_ = RF_TRY(file.find_bool(kAddSpacePrefixKey)).value_or(kind_defaults.add_space_prefix);
  clean_spaces_ = kind_defaults.clean_spaces;
  if (add_bos_ && !special_.bos) {
    return RF_ERROR(kParse, "'{}' is true but the vocabulary has no BOS token", kAddBosKey);
  }
  if (add_eos_ && !special_.eos) {
    return RF_ERROR(kParse, "'{}' is true but the vocabulary has no EOS token", kAddEosKey);
  }
  return ok();
}

std::optional<TokenId> Vocab::find(std::string_view text) const {
  const auto it = token_to_id_.find(text);
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

bool Vocab::is_eog(TokenId id) const { return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id); }

}  // namespace rocmforge::tokenizer
