// The GPU weight layout on the host (no GPU needed): rows repacked by
// repack_rows, read back element by element following weight_layout.h's
// description (written here independently of the kernels), give what the
// reference dequantisation gives for the file's row, bit for bit; the
// regions tile the row exactly and the padding is zero.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/gpu/weight_layout.h"
#include "backend/gpu/weight_repack.h"
#include "quant/blocks.h"
#include "quant/blocks_k.h"
#include "quant/half.h"
#include "quant/quant.h"

namespace rocmforge::backend::gpu {
namespace {

using gguf::GgmlType;

constexpr GgmlType kLegacyTypes[] = {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
                                     GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kIQ4_NL};
constexpr GgmlType kSuperTypes[] = {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K,
                                    GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kIQ4_XS};

std::vector<GgmlType> quantised_types() {
  std::vector<GgmlType> out(std::begin(kLegacyTypes), std::end(kLegacyTypes));
  out.insert(out.end(), std::begin(kSuperTypes), std::end(kSuperTypes));
  return out;
}

// A device row, read as the layout describes it.
class DeviceRow {
 public:
  DeviceRow(GgmlType type, const std::byte* row, int64_t cols)
      : type_(type), row_(row), b_(block_regions(type)), r_(row_regions(type, cols / kQuantBlock)) {}

  float element(int64_t e) const { return b_.elems == kQuantBlock ? legacy(e) : super(e); }

 private:
  uint8_t byte(size_t offset) const { return static_cast<uint8_t>(row_[offset]); }
  uint16_t u16(size_t offset) const { return static_cast<uint16_t>(byte(offset) | (byte(offset + 1) << 8)); }
  uint32_t u32(size_t offset) const { return u16(offset) | (static_cast<uint32_t>(u16(offset + 2)) << 16); }

  // Element l of unit u's `bits`-bit plane at `region`: byte l % 4 of word
  // (l / 4) % bits, bits bits * ((l / 4) / bits) up.
  int plane(size_t region, int bits, int64_t u, int l) const {
    const int i = l / 4;
    const uint32_t word = u32(region + static_cast<size_t>(u * 4 * bits + 4 * (i % bits)));
    return static_cast<int>((word >> (8 * (l % 4) + bits * (i / bits))) & ((1u << bits) - 1));
  }

  float legacy(int64_t e) const {
    const int64_t u = e / kQuantBlock;
    const int j = static_cast<int>(e % kQuantBlock);
    const size_t qs = r_.qs + static_cast<size_t>(u * b_.qs);
    const size_t scale = r_.scale + static_cast<size_t>(u * b_.scale);
    const float d = quant::fp16_to_fp32(u16(scale));
    if (type_ == GgmlType::kQ8_0) return static_cast<float>(static_cast<int8_t>(byte(qs + j))) * d;
    int q = j < 16 ? byte(qs + j) & 0xF : byte(qs + j - 16) >> 4;
    if (b_.qh != 0) q |= static_cast<int>((u32(r_.qh + static_cast<size_t>(u * 4)) >> j) & 1) << 4;
    switch (type_) {
      case GgmlType::kQ4_0:
        return static_cast<float>(q - 8) * d;
      case GgmlType::kQ5_0:
        return static_cast<float>(q - 16) * d;
      case GgmlType::kIQ4_NL:
        return d * static_cast<float>(quant::kIQ4Values[q]);
      default:  // Q4_1, Q5_1
        return static_cast<float>(q) * d + quant::fp16_to_fp32(u16(scale + 2));
    }
  }

