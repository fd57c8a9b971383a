// The rules by which llama.cpp recognises special tokens from their text,
// because converters do not always record them in the metadata: which token
// ends a turn, which tokens end generation, which ones are control tokens,
// and the per-model strip flags. Kept apart from the metadata reading in
// vocab.cpp because they are a list of model quirks, not a file format.
#include <algorithm>
#include <cctype>
#include <span>

#include "tokenizer/vocab.h"

namespace rocmforge::tokenizer {
namespace {

using Texts = std::span<const std::string_view>;

// Candidates for a special id that the metadata left unset, in llama.cpp's
// order. llama.cpp takes whichever candidate its hash map yields first; this
// takes the first one in list order, so that the choice is deterministic.
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",     "<|end_of_text|>",
    "<EOT>",      "_<EOT>",     "[EOT]",   "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreTexts[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",    "<｜fim▁begin｜>",
                                             "<PRE>",          "▁<PRE>",       "<|code_prefix|>", "<|prefix|>"};
constexpr std::string_view kFimSufTexts[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",    "<｜fim▁hole｜>",
                                             "<SUF>",          "▁<SUF>",       "<|code_suffix|>", "<|suffix|>"};
constexpr std::string_view kFimMidTexts[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",    "<｜fim▁end｜>",
                                             "<MID>",          "▁<MID>",       "<|code_middle|>", "<|middle|>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};

// Tokens that end generation wherever they appear in a vocabulary.
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<|return|>",
                                          "<|call|>",
                                          "<|flush|>",
                                          "<|calls|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "</s>",
                                          "<|eom_id|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "[EOS]",
                                          "<|end_of_text|>",
                                          "<end_of_utterance>",
                                          "<eos>",
                                          "<turn|>",
                                          "<|tool_response>",
                                          "<｜end▁of▁sentence｜>",
                                          "[e~["};

// gpt-oss chat markup that must always be rendered (llama.cpp makes them user-defined).
constexpr std::string_view kAlwaysRenderedTexts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

bool contains_any(std::string_view text, Texts needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view needle) { return text.find(needle) != std::string_view::npos; });
}

}  // namespace

void Vocab::mark_control(TokenId id) {
  // llama.cpp ORs the control attribute in; control wins over every other
  // type in what tokenizing and rendering do, so the type becomes control.
  set_type(id, TokenType::kControl);
}

void Vocab::detect_special_tokens() {
  const std::pair<std::optional<TokenId>*, Texts> rules[] = {
      {&special_.eot, kEotTexts},        {&special_.eom, kEomTexts},        {&special_.fim_pre, kFimPreTexts},
      {&special_.fim_suf, kFimSufTexts}, {&special_.fim_mid, kFimMidTexts}, {&special_.fim_pad, kFimPadTexts},
      {&special_.fim_rep, kFimRepTexts}, {&special_.fim_sep, kFimSepTexts},
  };
  for (const auto& [slot, texts] : rules) {
    if (slot->has_value()) continue;
    for (std::string_view text : texts) {
      if (const std::optional<TokenId> id = find(text)) {
        *slot = id;
        mark_control(*id);
        break;
      }
    }
  }
}

void Vocab::build_eog_set() {
  std::vector<TokenId> eog;
  for (const std::optional<TokenId>& id : {special_.fim_pad, special_.fim_rep, special_.fim_sep}) {
    if (id) eog.push_back(*id);
  }
  for (std::string_view text : kEogTexts) {
    if (const std::optional<TokenId> id = find(text)) {
      eog.push_back(*id);
      mark_control(*id);
    }
  }
  for (std::string_view text : kAlwaysRenderedTexts) {
    if (const std::optional<TokenId> id = find(text)) set_type(*id, TokenType::kUserDefined);
  }
  for (const std::optional<TokenId>& id : {special_.eos, special_.eot, special_.eom}) {
    if (id) eog.push_back(*id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  eog_ids_ = std::move(eog);

  const auto in_eog = [&](std::string_view text) -> std::optional<TokenId> {
    const std::optional<TokenId> id = find(text);
    return id && is_eog(*id) ? id : std::nullopt;
  };
  const auto drop_from_eog = [&](TokenId id, TokenType type) {
    eog_ids_.erase(std::find(eog_ids_.begin(), eog_ids_.end(), id));
    set_type(id, type);
  };
  // o200k_harmony and solar-open: "<|end|>" ends a message, not generation.
  const bool has_call = in_eog("<|call|>") || in_eog("<|calls|>");
  const std::optional<TokenId> end = in_eog("<|end|>");
  if (end && has_call && (in_eog("<|return|>") || in_eog("<|flush|>"))) {
    drop_from_eog(*end, TokenType::kUserDefined);
  }
  // gemma4 and paddleocr: "</s>" is ordinary text there.
  const std::optional<TokenId> end_of_sentence = in_eog("</s>");
  if (end_of_sentence && in_eog("<|tool_response>")) drop_from_eog(*end_of_sentence, TokenType::kNormal);
}

void Vocab::build_special_token_list() {
  special_token_ids_.clear();
  for (TokenId id = 0; id < n_tokens(); ++id) {
    const TokenType type = token(id).type;
    if (type == TokenType::kControl || type == TokenType::kUserDefined || type == TokenType::kUnknown) {
      special_token_ids_.push_back(id);
    }
  }
  // Longest first, so that a token is never split by a shorter one inside it.
  std::stable_sort(special_token_ids_.begin(), special_token_ids_.end(),
                   [&](TokenId a, TokenId b) { return token(a).text.size() > token(b).text.size(); });
}

void Vocab::apply_name_quirks(const ModelNames& names) {
  std::string name(names.general_name);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  const auto set_lstrip = [&](std::string_view text) {
    if (const std::optional<TokenId> id = find(text)) tokens_[static_cast<size_t>(*id)].lstrip = true;
  };
  // Jina's and ModernBERT's mask token swallows the whitespace before it.
  constexpr std::string_view kJinaPres[] = {"jina-v2-de", "jina-v2-es", "jina-v2-code"};
  constexpr std::string_view kJinaArchitectures[] = {"nomic-bert-moe", "jina-bert-v3"};
  constexpr std::string_view kModernBertNames[] = {"modern-bert"};
  // Phi-3's chat markup swallows the whitespace after it.
  constexpr std::string_view kPhi3Names[] = {"phi-3", "phi3"};
  if (contains_any(names.pre_tokenizer, kJinaPres) || contains_any(names.architecture, kJinaArchitectures)) {
    set_lstrip("<mask>");
  } else if (contains_any(name, kPhi3Names)) {
    for (TokenId id : special_token_ids_) tokens_[static_cast<size_t>(id)].rstrip = true;
    for (const auto& [text, rstrip] :
         {std::pair{"</s>", true}, {"<unk>", false}, {"<s>", false}, {"<|endoftext|>", false}}) {
      if (const std::optional<TokenId> id = find(text)) tokens_[static_cast<size_t>(*id)].rstrip = rstrip;
    }
  } else if (contains_any(name, kModernBertNames)) {
    set_lstrip("[MASK]");
  }
}

}  // namespace rocmforge::tokenizer
