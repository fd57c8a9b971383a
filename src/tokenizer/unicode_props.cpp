#include "tokenizer/unicode_props.h"

#include <algorithm>
#include <span>

namespace rocmforge::tokenizer {
namespace {

constexpr uint32_t kHangulFirst = 0xAC00;
constexpr uint32_t kHangulLast = 0xD7A3;
constexpr uint32_t kHangulLeadingJamo = 0x1100;
constexpr uint32_t kHangulSyllablesPerLead = 21 * 28;  // vowels x trailing consonants (and none)

}  // namespace

CharClass char_class(uint32_t cp) {
  const std::span<const uint32_t> ranges(unicode_data::kClassRanges, unicode_data::kNumClassRanges);
  // The last range starting at or before cp.
  const auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                                   [](uint32_t value, uint32_t range) { return value < (range >> 3); });
  if (it == ranges.begin()) return CharClass::kOther;
  return static_cast<CharClass>(*(it - 1) & 7u);
}

uint32_t simple_lowercase(uint32_t cp) {
  const std::span<const unicode_data::LowerRun> runs(unicode_data::kLowerRuns, unicode_data::kNumLowerRuns);
  const auto it = std::upper_bound(runs.begin(), runs.end(), cp,
                                   [](uint32_t value, const unicode_data::LowerRun& run) { return value < run.first; });
  if (it == runs.begin()) return cp;
  const unicode_data::LowerRun& run = *(it - 1);
  if (cp > run.last || (cp - run.first) % run.stride != 0) return cp;
  return static_cast<uint32_t>(static_cast<int64_t>(cp) + run.delta);
}

uint32_t nfd_first(uint32_t cp) {
  if (cp >= kHangulFirst && cp <= kHangulLast)
    return kHangulLeadingJamo + (cp - kHangulFirst) / kHangulSyllablesPerLead;
  const std::span<const unicode_data::NfdPair> pairs(unicode_data::kNfdPairs, unicode_data::kNumNfdPairs);
  const auto it = std::lower_bound(pairs.begin(), pairs.end(), cp,
                                   [](const unicode_data::NfdPair& pair, uint32_t value) { return pair.cp < value; });
  return it != pairs.end() && it->cp == cp ? it->first : cp;
}

}  // namespace rocmforge::tokenizer
