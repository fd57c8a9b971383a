// The backend interface: memory and the fixed set of ops the forward pass needs.
//
// A backend is an object (one per device), never a global. Ops are queued in
// order on the backend's stream and may run asynchronously; the host waits only
// in download() and synchronize(). Ops do not return errors one by one: a GPU
// backend records the first failure and reports it from synchronize(), so no
// failure is lost. Shapes are checked by the caller (the model binds weights
// against its validated config); ops assert them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/batch.h"
#include "backend/tensor.h"
#include "gguf/gguf_file.h"
#include "rocmforge/error.h"

namespace rocmforge::backend {

// Device memory owned RAII-style by the backend that allocated it.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual void* data() const = 0;
  virtual size_t size() const = 0;
};

struct RopeParams {
  int64_t n_heads = 0;
  int64_t head_dim = 0;
  int64_t n_rot = 0;
  bool neox = false;  // rotate halves instead of adjacent pairs
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  int64_t n_ctx_orig = 0;
  float ext_factor = 0.0f;
  float attn_factor = 1.0f;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  const float* freq_factors = nullptr;  // [n_rot / 2] in backend memory, or null
};

struct AttentionParams {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t head_dim_v = 0;
  float scale = 1.0f;    // applied to q.k
  float softcap = 0.0f;  // scores become softcap * tanh(score / softcap) (0: off)
  int64_t window = 0;    // a query at p sees keys at p - window < k <= p (0: all)
};

// The gate's activation in a gated feed-forward.
enum class GluKind { kSilu, kGelu };

// The most candidates Backend::top_k takes per row (a GPU ranks them in shared memory).
inline constexpr int64_t kMaxTopK = 1024;

struct MoeRouting {
  int64_t n_expert = 0;
  int64_t n_used = 0;
  bool normalize = false;     // top-k weights renormalised to sum to 1
  float weight_scale = 0.0f;  // weights multiplied by this when not 0 or 1
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;

  // Memory.
  virtual Result<std::unique_ptr<Buffer>> allocate(size_t bytes) = 0;
  // Host memory that download() fills fastest (page-locked on a GPU, where a
  // copy into pageable memory goes through a bounce buffer at a fraction of
  // the bus's speed): for what the host reads back every step, the logits.
  virtual Result<std::unique_ptr<Buffer>> allocate_host(size_t bytes) = 0;
  // Makes a GGUF tensor usable by ops: a view of the mapping on the CPU, an
  // upload (kept quantised) on a GPU. The view stays valid while the backend
  // and the file's mapping live.
  virtual Result<Tensor> load_weight(const gguf::TensorInfo& info) = 0;
  // load_weight for tensors that products over one input read in turn (a
  // layer's Q, K and V; gate and up): a backend may place them side by side
  // so that one product covers them when their outputs are side by side too.
  virtual Result<std::vector<Tensor>> load_weight_group(std::span<const gguf::TensorInfo* const> infos) {
    std::vector<Tensor> out;
    for (const gguf::TensorInfo* info : infos) out.push_back(RF_TRY(load_weight(*info)));
    return out;
  }
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  virtual Status download(void* dst, const void* src, size_t bytes) = 0;  // waits for queued ops
  virtual Status synchronize() = 0;
  // Checks, before any weight is loaded, that these tensors fit (kOutOfMemory
  // naming the bytes needed and available if not). Host memory: always.
  virtual Status reserve_weights(std::span<const gguf::TensorInfo> tensors) {
    static_cast<void>(tensors);
    return ok();
  }
  // Bytes this backend may still allocate (to size a KV pool); nullopt: host memory, not budgeted here.
  virtual std::optional<uint64_t> memory_available() const { return std::nullopt; }

  // Queues one forward step: `queue_ops` queues its ops. A backend may record
  // the ops of a step shape (`shape` != 0) and replay the recording for later
  // steps of that shape (CUDA graphs), so for one shape every host value the
  // ops take (sizes, pointers) must be the same and everything that varies
  // must be read from backend memory (the BatchView arrays). The CPU backend
  // just runs them.
  virtual Status run_step(uint64_t shape, const std::function<void()>& queue_ops) {
    static_cast<void>(shape);
    queue_ops();
    return ok();
  }

