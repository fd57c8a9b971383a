#include "attention_reference.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "quant/half.h"

namespace rocmforge::testing {

PagedBatch make_paged_batch(const std::vector<Seq>& seqs, int64_t block_size, std::mt19937& rng) {
  PagedBatch b;
  b.block_size = block_size;
  int32_t most = 0;
  for (const Seq& s : seqs) most = std::max(most, s.n_past + s.n_new);
  b.max_blocks = static_cast<int32_t>((most + block_size - 1) / block_size + 2);
  b.n_blocks = static_cast<int64_t>(seqs.size()) * b.max_blocks;
  b.tables.resize(static_cast<size_t>(b.n_blocks));
  std::iota(b.tables.begin(), b.tables.end(), 0);
  std::shuffle(b.tables.begin(), b.tables.end(), rng);
  for (size_t s = 0; s < seqs.size(); ++s) {
    b.seq_start.push_back(static_cast<int32_t>(b.all_slots.size()));
    for (int32_t p = 0; p < seqs[s].n_past + seqs[s].n_new; ++p) {
      const int32_t block = b.tables[s * static_cast<size_t>(b.max_blocks) + static_cast<size_t>(p / block_size)];
      b.all_slots.push_back(static_cast<int32_t>(block * block_size + p % block_size));
      if (p >= seqs[s].n_past) {
        b.positions.push_back(p);
        b.token_seq.push_back(static_cast<int32_t>(s));
      }
    }
  }
  return b;
}

std::vector<float> as_cached(gguf::GgmlType type, const std::vector<float>& x, int64_t group) {
  std::vector<float> out(x);
  if (type == gguf::GgmlType::kF16) {
    for (float& v : out) v = quant::fp16_to_fp32(quant::fp32_to_fp16(v));
  } else if (type == gguf::GgmlType::kBF16) {
    for (float& v : out) v = quant::bf16_to_fp32(quant::fp32_to_bf16(v));
  } else if (type == gguf::GgmlType::kQ8_0) {
    for (size_t g = 0; g < out.size(); g += static_cast<size_t>(group)) {
      float amax = 0.0f;
      for (size_t i = g; i < g + static_cast<size_t>(group); ++i) amax = std::max(amax, std::fabs(out[i]));
      const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
      const float d = quant::fp16_to_fp32(quant::fp32_to_fp16(amax / 127.0f));
      for (size_t i = g; i < g + static_cast<size_t>(group); ++i) out[i] = std::nearbyint(out[i] * id) * d;
    }
  }
  return out;
}

std::vector<float> query_as_read(gguf::GgmlType k_type, const std::vector<float>& q, int64_t head_dim) {
  return as_cached(k_type, q, std::min<int64_t>(head_dim, 32));
}

std::vector<float> reference_attention(const AttentionShape& s, const PagedBatch& b, const std::vector<float>& q,
                                       const std::vector<float>& k, const std::vector<float>& v) {
  const int64_t gqa = s.n_head / s.n_head_kv;
  std::vector<float> out(b.positions.size() * static_cast<size_t>(s.n_head * s.head_dim_v));
  for (size_t t = 0; t < b.positions.size(); ++t) {
    const int64_t base = b.seq_start[static_cast<size_t>(b.token_seq[t])];
    const int64_t n_keys = b.positions[t] + 1;
    const int64_t first = s.window > 0 ? std::max<int64_t>(0, n_keys - s.window) : 0;
    for (int64_t h = 0; h < s.n_head; ++h) {
      const int64_t kvh = h / gqa;
      const float* qh = q.data() + (static_cast<int64_t>(t) * s.n_head + h) * s.head_dim;
      std::vector<double> scores;
      for (int64_t j = first; j < n_keys; ++j) {
        double dot = 0.0;
        for (int64_t d = 0; d < s.head_dim; ++d) {
          dot += static_cast<double>(qh[d]) * k[static_cast<size_t>(((base + j) * s.n_head_kv + kvh) * s.head_dim + d)];
        }
        double score = dot * s.scale;
        if (s.softcap != 0.0f) score = s.softcap * std::tanh(score / s.softcap);
        scores.push_back(score);
      }
      const double big = *std::max_element(scores.begin(), scores.end());
      double sum = 0.0;
      for (double& x : scores) sum += (x = std::exp(x - big));
      for (int64_t d = 0; d < s.head_dim_v; ++d) {
        double acc = 0.0;
        for (int64_t j = first; j < n_keys; ++j) {
          acc += scores[static_cast<size_t>(j - first)] *
                 v[static_cast<size_t>(((base + j) * s.n_head_kv + kvh) * s.head_dim_v + d)];
        }
        out[(t * static_cast<size_t>(s.n_head) + static_cast<size_t>(h)) * static_cast<size_t>(s.head_dim_v) +
            static_cast<size_t>(d)] = static_cast<float>(acc / sum);
      }
    }
  }
  return out;
}

}  // namespace rocmforge::testing
