#include "backend/gpu/f16_copies.cuh"

#include <string_view>

namespace rocmforge::backend::gpu {

bool F16Copies::wants(const gguf::TensorInfo& info, const DenseGemm& dense) {
  const gguf::GgmlType t = info.type;
  if (info.n_dims != 2 || !std::string_view(info.name).starts_with("blk.")) return false;
  if (t == gguf::GgmlType::kF32 || t == gguf::GgmlType::kF16 || t == gguf::GgmlType::kBF16) return false;
  const WeightView w{nullptr, t, info.n_rows(), info.ne[0], 0};
  return dense.takes(w, kDenseGemmMinTokens);
}

std::optional<WeightView> F16Copies::find(const WeightView& w) const {
  const auto it = copies_.find(w.data);
  if (it == copies_.end()) return std::nullopt;
  return WeightView{reinterpret_cast<const uint8_t*>(it->second), gguf::GgmlType::kF16, w.rows, w.cols,
                    static_cast<size_t>(w.cols) * sizeof(uint16_t)};
}

}  // namespace rocmforge::backend::gpu
