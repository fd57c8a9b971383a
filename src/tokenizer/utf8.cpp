#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

struct LeadRule {
  size_t n_continuation = 0;  // 0: the byte cannot start a character
  uint8_t second_lo = 0x80;   // the second byte's range excludes overlong
  uint8_t second_hi = 0xBF;   // forms, surrogates and code points past U+10FFFF
};

LeadRule lead_rule(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {1, 0x80, 0xBF};
  if (lead == 0xE0) return {2, 0xA0, 0xBF};
  if (lead == 0xED) return {2, 0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return {2, 0x80, 0xBF};
  if (lead == 0xF0) return {3, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {3, 0x80, 0xBF};
  if (lead == 0xF4) return {3, 0x80, 0x8F};
  return {};
}

// A lead byte's payload bits and continuation count in llama.cpp's reading
// (by its high bits only); n_continuation < 0: not a lead byte.
struct LaxLead {
  int n_continuation;
  uint32_t payload;
};

LaxLead lax_lead(uint8_t byte) {
  if (byte < 0x80) return {0, byte};
  if ((byte & 0x40) == 0) return {-1, 0};
  if ((byte & 0x20) == 0) return {1, byte & 0x1Fu};
  if ((byte & 0x10) == 0) return {2, byte & 0x0Fu};
  if ((byte & 0x08) == 0) return {3, byte & 0x07u};
  return {-1, 0};
}

}  // namespace

std::vector<uint32_t> decode_utf8_lenient(std::string_view bytes) {
  std::vector<uint32_t> cps;
  cps.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const LaxLead lead = lax_lead(static_cast<uint8_t>(bytes[pos]));
    const auto n_cont = static_cast<size_t>(lead.n_continuation);
    bool ok = lead.n_continuation >= 0 && pos + n_cont < bytes.size();
    uint32_t cp = lead.payload;
    for (size_t i = 1; ok && i <= n_cont; ++i) {
      const auto byte = static_cast<uint8_t>(bytes[pos + i]);
      ok = (byte & 0xC0) == 0x80;
      cp = (cp << 6) | (byte & 0x3Fu);
    }
    if (ok && cp <= 0x10FFFF) {
      cps.push_back(cp);
      pos += n_cont + 1;
    } else {
      cps.push_back(kReplacementCharacter);
      ++pos;
    }
  }
  return cps;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t append_valid_utf8(std::string_view bytes, bool at_end, std::string& out) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const auto lead = static_cast<uint8_t>(bytes[pos]);
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++pos;
      continue;
    }
    const LeadRule rule = lead_rule(lead);
    if (rule.n_continuation == 0) {
      out.append(kReplacement);
      ++pos;
      continue;
    }
    size_t n_good = 1;  // bytes of this character seen to be right so far
    while (n_good <= rule.n_continuation && pos + n_good < bytes.size()) {
      const auto byte = static_cast<uint8_t>(bytes[pos + n_good]);
      const uint8_t lo = n_good == 1 ? rule.second_lo : 0x80;
      const uint8_t hi = n_good == 1 ? rule.second_hi : 0xBF;
      if (byte < lo || byte > hi) break;
      ++n_good;
    }
    if (n_good == rule.n_continuation + 1) {
      out.append(bytes.substr(pos, n_good));
    } else if (pos + n_good == bytes.size() && !at_end) {
      return pos;  // may still be completed by what comes next
    } else {
      out.append(kReplacement);
    }
    pos += n_good;
  }
  return pos;
}

}  // namespace rocmforge::tokenizer
