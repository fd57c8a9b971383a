#include "tokenizer/pre_tokenizer_specs.h"

#include <string>

namespace rocmforge::tokenizer {
namespace {

using Patterns = std::span<const std::string_view>;

// GPT-2's expression, also the core of several others.
constexpr std::string_view kGpt2Core = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

constexpr std::string_view kDefault[] = {
    "[\\p{P}\\$\\+<=>\\^~\\|]+",
    kGpt2Core,
    "\\p{N}+",
    "[0-9][0-9][0-9]",
};

constexpr std::string_view kGpt2[] = {kGpt2Core};

// Llama 3's tokenizer.json expression with (?i:...) spelled out in classes.
constexpr std::string_view kLlama3[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

// Non-ASCII characters are written as escapes: the bytes are llama.cpp's,
// and no editor can normalize them into other code points (U+1F7D is not U+03CE here).
constexpr std::string_view kDeepseekLlm[] = {
    "[\r\n]",
    "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-"
    "\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481"
    "\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B"
    "\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B"
    "\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB"
    "\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128"
    "\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4"
    "\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF"
    "\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8"
    "-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+",
    "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
    "\\s+$",
    "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
    "\\p{N}+",
};

constexpr std::string_view kDeepseekCoder[] = {
    "[\r\n]",
    "\\s?\\p{L}+",
    "\\s?\\p{P}+",
    "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
    "\\p{N}",
};

constexpr std::string_view kFalcon[] = {
    "[\\p{P}\\$\\+<=>\\^~\\|`]+",
    kGpt2Core,
    "[0-9][0-9][0-9]",
};

constexpr std::string_view kStarcoder[] = {"\\p{N}", kGpt2Core};

constexpr std::string_view kQwen2[] = {
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

// GPT-4o's letters-then-case expression, with \p{Lu}... replaced by
// lookahead classes as llama.cpp adapted it.
constexpr std::string_view kGpt4o[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'["
    "lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'["
    "vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

constexpr std::string_view kTekken[] = {
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]"
    "))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

struct Flags {
  bool ignore_merges = false;
  bool clean_spaces = true;
  bool add_bos = false;
  bool no_default_bos = false;
};
constexpr Flags kClean{};
constexpr Flags kKeepSpaces{.clean_spaces = false};
constexpr Flags kLlama3Flags{.ignore_merges = true, .add_bos = true};
constexpr Flags kTekkenFlags{.ignore_merges = true, .clean_spaces = false, .add_bos = true};
constexpr Flags kGlm4Flags{.no_default_bos = true};

constexpr PreTokenizerSpec spec(std::string_view name, Patterns patterns, Flags flags) {
  return {name, patterns, flags.ignore_merges, flags.clean_spaces, flags.add_bos, flags.no_default_bos};
}

// llama.cpp's names (llama_vocab::impl::load) whose expressions are one of
// the lists above; names sharing a list may differ in flags.
constexpr PreTokenizerSpec kSpecs[] = {
    spec("default", kDefault, kClean),
    spec("gpt-2", kGpt2, kClean),
    spec("phi-2", kGpt2, kClean),
    spec("jina-es", kGpt2, kClean),
    spec("jina-de", kGpt2, kClean),
    spec("gigachat", kGpt2, kClean),
    spec("jina-v2-es", kGpt2, kClean),
    spec("jina-v2-de", kGpt2, kClean),
    spec("a.x-4.0", kGpt2, kClean),
    spec("mellum", kGpt2, kClean),
    spec("modern-bert", kGpt2, kClean),
    spec("jina-v1-en", kGpt2, kClean),
    spec("jina-v2-code", kGpt2, kClean),
    spec("roberta-bpe", kGpt2, kClean),
    spec("mpt", kGpt2, kClean),
    spec("olmo", kGpt2, kClean),
    spec("jais", kGpt2, kClean),
    spec("exaone4", kGpt2, kClean),
    spec("trillion", kGpt2, kKeepSpaces),
    spec("granite-docling", kGpt2, kKeepSpaces),
    spec("llama3", kLlama3, kLlama3Flags),
    spec("llama-v3", kLlama3, kLlama3Flags),
    spec("llama-bpe", kLlama3, kLlama3Flags),
    spec("falcon3", kLlama3, kLlama3Flags),
    spec("falcon-h1", kLlama3, kLlama3Flags),
    spec("pixtral", kLlama3, kLlama3Flags),
    spec("midm-2.0", kLlama3, kLlama3Flags),
    spec("lfm2", kLlama3, kLlama3Flags),
    spec("jina-v5-nano", kLlama3, kLlama3Flags),
    spec("dbrx", kLlama3, kClean),
    spec("smaug-bpe", kLlama3, kClean),
    spec("glm4", kLlama3, kGlm4Flags),
    spec("chatglm-bpe", kLlama3, kGlm4Flags),
    spec("deepseek-llm", kDeepseekLlm, kKeepSpaces),
    spec("deepseek-coder", kDeepseekCoder, kKeepSpaces),
    spec("falcon", kFalcon, kClean),
    spec("starcoder", kStarcoder, kClean),
    spec("refact", kStarcoder, kClean),
    spec("codeshell", kStarcoder, kClean),
    spec("exaone", kStarcoder, kClean),
    spec("minerva-7b", kStarcoder, kClean),
    spec("mellum2", kStarcoder, kClean),
    spec("command-r", kStarcoder, kKeepSpaces),
    spec("smollm", kStarcoder, kKeepSpaces),
    spec("qwen2", kQwen2, kKeepSpaces),
    spec("deepseek-r1-qwen", kQwen2, kKeepSpaces),
    spec("kormo", kQwen2, kKeepSpaces),
    spec("f2llmv2", kQwen2, kKeepSpaces),
    spec("hunyuan", kQwen2, kKeepSpaces),
    spec("solar-open", kQwen2, kKeepSpaces),
    spec("grok-2", kQwen2, kKeepSpaces),
    spec("stablelm2", kQwen2, kClean),
    spec("megrez", kQwen2, kClean),
    spec("gpt-4o", kGpt4o, kKeepSpaces),
    spec("llama4", kGpt4o, kKeepSpaces),
    spec("kanana2", kGpt4o, kKeepSpaces),
    spec("talkie", kGpt4o, kKeepSpaces),
    spec("minimax-m2", kGpt4o, kKeepSpaces),
    spec("tekken", kTekken, kTekkenFlags),
};

}  // namespace

Result<const PreTokenizerSpec*> find_pre_tokenizer(std::string_view name) {
  std::string known;
  for (const PreTokenizerSpec& entry : kSpecs) {
    if (entry.name == name) return &entry;
    known += known.empty() ? "" : ", ";
    known += entry.name;
  }
  return RF_ERROR(kUnsupported, "pre-tokenizer '{}' (tokenizer.ggml.pre) is not supported (supported: {})", name,
                  known);
}

std::span<const PreTokenizerSpec> pre_tokenizer_specs() { return kSpecs; }

}  // namespace rocmforge::tokenizer
