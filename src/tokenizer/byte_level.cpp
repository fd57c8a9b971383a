#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {
namespace {

constexpr uint32_t kFirstShifted = 0x100;

constexpr bool stands_for_itself(uint32_t byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

constexpr std::array<uint16_t, 256> make_byte_table() {
  std::array<uint16_t, 256> table{};
  uint32_t n_shifted = 0;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    table[byte] = static_cast<uint16_t>(stands_for_itself(byte) ? byte : kFirstShifted + n_shifted++);
  }
  return table;
}

constexpr std::array<uint16_t, 256> kByteToCodePoint = make_byte_table();

// Inverse of the shifted part: U+0100 + i stands for kShiftedBytes[i].
constexpr std::array<uint8_t, 68> make_shifted_bytes() {
  std::array<uint8_t, 68> bytes{};
  size_t n = 0;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    if (!stands_for_itself(byte)) bytes[n++] = static_cast<uint8_t>(byte);
  }
  return bytes;
}

constexpr std::array<uint8_t, 68> kShiftedBytes = make_shifted_bytes();

}  // namespace

uint32_t byte_to_code_point(uint8_t byte) { return kByteToCodePoint[byte]; }

std::optional<uint8_t> code_point_to_byte(uint32_t cp) {
  if (cp < 256 && stands_for_itself(cp)) return static_cast<uint8_t>(cp);
  if (cp >= kFirstShifted && cp < kFirstShifted + kShiftedBytes.size()) return kShiftedBytes[cp - kFirstShifted];
  return std::nullopt;
}

void append_byte_level(std::string_view bytes, std::string& out) {
  for (char c : bytes) append_utf8(byte_to_code_point(static_cast<uint8_t>(c)), out);
}

std::string decode_byte_level(std::string_view text) {
  std::string bytes;
  bytes.reserve(text.size());
  for (uint32_t cp : decode_utf8_lenient(text)) {
    if (const std::optional<uint8_t> byte = code_point_to_byte(cp)) {
      bytes.push_back(static_cast<char>(*byte));
    } else {
      append_utf8(cp, bytes);
    }
  }
  return bytes;
}

}  // namespace rocmforge::tokenizer
