// The GPU backend: device memory under a budget, weights uploaded once in
// the device layout, and every op queued on one stream as kernel launches.
//
// Failures are never dropped: a failed launch is recorded (the first one
// wins) and returned by the next download() or synchronize(), together with
// any bad input a kernel found (device_error.cuh).
//
// Activations a matmul converts (to Q8, F16 or BF16) are kept with the
// pointer and shape they came from, so matmuls over the same input convert
// it once; any op that writes overlapping memory drops the entry. Decode
// matmuls over the same input (Q, K and V; gate and up) are held back and
// launched together as one kernel when the next other op comes; residual
// adds, RMS norms, gated activations and RoPE (with the K and V store after
// it) are held back to fuse, as is the prompt attention (gpu_fusion.cu).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/gpu/act_quant.cuh"
#include "backend/gpu/attention.cuh"
#include "backend/gpu/dense_gemm.cuh"
#include "backend/gpu/device_memory.cuh"
#include "backend/gpu/f16_copies.cuh"
#include "backend/gpu/gemm_a16.cuh"
#include "backend/gpu/gpu_backend.h"
#include "backend/gpu/matmul.cuh"
#include "backend/gpu/rope.cuh"
#include "backend/gpu/step_graphs.cuh"

namespace rocmforge::backend::gpu {

class GpuBackend final : public Backend {
 public:
  static Result<std::unique_ptr<GpuBackend>> create(const GpuOptions& options);
  ~GpuBackend() override;
  GpuBackend(const GpuBackend&) = delete;
  GpuBackend& operator=(const GpuBackend&) = delete;

  std::string name() const override { return rt::kPlatform; }

  Result<std::unique_ptr<Buffer>> allocate(size_t bytes) override;
  Result<std::unique_ptr<Buffer>> allocate_host(size_t bytes) override;
  Result<Tensor> load_weight(const gguf::TensorInfo& info) override;
  Result<std::vector<Tensor>> load_weight_group(std::span<const gguf::TensorInfo* const> infos) override;
  void upload(void* dst, const void* src, size_t bytes) override;
  Status download(void* dst, const void* src, size_t bytes) override;
  Status synchronize() override;
  Status reserve_weights(std::span<const gguf::TensorInfo> tensors) override;
  std::optional<uint64_t> memory_available() const override { return budget_->available(); }
  Status run_step(uint64_t shape, const std::function<void()>& queue_ops) override;

