// Test helpers: tensors with the same contents in a backend's memory (a CPU
// and a GPU backend side by side), read back to the host, and compared.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/gpu/gpu_backend.h"
#include "gguf/gguf_file.h"

namespace rocmforge::testing {

// The GPU backend under test; a test fails (it does not skip) when there is no GPU.
std::unique_ptr<backend::Backend> make_gpu_backend(bool batch_invariant = false);
std::unique_ptr<backend::Backend> make_gpu_backend(const backend::gpu::GpuOptions& options);

class OpHarness {
 public:
  explicit OpHarness(backend::Backend& backend) : backend_(backend) {}

  backend::Backend& backend() { return backend_; }

  // An F32 [rows, cols] tensor holding `values`, rows `stride` floats apart (0: cols).
  backend::Tensor f32(const std::vector<float>& values, int64_t rows, int64_t cols, int64_t stride = 0);
  // An F32 tensor filled with NaN, so an element an op forgets to write shows.
  backend::Tensor poisoned(int64_t rows, int64_t cols, int64_t stride = 0);
  // int32 values in backend memory.
  int32_t* ints(const std::vector<int32_t>& values);
  // Raw zeroed backend memory.
  void* bytes(size_t n);
  // A weight [rows, cols] of `type` quantised from `values` by the reference
  // quantiser, reserved and loaded as a model's would be, under `name`.
  backend::Tensor weight(gguf::GgmlType type, const std::vector<float>& values, int64_t rows, int64_t cols,
                         const std::string& name = "test.weight");
  // Weights of `rows[i]` rows of `types[i]` each, quantised from `values`
  // one after another, loaded as a group (Backend::load_weight_group).
  std::vector<backend::Tensor> weight_group(const std::vector<gguf::GgmlType>& types, const std::vector<float>& values,
                                            const std::vector<int64_t>& rows, int64_t cols,
                                            const std::vector<std::string>& names);

  std::vector<float> read(const backend::Tensor& t);
  std::vector<int32_t> read_ints(const int32_t* p, size_t n);
  std::vector<std::byte> read_bytes(const void* p, size_t n);

 private:
  backend::Backend& backend_;
  std::vector<std::unique_ptr<backend::Buffer>> buffers_;
  std::vector<std::unique_ptr<std::vector<std::byte>>> host_;  // weights' file bytes
};

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f);

// Rows of `cols` values one after another: column i of row r is fills[r](i).
std::vector<float> rows_of(int64_t cols, const std::vector<std::function<float(int64_t)>>& fills);

// Whether every value is NaN: an op left a poisoned tensor unwritten (false when empty).
bool all_nan(const std::vector<float>& v);

// ||got - want|| / ||want||; got must hold no NaN where want has none.
double relative_error(const std::vector<float>& got, const std::vector<float>& want);

// Whether the default (not batch-invariant) mode multiplies n_tokens rows by
// a weight of this type on F16 activations (gemm_a16_policy.h): its outputs
// then differ from the CPU's, on 8-bit activations, by about 5e-3.
bool default_mode_f16_activations(gguf::GgmlType type, int64_t n_tokens);

// Checks relative_error(got, want) <= tol, with `what` in the message.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, double tol, const std::string& what);

// Checks that got and want hold the same bytes, with `what` and the first differing byte in the message.
void expect_same_bytes(const void* got, size_t got_bytes, const void* want, size_t want_bytes, const std::string& what);
template <class T>
void expect_same_bits(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
  expect_same_bytes(got.data(), got.size() * sizeof(T), want.data(), want.size() * sizeof(T), what);
}

// A batch of tokens at `positions` (in h's memory) that store into distinct
// slots spread over a pool of `pool` (tokens <= pool / 37 or so), as a batch's
// tokens would take them.
backend::BatchView scattered_batch(OpHarness& h, const std::vector<int32_t>& positions, int64_t pool);

// One layer's paged KV cache in h's memory, zeroed, and its bytes.
struct LayerCache {
  backend::KvLayout layout;
  backend::KvLayerView kv;
  size_t k_bytes = 0;
  size_t v_bytes = 0;
};
LayerCache layer_cache(OpHarness& h, const backend::KvLayout& layout);

// Llama 3's RoPE (base 500,000, 8,192 positions) over the first n_rot of
// head_dim dims; with yarn_factors, also YaRN's ramp at scale 1/4 and those
// per-pair frequency factors (put in h's memory). n_heads is the caller's.
backend::RopeParams llama3_rope(OpHarness& h, int64_t head_dim, int64_t n_rot, bool neox,
                                const std::vector<float>* yarn_factors = nullptr);

// w times the n rows of x through h's backend (matmul), read back.
std::vector<float> matmul_rows(OpHarness& h, const backend::Tensor& w, const std::vector<float>& x, int64_t n);

// Row `at` of a product of w by n random rows through h's backend, with
// `token` at row at = 5n / 7, holds the same bits as `token`'s product alone
// (`alone`), for each n: matmul_prompt with `prompt`, else matmul.
void expect_rows_independent(OpHarness& h, const backend::Tensor& w, const std::vector<float>& token,
                             const std::vector<float>& alone, std::initializer_list<int64_t> ns, std::mt19937& rng,
                             bool prompt = true);

}  // namespace rocmforge::testing
