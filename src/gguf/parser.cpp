#include "gguf/parser.h"

#include <bit>
#include <utility>

#include "core/checked_math.h"
#include "gguf/value_format.h"
#include "gguf/tensor_info_reader.h"
#include "gguf/tensor_layout.h"
#include "gguf/value_reader.h"

namespace rocmforge::gguf {
namespace {

// The fewest bytes a metadata entry (empty key, type, one-byte value) and a
// tensor info (empty name, n_dims, one dimension, type, offset) can take.
constexpr uint64_t kMinEntryBytes = sizeof(uint64_t) + sizeof(uint32_t) + 1;
constexpr uint64_t kMinTensorInfoBytes = sizeof(uint64_t) + sizeof(uint32_t) + sizeof(uint64_t) +
                                         sizeof(uint32_t) + sizeof(uint64_t);

}  // namespace

Result<GgufFile> Parser::parse() && {
  const Counts counts = RF_TRY(read_header());
  file_.metadata_.reserve(counts.n_kv);  // bounded by the bytes left (read_header)
  value_type_at_.reserve(counts.n_kv);
  for (uint64_t i = 0; i < counts.n_kv; ++i) RF_TRY(read_metadata_entry(i));
  RF_TRY(read_alignment());

  file_.tensors_.reserve(counts.n_tensors);
  offset_at_.reserve(counts.n_tensors);
  for (uint64_t i = 0; i < counts.n_tensors; ++i) RF_TRY(read_tensor_info(i));

  const auto data_offset = core::align_up(in_.offset(), file_.alignment_);
  if (!data_offset) return RF_ERROR(kParse, "data section offset overflows after byte {}", in_.offset());
  file_.data_offset_ = *data_offset;
  RF_TRY(place_tensors(file_.tensors_, offset_at_, DataSection{bytes_, *data_offset, file_.alignment_}));
  file_.bytes_ = bytes_;
  return std::move(file_);
}

Result<Parser::Counts> Parser::read_header() {
  if (bytes_.size() > limits_.max_file_bytes) {
    return RF_ERROR(kCapacity, "file of {} bytes exceeds the limit of {} at byte 0", bytes_.size(),
                    limits_.max_file_bytes);
  }
  const uint32_t magic = RF_TRY(in_.read<uint32_t>("magic"));
  if (magic != kMagic) {
    return RF_ERROR(kParse, "magic is 0x{:08x}, not 0x{:08x} ('GGUF'): not a GGUF file at byte 0", magic, kMagic);
  }
  const uint32_t version = RF_TRY(in_.read<uint32_t>("version"));
  file_.version_ = version;
  if (version != 2 && version != 3) {
    return RF_ERROR(kUnsupported, "GGUF version {} is not supported (only versions 2 and 3) at byte 4", version);
  }
  Counts counts;
  counts.n_tensors = RF_TRY(in_.read<uint64_t>("n_tensors"));
  counts.n_kv = RF_TRY(in_.read<uint64_t>("n_kv"));
  RF_TRY(check_count("n_tensors", counts.n_tensors, limits_.max_tensors, kMinTensorInfoBytes, 8));
  RF_TRY(check_count("n_kv", counts.n_kv, limits_.max_metadata_entries, kMinEntryBytes, 16));
  return counts;
}

Status Parser::check_count(std::string_view what, uint64_t count, uint64_t limit, uint64_t min_bytes_each,
                           uint64_t at) const {
  if (count > limit) return RF_ERROR(kCapacity, "{} {} exceeds the limit of {} at byte {}", what, count, limit, at);
  if (count > in_.remaining() / min_bytes_each) {
    return RF_ERROR(kParse, "{} {} at byte {}: file truncated: {} entries need at least {} bytes each, {} are left",
                    what, count, at, count, min_bytes_each, in_.remaining());
  }
  return ok();
}

Status Parser::read_metadata_entry(uint64_t index) {
  const uint64_t key_at = in_.offset();
  auto key = in_.read_string("key", limits_.max_string_bytes);
  if (!key) return std::move(key).error().with_context(fmt::format("metadata entry {}", index));
  // Built only on failure: a vocabulary file has few entries but big ones.
  const auto fail = [&](Error error) {
    return std::move(error).with_context(fmt::format("metadata entry {} ('{}')", index, escape(*key)));
  };
  const auto [slot, inserted] = file_.metadata_index_.emplace(std::string(*key), index);
  if (!inserted) return fail(RF_ERROR(kParse, "duplicate key (also entry {}) at byte {}", slot->second, key_at));
  value_type_at_.push_back(in_.offset());
  auto type = read_value_type(in_, "value type");
  if (!type) return fail(std::move(type).error());
  auto value = read_value(in_, *type, limits_);
  if (!value) return fail(std::move(value).error());
  file_.metadata_.push_back(MetadataEntry{std::string(*key), std::move(*value)});
  return ok();
}

Status Parser::read_alignment() {
  const auto found = file_.metadata_index_.find(kAlignmentKey);
  if (found == file_.metadata_index_.end()) return ok();
  const size_t index = found->second;
  const Value& value = file_.metadata_[index].value;
  const uint64_t at = value_type_at_[index];
  if (value.type() != ValueType::kUint32) {
    return RF_ERROR(kParse, "metadata entry {} ('{}'): type is {}, must be uint32 at byte {}", index, kAlignmentKey,
                    value_type_name(value.type()), at);
  }
  const uint32_t alignment = std::get<uint32_t>(value.data);
  if (!std::has_single_bit(alignment)) {
    return RF_ERROR(kParse, "metadata entry {} ('{}'): {} is not a power of two at byte {}", index, kAlignmentKey,
                    alignment, at + sizeof(uint32_t));
  }
  file_.alignment_ = alignment;
  return ok();
}

Status Parser::read_tensor_info(uint64_t index) {
  const uint64_t name_at = in_.offset();
  ParsedTensorInfo parsed = RF_TRY(gguf::read_tensor_info(in_, limits_, index));
  const auto [slot, inserted] = file_.tensor_index_.emplace(parsed.info.name, index);
  if (!inserted) {
    return RF_ERROR(kParse, "tensor {} ('{}'): duplicate name (also tensor {}) at byte {}", index,
                    escape(parsed.info.name), slot->second, name_at);
  }
  offset_at_.push_back(parsed.offset_at);
  file_.tensors_.push_back(std::move(parsed.info));
  return ok();
}

}  // namespace rocmforge::gguf