  float super(int64_t e) const {
    const int64_t blk = e / kSuperBlock;
    const int in_block = static_cast<int>(e % kSuperBlock);
    const int64_t u = e / kQuantBlock;
    const int l = static_cast<int>(e % kQuantBlock);
    int q = plane(r_.qs, low_bits(type_), u, l);
    if (b_.qh != 0) q |= plane(r_.qh, high_bits(type_), u, l) << low_bits(type_);
    const size_t sub = r_.sub + static_cast<size_t>(blk * b_.sub);
    const size_t scale = r_.scale + static_cast<size_t>(blk * b_.scale);
    const float d = quant::fp16_to_fp32(u16(scale));
    uint8_t packed[16];
    for (int i = 0; i < b_.sub; ++i) packed[i] = byte(sub + static_cast<size_t>(i));
    switch (type_) {
      case GgmlType::kQ2_K: {
        const uint8_t s = packed[in_block / 16];
        return d * static_cast<float>(s & 0xF) * static_cast<float>(q) -
               quant::fp16_to_fp32(u16(scale + 2)) * static_cast<float>(s >> 4);
      }
      case GgmlType::kQ3_K: {
        int8_t scales[16];
        quant::scales_q3_k(packed, scales);
        return d * static_cast<float>(scales[in_block / 16]) * static_cast<float>(q - 4);
      }
      case GgmlType::kQ6_K:
        return d * static_cast<float>(static_cast<int8_t>(packed[in_block / 16])) * static_cast<float>(q - 32);
      case GgmlType::kIQ4_XS: {
        const int sb = in_block / 32;
        const int ls = ((packed[2 + sb / 2] >> (4 * (sb % 2))) & 0xF) | (((u16(sub) >> (2 * sb)) & 3) << 4);
        return d * static_cast<float>(ls - 32) * static_cast<float>(quant::kIQ4Values[q]);
      }
      default: {  // Q4_K, Q5_K
        uint8_t sc;
        uint8_t m;
        quant::scale_min_k4(in_block / 32, packed, sc, m);
        return d * static_cast<float>(sc) * static_cast<float>(q) -
               quant::fp16_to_fp32(u16(scale + 2)) * static_cast<float>(m);
      }
    }
  }

