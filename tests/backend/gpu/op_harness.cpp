#include "op_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/gpu/gemm_a16_policy.h"
#include "backend/gpu/gpu_backend.h"
#include "quant/quant.h"

namespace rocmforge::testing {

using backend::Tensor;

std::unique_ptr<backend::Backend> make_gpu_backend(bool batch_invariant) {
  backend::gpu::GpuOptions o;
  o.batch_invariant = batch_invariant;
  return make_gpu_backend(o);
}

std::unique_ptr<backend::Backend> make_gpu_backend(const backend::gpu::GpuOptions& options) {
  auto b = backend::gpu::create_backend(options);
  if (!b) {
    ADD_FAILURE() << "the GPU tests need a GPU: " << b.error().to_string();
    return nullptr;
  }
  return std::move(*b);
}

Tensor OpHarness::f32(const std::vector<float>& values, int64_t rows, int64_t cols, int64_t stride) {
  if (stride == 0) stride = cols;
  Tensor t = poisoned(rows, cols, stride);
  for (int64_t r = 0; r < rows; ++r) {
    backend_.upload(t.row<float>(r), values.data() + r * cols, static_cast<size_t>(cols) * sizeof(float));
  }
  return t;
}

Tensor OpHarness::poisoned(int64_t rows, int64_t cols, int64_t stride) {
  if (stride == 0) stride = cols;
  const size_t n = static_cast<size_t>(rows * stride);
  auto buffer = backend_.allocate(n * sizeof(float));
  EXPECT_TRUE(buffer) << buffer.error().to_string();
  const std::vector<float> nan(n, std::numeric_limits<float>::quiet_NaN());
  backend_.upload((*buffer)->data(), nan.data(), n * sizeof(float));
  Tensor t{(*buffer)->data(), gguf::GgmlType::kF32, rows, cols, static_cast<size_t>(stride) * sizeof(float)};
  buffers_.push_back(std::move(*buffer));
  return t;
}

int32_t* OpHarness::ints(const std::vector<int32_t>& values) {
  auto* p = static_cast<int32_t*>(bytes(std::max<size_t>(1, values.size()) * sizeof(int32_t)));
  backend_.upload(p, values.data(), values.size() * sizeof(int32_t));
  return p;
}

void* OpHarness::bytes(size_t n) {
  auto buffer = backend_.allocate(n);
  EXPECT_TRUE(buffer) << buffer.error().to_string();
  const std::vector<std::byte> zeros(n);
  backend_.upload((*buffer)->data(), zeros.data(), n);
  void* p = (*buffer)->data();
  buffers_.push_back(std::move(*buffer));
  return p;
}

Tensor OpHarness::weight(gguf::GgmlType type, const std::vector<float>& values, int64_t rows, int64_t cols,
                         const std::string& name) {
  const std::vector<Tensor> one = weight_group({type}, values, {rows}, cols, {name});
  return one.empty() ? Tensor{} : one.front();
}

std::vector<Tensor> OpHarness::weight_group(const std::vector<gguf::GgmlType>& types, const std::vector<float>& values,
                                            const std::vector<int64_t>& rows, int64_t cols,
                                            const std::vector<std::string>& names) {
  std::vector<gguf::TensorInfo> infos;
  const float* from = values.data();
  for (size_t i = 0; i < rows.size(); ++i) {
    const gguf::GgmlType type = types[i];
    const size_t row_bytes = gguf::ggml_row_size(type, cols);
    auto data = std::make_unique<std::vector<std::byte>>(row_bytes * static_cast<size_t>(rows[i]));
    for (int64_t r = 0; r < rows[i]; ++r, from += cols) {
      quant::quantize_row(type, from, data->data() + static_cast<size_t>(r) * row_bytes, cols);
    }
    gguf::TensorInfo info;
    info.name = names[i];
    info.type = type;
    info.n_dims = 2;
    info.ne = {cols, rows[i], 1, 1};
    info.n_bytes = data->size();
    info.data = data->data();
    host_.push_back(std::move(data));
    infos.push_back(info);
  }
  const Status fits = backend_.reserve_weights(infos);
  EXPECT_TRUE(fits) << fits.error().to_string();
  std::vector<const gguf::TensorInfo*> group;
  for (const gguf::TensorInfo& info : infos) group.push_back(&info);
  auto t = backend_.load_weight_group(group);
  EXPECT_TRUE(t) << t.error().to_string();
  return t ? *t : std::vector<Tensor>{};
}

std::vector<float> OpHarness::read(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.rows * t.cols));
  for (int64_t r = 0; r < t.rows; ++r) {
    const Status s = backend_.download(out.data() + r * t.cols, t.row<float>(r), static_cast<size_t>(t.cols) * sizeof(float));
    EXPECT_TRUE(s) << s.error().to_string();
  }
  return out;
}

std::vector<int32_t> OpHarness::read_ints(const int32_t* p, size_t n) {
  std::vector<int32_t> out(n);
  const Status s = backend_.download(out.data(), p, n * sizeof(int32_t));
  EXPECT_TRUE(s) << s.error().to_string();
  return out;
}

