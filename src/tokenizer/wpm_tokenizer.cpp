#include "tokenizer/wpm_tokenizer.h"

#include "tokenizer/special_partition.h"
#include "tokenizer/token_pieces.h"
#include "tokenizer/unicode_props.h"
#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {
namespace {

// BERT's _is_chinese_char ranges, as llama.cpp copies them (including the
// Hugging Face start of 0x2B920 where 0x2B820 was meant).
bool is_chinese_char(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> WpmTokenizer::create(Vocab vocab) {
  const SpecialTokens& special = vocab.special();
  for (const auto& [id, name] : {std::pair{special.unk, "[UNK]"}, {special.bos, "[CLS]"}, {special.sep, "[SEP]"}}) {
    if (!id) return RF_ERROR(kParse, "a WordPiece vocabulary needs a {} token, and this one has none", name);
  }
  std::vector<std::string> pieces = RF_TRY(render_pieces(vocab, unescape_spaces));
  return std::unique_ptr<Tokenizer>(new WpmTokenizer(std::move(vocab), std::move(pieces)));
}

Result<std::vector<TokenId>> WpmTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  const Vocab& voc = vocab();
  std::vector<TokenId> out;
  // llama.cpp frames the text whatever the add-BOS/EOS flags say.
  if (add_special) out.push_back(*voc.special().bos);
  for (const Fragment& fragment : partition_special_tokens(voc, text, parse_special)) {
    if (fragment.token) {
      out.push_back(*fragment.token);
      continue;
    }
    for (const std::string& word : normalized_words(fragment.text)) encode_word(word, out);
  }
  if (add_special) out.push_back(*voc.special().sep);
  return out;
}

std::vector<std::string> WpmTokenizer::normalized_words(std::string_view text) const {
  const Normalizer& normalizer = vocab().normalizer();
  std::vector<std::string> words(1);
  const auto end_word = [&] {
    if (!words.back().empty()) words.emplace_back();
  };
  for (uint32_t cp : decode_utf8_lenient(text)) {
    if (normalizer.strip_accents) cp = nfd_first(cp);
    const CharClass cls = char_class(cp);
    if (cls == CharClass::kWhitespace) {
      end_word();
      continue;
    }
    if (cp == 0 || cp == kReplacementCharacter || cls == CharClass::kControl) continue;
    if (normalizer.strip_accents && cls == CharClass::kMark) continue;
    std::string character;
    append_utf8(normalizer.lowercase ? simple_lowercase(cp) : cp, character);
    if (cls == CharClass::kPunctuation || (cp < 0x7F && cls == CharClass::kSymbol) || is_chinese_char(cp)) {
      end_word();
      words.back() = std::move(character);
      words.emplace_back();
    } else {
      words.back() += character;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WpmTokenizer::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  const Vocab& voc = vocab();
  std::string marked(kSpaceMarker);
  marked += word;
  const size_t n_before = out.size();
  // Longest token first at each byte position; a position no token starts
  // at turns the whole word into [UNK].
  for (size_t pos = 0; pos < marked.size();) {
    size_t end = std::min(marked.size(), pos + voc.max_token_bytes());
    std::optional<TokenId> id;
    for (; end > pos && !(id = voc.find(std::string_view(marked).substr(pos, end - pos))); --end) {
    }
    if (!id) {
      out.resize(n_before);
      break;
    }
    out.push_back(*id);
    pos = end;
  }
  if (out.size() == n_before) out.push_back(*voc.special().unk);
}

}  // namespace rocmforge::tokenizer