  GgmlType type_;
  const std::byte* row_;
  BlockRegions b_;
  RowRegions r_;
};

struct Repacked {
  std::vector<std::byte> file;
  std::vector<std::byte> device;
  size_t file_row = 0;
  size_t device_row = 0;
};

Repacked repack_random(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Repacked r;
  r.file_row = gguf::ggml_row_size(type, cols);
  r.device_row = device_row_bytes(type, cols);
  r.file.resize(r.file_row * static_cast<size_t>(rows));
  std::vector<float> values(static_cast<size_t>(cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (float& v : values) v = dist(rng);
    quant::quantize_row(type, values.data(), r.file.data() + static_cast<size_t>(i) * r.file_row, cols);
  }
  r.device.assign(r.device_row * static_cast<size_t>(rows), std::byte{0xAB});  // padding must be overwritten
  repack_rows(type, r.file.data(), r.file_row, r.device.data(), r.device_row, rows, cols);
  return r;
}

class Repack : public ::testing::TestWithParam<GgmlType> {};

TEST_P(Repack, ElementsReadBackAsTheReferenceDequantisesThem) {
  const GgmlType type = GetParam();
  const int64_t block = block_regions(type).elems;
  for (int64_t cols : {block, 4 * block, 3 * kSuperBlock + (block == kQuantBlock ? kQuantBlock : 0)}) {
    constexpr int64_t kRows = 5;
    const Repacked r = repack_random(type, kRows, cols, static_cast<uint32_t>(cols));
    std::vector<float> want(static_cast<size_t>(cols));
    for (int64_t i = 0; i < kRows; ++i) {
      quant::dequantize_row(type, r.file.data() + static_cast<size_t>(i) * r.file_row, want.data(), cols);
      const DeviceRow row(type, r.device.data() + static_cast<size_t>(i) * r.device_row, cols);
      int mismatches = 0;
      for (int64_t e = 0; e < cols; ++e) {
        const float got = row.element(e);
        if (got != want[static_cast<size_t>(e)] && ++mismatches <= 3) {
          ADD_FAILURE() << gguf::ggml_type_name(type) << " cols " << cols << " row " << i << " element " << e
                        << ": " << got << ", the reference gives " << want[static_cast<size_t>(e)];
        }
      }
      EXPECT_EQ(mismatches, 0) << gguf::ggml_type_name(type) << " cols " << cols;
    }
  }
}

TEST_P(Repack, RegionsTileTheRowAndPaddingIsZero) {
  const GgmlType type = GetParam();
  const int64_t block = block_regions(type).elems;
  for (int64_t cols : {block, 2 * kSuperBlock, 14 * kSuperBlock + (block == kQuantBlock ? 3 * kQuantBlock : 0)}) {
    const size_t file_row = gguf::ggml_row_size(type, cols);
    const size_t device_row = device_row_bytes(type, cols);
    EXPECT_EQ(device_row % kRowAlign, 0u);
    EXPECT_GE(device_row, file_row);
    EXPECT_LT(device_row - file_row, kRowAlign);
    const BlockRegions b = block_regions(type);
    const RowRegions r = row_regions(type, cols / kQuantBlock);
    const auto n_blocks = static_cast<size_t>(cols / b.elems);
    EXPECT_EQ(r.qh, n_blocks * static_cast<size_t>(b.qs));
    EXPECT_EQ(r.sub, r.qh + n_blocks * static_cast<size_t>(b.qh));
    EXPECT_EQ(r.scale, r.sub + n_blocks * static_cast<size_t>(b.sub));
    EXPECT_EQ(r.scale + n_blocks * static_cast<size_t>(b.scale), file_row);
    const Repacked rp = repack_random(type, 2, cols, 7);
    for (size_t i = 0; i < 2; ++i) {
      for (size_t k = file_row; k < device_row; ++k) EXPECT_EQ(rp.device[i * device_row + k], std::byte{0});
    }
  }
}

std::string type_name(const ::testing::TestParamInfo<GgmlType>& info) {
  return std::string(gguf::ggml_type_name(info.param));
}

INSTANTIATE_TEST_SUITE_P(QuantisedTypes, Repack, ::testing::ValuesIn(quantised_types()), type_name);

// Float rows are copied as they are; only the padding differs.
TEST(RepackFloat, RowsAreCopiedAndPadded) {
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    constexpr int64_t kCols = 172;  // stories260K's feed-forward width: rows that are not 16-byte multiples
    const size_t file_row = gguf::ggml_row_size(type, kCols);
    const size_t device_row = device_row_bytes(type, kCols);
    ASSERT_EQ(device_row % kRowAlign, 0u);
    std::vector<std::byte> file(3 * file_row);
    for (size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::byte>(i * 37 + 11);
    std::vector<std::byte> device(3 * device_row, std::byte{0xAB});
    repack_rows(type, file.data(), file_row, device.data(), device_row, 3, kCols);
    for (size_t r = 0; r < 3; ++r) {
      EXPECT_EQ(std::memcmp(device.data() + r * device_row, file.data() + r * file_row, file_row), 0);
      for (size_t k = file_row; k < device_row; ++k) EXPECT_EQ(device[r * device_row + k], std::byte{0});
    }
  }
}

TEST(WeightTypeSupported, EveryTypeWithKernels) {
  for (GgmlType type : quantised_types()) EXPECT_TRUE(weight_type_supported(type)) << gguf::ggml_type_name(type);
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) EXPECT_TRUE(weight_type_supported(type));
  for (GgmlType type : {GgmlType::kQ8_1, GgmlType::kQ8_K, GgmlType::kIQ2_XXS, GgmlType::kIQ3_S, GgmlType::kTQ1_0,
                        GgmlType::kMXFP4}) {
    EXPECT_FALSE(weight_type_supported(type)) << gguf::ggml_type_name(type);
  }
}

}  // namespace
}  // namespace rocmforge::backend::gpu