std::vector<std::byte> OpHarness::read_bytes(const void* p, size_t n) {
  std::vector<std::byte> out(n);
  const Status s = backend_.download(out.data(), p, n);
  EXPECT_TRUE(s) << s.error().to_string();
  return out;
}

std::vector<float> rows_of(int64_t cols, const std::vector<std::function<float(int64_t)>>& fills) {
  std::vector<float> v;
  v.reserve(fills.size() * static_cast<size_t>(cols));
  for (const auto& fill : fills) {
    for (int64_t i = 0; i < cols; ++i) v.push_back(fill(i));
  }
  return v;
}

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

bool default_mode_f16_activations(gguf::GgmlType type, int64_t n_tokens) {
  return backend::gpu::a16_gemm_type(type) && backend::gpu::a16_variant_tokens(type).contains(n_tokens);
}

bool all_nan(const std::vector<float>& v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](float x) { return std::isnan(x); });
}

double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return std::numeric_limits<double>::infinity();
  double diff = 0.0;
  double norm = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i]) && !std::isnan(want[i])) return std::numeric_limits<double>::infinity();
    const double d = static_cast<double>(got[i]) - static_cast<double>(want[i]);
    diff += d * d;
    norm += static_cast<double>(want[i]) * static_cast<double>(want[i]);
  }
  return norm == 0.0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

void expect_same_bytes(const void* got, size_t got_bytes, const void* want, size_t want_bytes,
                       const std::string& what) {
  ASSERT_EQ(got_bytes, want_bytes) << what;
  const auto* a = static_cast<const unsigned char*>(got);
  const auto* b = static_cast<const unsigned char*>(want);
  size_t i = 0;
  while (i < got_bytes && a[i] == b[i]) ++i;
  EXPECT_EQ(i, got_bytes) << what << ": the first difference is at byte " << i << " of " << got_bytes;
}

backend::BatchView scattered_batch(OpHarness& h, const std::vector<int32_t>& positions, int64_t pool) {
  std::vector<int32_t> slots(positions.size());
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<int32_t>((static_cast<int64_t>(i) * 37 + 5) % pool);
  backend::BatchView batch;
  batch.positions = h.ints(positions);
  batch.slots = h.ints(slots);
  batch.n_tokens = static_cast<int32_t>(positions.size());
  return batch;
}

LayerCache layer_cache(OpHarness& h, const backend::KvLayout& layout) {
  const size_t k_bytes = static_cast<size_t>(layout.slots()) * layout.k_row_bytes();
  const size_t v_bytes = static_cast<size_t>(layout.slots()) * layout.v_row_bytes();
  return {layout, {h.bytes(k_bytes), h.bytes(v_bytes)}, k_bytes, v_bytes};
}

backend::RopeParams llama3_rope(OpHarness& h, int64_t head_dim, int64_t n_rot, bool neox,
                                const std::vector<float>* yarn_factors) {
  backend::RopeParams p;
  p.head_dim = head_dim;
  p.n_rot = n_rot;
  p.neox = neox;
  p.freq_base = 500000.0f;
  p.n_ctx_orig = 8192;
  if (yarn_factors != nullptr) {
    p.freq_scale = 0.25f;
    p.ext_factor = 1.0f;
    p.freq_factors = h.f32(*yarn_factors, 1, n_rot / 2).row<const float>(0);
  }
  return p;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double tol, const std::string& what) {
  const double err = relative_error(got, want);
  EXPECT_LE(err, tol) << what << ": relative error " << err << " (tolerance " << tol << ")";
}

std::vector<float> matmul_rows(OpHarness& h, const Tensor& w, const std::vector<float>& x, int64_t n) {
  const Tensor out = h.poisoned(n, w.rows);
  h.backend().matmul(w, h.f32(x, n, w.cols), out);
  return h.read(out);
}

void expect_rows_independent(OpHarness& h, const Tensor& w, const std::vector<float>& token,
                             const std::vector<float>& alone, std::initializer_list<int64_t> ns, std::mt19937& rng,
                             bool prompt) {
  const int64_t cols = w.cols;
  const int64_t rows = w.rows;
  for (int64_t n : ns) {
    std::vector<float> x = random_floats(rng, static_cast<size_t>(n * cols));
    const int64_t at = (n * 5) / 7;
    std::copy(token.begin(), token.end(), x.begin() + at * cols);
    const Tensor out = h.poisoned(n, rows);
    if (prompt) {
      h.backend().matmul_prompt(w, h.f32(x, n, cols), out);
    } else {
      h.backend().matmul(w, h.f32(x, n, cols), out);
    }
    const std::vector<float> all = h.read(out);
    const std::vector<float> row(all.begin() + at * rows, all.begin() + (at + 1) * rows);
    EXPECT_EQ(row, alone) << "row " << at << " of " << n << " differs from the row alone";
  }
}

}  // namespace rocmforge::testing
