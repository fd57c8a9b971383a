// A bounds-checked little-endian cursor over a file image. Every read names
// what it reads, so that a short file reports the field, where it starts and
// where the file ends.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "rocmforge/error.h"

namespace rocmforge::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is read by copying little-endian bytes");

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}

  uint64_t offset() const { return pos_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  template <class T>
    requires std::is_trivially_copyable_v<T>
  Result<T> read(std::string_view what) {
    RF_TRY(require(sizeof(T), what));
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  // `n` raw bytes (already checked against the limits by the caller).
  Result<std::span<const std::byte>> read_bytes(uint64_t n, std::string_view what);

  // A u64 length and that many bytes. A length past the end of the file is a
  // kParse error, one over `max_bytes` a kCapacity error.
  Result<std::string_view> read_string(std::string_view what, uint64_t max_bytes);

  // kParse "<what>: file truncated: needs <n> bytes at byte <offset>, but the file ends at byte <size>".
  Error truncated(std::string_view what, uint64_t needed) const;

 private:
  Status require(uint64_t n, std::string_view what) const {
    if (n <= remaining()) return ok();
    return truncated(what, n);
  }

  std::span<const std::byte> bytes_;
  uint64_t pos_ = 0;
};

}  // namespace rocmforge::gguf
