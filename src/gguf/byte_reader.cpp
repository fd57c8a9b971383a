#include "gguf/byte_reader.h"

namespace rocmforge::gguf {

Result<std::span<const std::byte>> ByteReader::read_bytes(uint64_t n, std::string_view what) {
  RF_TRY(require(n, what));
  const auto out = bytes_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<std::string_view> ByteReader::read_string(std::string_view what, uint64_t max_bytes) {
  const uint64_t at = pos_;
  const uint64_t length = RF_TRY(read<uint64_t>(what));
  if (length > max_bytes) {
    return RF_ERROR(kCapacity, "{} of {} bytes exceeds the limit of {} at byte {}", what, length, max_bytes, at);
  }
  if (length > remaining()) {
    return RF_ERROR(kParse, "{} of {} bytes at byte {}: file truncated: the file ends at byte {}", what, length, at,
                    size());
  }
  const auto text = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
  pos_ += length;
  return text;
}

Error ByteReader::truncated(std::string_view what, uint64_t needed) const {
  return RF_ERROR(kParse, "{}: file truncated: needs {} bytes at byte {}, but the file ends at byte {}", what, needed,
                  pos_, size());
}

}  // namespace rocmforge::gguf