  // Ops. Activations are F32 [n_tokens, width] unless stated.
  // out[i] = table[ids[i]] dequantised to F32.
  virtual void embed(const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out) = 0;
  // out = x / sqrt(mean(x^2) + eps) * weight, row by row (weight: F32 [1, cols]).
  virtual void rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& out) = 0;
  // out[t, o] = sum_i x[t, i] * w[o, i] for a weight of any supported type.
  virtual void matmul(const Tensor& w, const Tensor& x, const Tensor& out) = 0;
  // matmul over rows that are all prompt tokens. A batch-invariant backend
  // may take them through another kernel configuration than the rows of
  // generated tokens (prompt_rows_differ()); a token's role never depends on
  // the batch, so its results still do not.
  virtual void matmul_prompt(const Tensor& w, const Tensor& x, const Tensor& out) { matmul(w, x, out); }
  // Whether matmul_prompt may give other results than matmul: the forward
  // then splits each layer matmul at the step's first prompt row, and K/V
  // computed for generated tokens must not stand in for a prompt's.
  virtual bool prompt_rows_differ() const { return false; }
  // out = a + b elementwise; b may be one row, added to every row (a bias). out may alias a or b.
  virtual void add(const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // x *= s in place.
  virtual void scale(const Tensor& x, float s) = 0;
  // x = cap * tanh(x / cap) in place (logit soft-capping).
  virtual void softcap(const Tensor& x, float cap) = 0;
  // out = act(gate) * up, act SiLU or GELU (tanh approximation). gate and
  // up are the inputs of this op alone: afterwards, outside `out`, they hold
  // no defined values (a backend may fuse the products that wrote them with it).
  virtual void glu(GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out) = 0;
  // Says of `t`, just written by rms_norm, glu or attention: until it is written again,
  // it is read only as the input of matmuls over `weights`, each over all
  // its rows. A backend whose matmuls read a converted copy of their input
  // may then leave t's F32 values unwritten (and must fail, never read
  // stale values, if something else reads them after all).
  virtual void read_only_by(const Tensor& t, std::span<const Tensor> weights) {
    static_cast<void>(t);
    static_cast<void>(weights);
  }
  // x[t, :] *= sigmoid(g[t]) for a one-column g (a shared expert's gate).
  virtual void mul_sigmoid(const Tensor& x, const Tensor& g) = 0;
  // Rotates the first n_rot dims of every head of x in place: x is [n_tokens, n_heads * head_dim].
  virtual void rope(const Tensor& x, const int32_t* positions, const RopeParams& params) = 0;
  // Writes each new token's K and V rows into its slot of the paged cache.
  virtual void store_kv(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                        const BatchView& batch) = 0;
  // Makes block dst of one layer's K and V a copy of block src (every slot),
  // for each pair in order. `copies` is host memory, read before returning.
  virtual void copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) = 0;
  // Causal attention of each new token's query heads over its sequence's cached
  // positions 0..position (grouped-query: query head h reads KV head h / (n_head / n_head_kv)).
  virtual void attention(const Tensor& q, const KvLayerView& kv, const KvLayout& layout, const BatchView& batch,
                         const AttentionParams& params, const Tensor& out) = 0;
  // out[i] = x[rows[i]].
  virtual void gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out) = 0;
  // Greedy sampling's reduction of each row r of x (logits): ids[r] (backend
  // int32) = the column of its largest value, the lowest on ties, NaN ranking
  // as -inf. The engine's sampler picks the same id.
  virtual void argmax(const Tensor& x, int32_t* ids) = 0;
  // Sampling by candidates: the k best columns of each row r of x (logits),
  // 1 <= k <= min(x.cols, kMaxTopK), ranked as the engine's sampler ranks them (the larger
  // value first, ties to the lower column, NaN as -inf, -0 equal to +0), best
  // first: values[r * k + i] (NaN written as -inf) and ids[r * k + i]; and
  // sums[r] = the sum over the whole row of exp(x[r, c] - values[r * k]), NaN
  // adding nothing: the row's softmax normaliser at temperature 1, summed in
  // double from float terms (meaningful only when the row's maximum is
  // finite). values, ids: backend memory [x.rows, k]; sums: [x.rows].
  virtual void top_k(const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums) = 0;

  // Mixture of experts, as three steps:
  // softmax over each row of router logits [n_tokens, n_expert], the n_used most
  // likely experts into ids [n_tokens, n_used] (device int32) and their weights
  // into weights [n_tokens, n_used];
  virtual void moe_route(const Tensor& logits, const MoeRouting& routing, int32_t* ids,
                         const Tensor& weights) = 0;
  // out[t * n_used + j] = expert ids[t, j] of `w` (n_expert matrices stacked by
  // rows) times x[t] (x_per_slot false) or x[t * n_used + j] (true);
  virtual void matmul_experts(const Tensor& w, int64_t n_expert, const Tensor& x, bool x_per_slot,
                              const int32_t* ids, int64_t n_used, const Tensor& out) = 0;
  // out[t] = sum over j of weights[t, j] * expert_out[t * n_used + j], j in order.
  virtual void moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out) = 0;
};

}  // namespace rocmforge::backend