  void embed(const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out) override;
  void rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& out) override;
  void matmul(const Tensor& w, const Tensor& x, const Tensor& out) override;
  void matmul_prompt(const Tensor& w, const Tensor& x, const Tensor& out) override;
  bool prompt_rows_differ() const override { return batch_invariant_ && f16_copies_.any(); }
  void add(const Tensor& a, const Tensor& b, const Tensor& out) override;
  void scale(const Tensor& x, float s) override;
  void softcap(const Tensor& x, float cap) override;
  void glu(GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out) override;
  void read_only_by(const Tensor& t, std::span<const Tensor> weights) override;  // gpu_fusion.cu
  void mul_sigmoid(const Tensor& x, const Tensor& g) override;
  void rope(const Tensor& x, const int32_t* positions, const RopeParams& params) override;
  void store_kv(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                const BatchView& batch) override;
  void copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) override;
  void attention(const Tensor& q, const KvLayerView& kv, const KvLayout& layout, const BatchView& batch,
                 const AttentionParams& params, const Tensor& out) override;
  void gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out) override;
  void argmax(const Tensor& x, int32_t* ids) override;  // argmax.cu
  void top_k(const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums) override;  // top_k.cu
  void moe_route(const Tensor& logits, const MoeRouting& routing, int32_t* ids, const Tensor& weights) override;
  void matmul_experts(const Tensor& w, int64_t n_expert, const Tensor& x, bool x_per_slot, const int32_t* ids,
                      int64_t n_used, const Tensor& out) override;
  void moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out) override;

 private:
  struct CachedActivations {
    const void* src = nullptr;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t stride = 0;
    ActFormat format = ActFormat::kF32;
    ActView view;
    uint64_t frees = 0;  // the budget's count when converted: a later free may reuse src
  };

  GpuBackend(int device, rt::Stream stream, const GpuOptions& options, int sm_count, int warp_size,
             std::shared_ptr<MemoryBudget> budget);

  // Keeps the first failure for the next synchronize().
  void record(Status status);
  bool failed() const { return error_.has_value(); }
  // Every op but matmul and rms_norm starts here: what is held back goes out first.
  bool begin_op() {
    flush_products();
    flush_producer();
    return !failed();
  }
  // Launches the products held in pending_ (hold_matmul).
  void flush_products();
  // When the held products are a prompt's gate and up through the BLAS (F16
  // weights, one GEMM writing [gate | up] a row), launches them with F16
  // sums into glu_scratch_ and returns where: the gated activation then
  // reads half the bytes. Null (nothing launched) otherwise.
  const uint16_t* gate_up_halves(const Tensor& gate, const Tensor& up);
  // Launches a held-back add, norm, gated activation or RoPE; when `consumer` is
  // its output, it also writes that in `format` for the consumer's matmul,
  // and only that when every reader of the output takes it so (read_only_by).
  void flush_producer(const Tensor* consumer = nullptr, ActFormat format = ActFormat::kF32);
  // The held RoPE and this store as one kernel, when k is its last target
  // and the cache types allow it; false (nothing done) otherwise.
  bool store_kv_with_rope(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                          const BatchView& batch);
  // The held Q, K and V matrix-vector products with the held RoPE `p` and
  // this store in their epilogue, when they are exactly what the RoPE and
  // the store read; false (nothing done) otherwise.
  struct PendingRope;
  bool products_rope_store(const PendingRope& p, const KvLayerView& kv, const KvLayout& layout, const Tensor& k,
                           const Tensor& v, const BatchView& batch);
  // Drops converted activations that overlap [data, data + bytes).
  void written(const void* data, size_t bytes);
  void written(const Tensor& t);
  // `x` in `format`, converted on the device unless it is already (or is F32 with aligned rows).
  Result<ActView> activations(const Tensor& x, ActFormat format);
  // Grows `buffer` to at least `bytes` (never while a graph is being captured).
  Status reserve_scratch(std::unique_ptr<DeviceBuffer>& buffer, size_t bytes, const char* what);
  // Waits for the stream, then reports recorded failures and kernel-raised errors.
  Status wait();
  // The attention arguments every path shares (not the key splits).
  AttentionArgs attention_args(const Tensor& q, const KvLayerView& kv, const KvLayout& layout, const BatchView& batch,
                               const AttentionParams& p, const Tensor& out) const;
  // kA16: the GEMM on F16 activations (gemm_a16.cuh).
  enum class MatmulPath { kMatvec, kGemm, kDense, kA16 };
  // has_copy: w has an F16 copy (f16_copies_).
  MatmulPath matmul_path(const WeightView& w, int64_t n_tokens, bool has_copy) const;
  // What matmul converts its input to for w (with its copy, if any) on `path`.
  ActFormat input_format(const WeightView& w, const std::optional<WeightView>& copy, MatmulPath path) const;
  // The weights read_only_by named as the only readers of a held producer's output.
  struct Readers {
    Tensor w[kMaxMatvecParts];
    int n = 0;
  };
  // Whether matmul and matmul_prompt over n_tokens rows take every reader's input in `format`.
  bool readers_take(const Readers& readers, int64_t n_tokens, ActFormat format) const;
  // The output and readers of the held norm, gated activation or prompt
  // attention (one at most is held: each flushes the others); nulls if none.
  struct HeldOutput {
    const Tensor* out = nullptr;
    Readers* readers = nullptr;
  };
  HeldOutput held_output();
  // Where held products go: the matrix-vector kernel, the GEMM on F16
  // activations, the int8 GEMM (quantised weights, default mode), or the BLAS (F16 or BF16 weights side by side in memory,
  // outputs side by side in their rows: one GEMM over them all), in the
  // batch-invariant mode with the algorithm pinned for prompt or generated
  // rows (DenseGemm::gemm_invariant). The forward pass issues a layer's
  // products over one input consecutively in every step (ForwardPass::project),
  // so whether they join never depends on the batch.
  enum class HeldKind { kMatvec, kA16, kGemm, kBlas, kPinnedPrompt, kPinnedGenerated };
  // Holds a product in pending_, joining the ones held if it can go with them.
  void hold_matmul(const WeightView& w, const Tensor& x, const Tensor& out, HeldKind kind);
  // Whether a product joins those held for the BLAS.
  bool joins_blas(const WeightView& w, const Tensor& out) const;
  void launch_a16(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens);
  // The int8 GEMM over the parts (x converted), split as for split_tokens rows (launch_gemm).
  void launch_gemm_parts(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens, int64_t split_tokens);
  // Scratch for a product split along K: the slices' partial sums, and
  // (counter_bytes > 0) the tiles' counters, zero (each launch leaves them zero).
  Status split_scratch(size_t partial_bytes, size_t counter_bytes, float*& partial, uint32_t*& counters);
  // A GEMM through the BLAS that dequantises into scratch; false when the scratch does not fit (the GEMM kernels take it then).
  bool dense_matmul(const WeightView& w, const Tensor& x, const Tensor& out);
  Status upload_weight_rows(const gguf::TensorInfo& info, std::byte* dst, size_t dst_stride);

  int device_;
  rt::Stream stream_;
  int sm_count_;
  int warp_size_;
  int max_block_smem_ = 0;  // rt::max_block_smem
  bool clusters_ = false;   // thread block clusters (rt::clusters_supported)
  bool batch_invariant_;
  int64_t decode_rows_;  // GpuOptions::decode_rows
  F16CopyMode f16_mode_;
  bool make_f16_copies_ = false;  // decided by reserve_weights
  std::shared_ptr<MemoryBudget> budget_;
  std::vector<std::unique_ptr<DeviceBuffer>> weights_;
  F16Copies f16_copies_;
  std::unique_ptr<DeviceBuffer> error_flag_;  // one uint32 (device_error.cuh)
  PinnedBuffer host_flag_;
  PinnedBuffer staging_;  // uploads go through here so copies stay asynchronous
  size_t staging_used_ = 0;
  std::unique_ptr<DeviceBuffer> act_scratch_;
  std::unique_ptr<DeviceBuffer> glu_scratch_;  // a prompt's gate and up sums in F16 (gate_up_halves)
  std::unique_ptr<DeviceBuffer> attn_scratch_;
  std::unique_ptr<DeviceBuffer> gemm_scratch_;  // partial sums of split GEMMs, the int8 and the F16 one
  std::unique_ptr<DeviceBuffer> slice_counters_;  // the split GEMMs' last-slice counters
  std::unique_ptr<DenseGemm> dense_;  // null without a BLAS
  std::unique_ptr<DeviceBuffer> dense_scratch_;
  CachedActivations cached_;
  struct PendingAdd {
    Tensor a, b, out;
  };
  struct PendingNorm {
    Tensor x;
    Tensor residual;  // data null: no add before the norm
    Tensor sum;       // where x + residual goes
    Tensor weight;
    float eps;
    Tensor out;
    Readers readers;
  };
  struct PendingGlu {
    GluKind kind;
    Tensor gate, up, out;
    Readers readers;
    // Non-null: gate's and up's values are F16 here instead (gate_up_halves),
    // each row gate's cols then up's.
    const uint16_t* halves = nullptr;
  };
  // The prompt attention on tensor cores, held so that the matmul over its
  // output may have it write that matmul's F16 input too (flush_producer).
  struct PendingAttention {
    AttentionArgs args;
    KvTypes types;
    Tensor out;
    Readers readers;
  };
  std::optional<PendingAttention> pending_attention_;
  // A producer's output (norm, gated activation, attention) of which only the converted copy
  // was written (flush_producer): reading it in any other way is an error
  // (activations()) until something writes over it.
  Tensor unwritten_;
  struct PendingRope {
    Tensor x[kMaxRopeTargets];            // Q, or Q then K
    RopeTarget targets[kMaxRopeTargets];  // the same as launch_rope takes them, each with its heads
    int n;
    const int32_t* positions;
    RopeParams params;
    std::span<const RopeTarget> held() const { return {targets, static_cast<size_t>(n)}; }
  };
  std::optional<PendingAdd> pending_add_;
  std::optional<PendingRope> pending_rope_;
  std::optional<PendingNorm> pending_norm_;
  std::optional<PendingGlu> pending_glu_;
  MatvecPart pending_[kMaxMatvecParts];
  Tensor pending_out_[kMaxMatvecParts];
  Tensor pending_x_;
  int n_pending_ = 0;
  HeldKind pending_kind_ = HeldKind::kMatvec;
  std::optional<Error> error_;
  StepGraphs graphs_;
  uint64_t graphs_frees_ = 0;
  bool capturing_ = false;
};

}  // namespace rocmforge::backend::gpu
