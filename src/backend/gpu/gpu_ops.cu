// The GPU backend's ops: each checks nothing it does not need to, queues its
// kernels on the stream and records a failure for the next wait().
#include <algorithm>
#include <array>

#include "backend/gpu/attention.cuh"
#include "backend/gpu/attention_decode_mma.cuh"
#include "backend/gpu/attention_mma.cuh"
#include "backend/gpu/check.cuh"
#include "backend/gpu/embed.cuh"
#include "backend/gpu/gather_rows.cuh"
#include "backend/gpu/gemm_a16_policy.h"
#include "backend/gpu/gpu_backend_impl.cuh"
#include "backend/gpu/matmul.cuh"
#include "backend/gpu/moe_combine.cuh"
#include "backend/gpu/moe_route.cuh"
#include "backend/gpu/mul_sigmoid.cuh"
#include "backend/gpu/rope.cuh"
#include "backend/gpu/scale.cuh"
#include "backend/gpu/store_kv.cuh"
#include "backend/gpu/tensor_views.cuh"

namespace rocmforge::backend::gpu {

void GpuBackend::embed(const Tensor& table, const int32_t* ids, int64_t n, const Tensor& out) {
  if (!begin_op()) return;
  record(launch_embed(static_cast<const uint8_t*>(table.data), table.type, table.row_stride, table.rows, table.cols,
                      ids, n, f32(out), floats(out), static_cast<uint32_t*>(error_flag_->data()), stream_));
  written(out);
}

GpuBackend::MatmulPath GpuBackend::matmul_path(const WeightView& w, int64_t n_tokens, bool has_copy) const {
  const bool tensor_cores = gemm_on_tensor_cores(w);
  const bool a16 = gemm_a16_supports(w);
  // One configuration for every token count: the GEMM on F16 activations for
  // the weights it takes, where it is the fastest at the process's load (else
  // matmul() takes the F16 copies' BLAS), else the int8 tensor-core GEMM (its sums run over K in the same order
  // whatever its token tile), else the matrix-vector kernel, whose per-row
  // sums do not depend on the token count.
  if (batch_invariant_) {
    if (a16 && a16_for_invariant_rows(decode_rows_, has_copy)) return MatmulPath::kA16;
    return tensor_cores ? MatmulPath::kGemm : MatmulPath::kMatvec;
  }
  if (a16 && a16_variant_tokens(w.type).contains(n_tokens)) {
    const bool small = w.rows * w.cols <= kA16SmallWeightElements && n_tokens >= kA16SmallCopyTokens;
    return has_copy && (n_tokens > kA16CopyHandoverTokens || small) ? MatmulPath::kDense : MatmulPath::kA16;
  }
  // From gemm_min_tokens() the tensor cores win: the matvec's work grows
  // with every token, the GEMM's cost barely moves up to its 16-token tile
  // (Q4_0 gate/up 50.7 us at 8 tokens in the matvec, bench/RESULTS-gpu-runs-1-14.md run 9;
  // 5 to 8 sequences 42-46% slower on it than on the GEMM, bench/RESULTS-gpu-runs-69-86.md run 78).
  const bool gemm = n_tokens > kMatvecMaxTokens || (tensor_cores && n_tokens >= gemm_min_tokens(w.type));
  if (!gemm) return MatmulPath::kMatvec;
  if (has_copy && n_tokens >= kF16CopyMinTokens) return MatmulPath::kDense;
  return dense_ && dense_->takes(w, n_tokens) ? MatmulPath::kDense : MatmulPath::kGemm;
}

ActFormat GpuBackend::input_format(const WeightView& w, const std::optional<WeightView>& copy,
                                   MatmulPath path) const {
  // On F16 activations, as the BLAS path: a held-back producer writes them straight in that format.
  if (path == MatmulPath::kA16) return ActFormat::kF16;
  if (batch_invariant_ && copy) return dense_act_format(copy->type);
  return path == MatmulPath::kDense ? dense_act_format(w.type) : act_format(w.type);
}

bool GpuBackend::readers_take(const Readers& readers, int64_t n_tokens, ActFormat format) const {
  for (int i = 0; i < readers.n; ++i) {
    const WeightView wv = weight_view(readers.w[i], readers.w[i].rows);
    const std::optional<WeightView> copy = f16_copies_.find(wv);
    if (input_format(wv, copy, matmul_path(wv, n_tokens, copy.has_value())) != format) return false;
    if (batch_invariant_ && copy && dense_act_format(copy->type) != format) return false;  // matmul_prompt's
  }
  return readers.n > 0;
}

void GpuBackend::matmul(const Tensor& w, const Tensor& x, const Tensor& out) {
  if (x.rows == 0 || failed()) return;
  const WeightView wv = weight_view(w, w.rows);
  const std::optional<WeightView> copy = f16_copies_.find(wv);
  const MatmulPath path = matmul_path(wv, x.rows, copy.has_value());
  flush_producer(&x, input_format(wv, copy, path));
  if (path == MatmulPath::kA16) return hold_matmul(wv, x, out, HeldKind::kA16);
  // Invariant generated rows of the other quantised types read the F16 copy
  // too, with an algorithm chosen for a 64-sequence decode step (pinned_gemm.cuh).
  if (batch_invariant_ && copy) return hold_matmul(*copy, x, out, HeldKind::kPinnedGenerated);
  if (path == MatmulPath::kDense) {
    const WeightView dense_w = copy ? *copy : wv;
    if (dense_scratch_bytes(dense_w) == 0) return hold_matmul(dense_w, x, out, HeldKind::kBlas);
    if (!begin_op()) return;
    if (dense_matmul(dense_w, x, out)) return;
  }
  if (path != MatmulPath::kMatvec) {
    // The default mode joins quantised products over one input (Q, K and V; gate and up) in one launch.
    if (!batch_invariant_ && block_regions(w.type).qs != 0) return hold_matmul(wv, x, out, HeldKind::kGemm);
    if (!begin_op()) return;
    auto act = activations(x, act_format(w.type));
    if (!act) return record(std::move(act).error());
    // The invariant mode's splits are the weight's own, not the step's.
    launch_gemm_parts(std::span<const MatvecPart>(std::array{MatvecPart{wv, f32(out), floats(out)}}), *act, x.rows,
                      batch_invariant_ ? 1 : x.rows);
    written(out);
    return;
  }
  if (x.rows > kMatvecMaxTokens) {  // batch-invariant without tensor cores
    if (!begin_op()) return;
    auto act = activations(x, act_format(w.type));
    if (!act) return record(std::move(act).error());
    record(launch_matvec_chunks({wv, f32(out), floats(out)}, *act, x.rows, stream_));
    written(out);
    return;
  }
  hold_matmul(wv, x, out, HeldKind::kMatvec);
}

// Matrix-vector products and GEMMs on F16 activations wait in pending_ so
// that those over the same input (Q, K and V; gate and up) go out as one
// launch; BLAS products join when one GEMM can cover them (joins_blas). The
// next other op flushes them.
void GpuBackend::hold_matmul(const WeightView& w, const Tensor& x, const Tensor& out, HeldKind kind) {
  if (failed()) return;
  bool joins = n_pending_ > 0 && n_pending_ < kMaxMatvecParts && pending_kind_ == kind && same_view(pending_x_, x) &&
               pending_[0].w.type == w.type && pending_[0].w.cols == w.cols && !overlap(out, x);
  for (int i = 0; joins && i < n_pending_; ++i) joins = disjoint(out, pending_out_[i]);
  if (joins && kind != HeldKind::kMatvec && kind != HeldKind::kA16 && kind != HeldKind::kGemm) {
    joins = joins_blas(w, out);
  }
  if (!joins) flush_products();
  if (n_pending_ == 0) {
    pending_x_ = x;
    pending_kind_ = kind;
  }
  pending_[n_pending_] = {w, f32(out), floats(out)};
  pending_out_[n_pending_++] = out;
}

// The weight's rows follow the last held one's in memory (load_weight_group)
// and its outputs the last one's in each row: the joined weight's product
// writes every output where it belongs.
bool GpuBackend::joins_blas(const WeightView& w, const Tensor& out) const {
  const MatvecPart& last = pending_[n_pending_ - 1];
  return w.stride == last.w.stride && w.data == last.w.data + static_cast<size_t>(last.w.rows) * last.w.stride &&
         out.cols == w.rows && f32(out) == last.out + last.w.rows && floats(out) == last.out_stride;
}

void GpuBackend::launch_a16(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens) {
  A16Args args{{}, static_cast<int>(parts.size()), x, n_tokens};
  std::copy(parts.begin(), parts.end(), args.parts);
  args.splits = a16_splits(args, sm_count_);
  if (args.splits > 1) {
    const Status s = split_scratch(a16_partial_bytes(args, args.splits), a16_counter_bytes(args), args.partial,
                                   args.counters);
    if (!s) return record(s);
  }
  record(launch_gemm_a16(args, stream_));
}

void GpuBackend::launch_gemm_parts(std::span<const MatvecPart> parts, const ActView& x, int64_t n_tokens,
                                   int64_t split_tokens) {
  GemmArgs args{{}, static_cast<int>(parts.size()), x, n_tokens};
  std::copy(parts.begin(), parts.end(), args.parts);
  args.splits = gemm_splits(args, split_tokens, sm_count_);
  args.rotate = !batch_invariant_;
  if (args.splits > 1) {
    const Status s = split_scratch(gemm_partial_bytes(args, args.splits), gemm_counter_bytes(args), args.partial,
                                   args.counters);
    if (!s) return record(s);
  }
  record(launch_gemm(args, stream_));
}

Status GpuBackend::split_scratch(size_t partial_bytes, size_t counter_bytes, float*& partial, uint32_t*& counters) {
  RF_TRY(reserve_scratch(gemm_scratch_, partial_bytes, "GEMM partial sums"));
  partial = static_cast<float*>(gemm_scratch_->data());
  if (counter_bytes == 0) return ok();
  if (!slice_counters_ || slice_counters_->size() < counter_bytes) {
    RF_TRY(reserve_scratch(slice_counters_, counter_bytes, "GEMM slice counters"));
    RF_TRY(RF_GPU_CHECK(rt::memset_device(slice_counters_->data(), 0, slice_counters_->size(), stream_)));
  }
  counters = static_cast<uint32_t*>(slice_counters_->data());
  return ok();
}

void GpuBackend::matmul_prompt(const Tensor& w, const Tensor& x, const Tensor& out) {
  const std::optional<WeightView> copy = batch_invariant_ ? f16_copies_.find(weight_view(w, w.rows)) : std::nullopt;
  if (!copy || x.rows == 0 || failed()) return matmul(w, x, out);
  flush_producer(&x, dense_act_format(copy->type));
  hold_matmul(*copy, x, out, HeldKind::kPinnedPrompt);
}

bool GpuBackend::dense_matmul(const WeightView& w, const Tensor& x, const Tensor& out) {
  const size_t scratch = dense_scratch_bytes(w);
  if (scratch > 0 && !reserve_scratch(dense_scratch_, scratch, "dequantised weights")) return false;
  auto act = activations(x, dense_act_format(w.type));
  if (!act) {
    record(std::move(act).error());
    return true;
  }
  record(dense_->gemm(w, *act, x.rows, f32(out), floats(out), scratch > 0 ? dense_scratch_->data() : nullptr));
  written(out);
  return true;
}

void GpuBackend::flush_products() {
  if (n_pending_ == 0) return;
  const int n = n_pending_;
  n_pending_ = 0;
  if (failed()) return;
  const ActFormat format = pending_kind_ == HeldKind::kMatvec || pending_kind_ == HeldKind::kGemm
                               ? act_format(pending_[0].w.type)
                           : pending_kind_ == HeldKind::kA16   ? ActFormat::kF16
                                                                 : dense_act_format(pending_[0].w.type);
  const std::span<const MatvecPart> parts(pending_, static_cast<size_t>(n));
  auto act = activations(pending_x_, format);
  if (!act) return record(std::move(act).error());
  // The BLAS kinds' weights follow each other (joins_blas): one weight of all their rows.
  auto joined = [&] {
    WeightView w = parts[0].w;
    for (int i = 1; i < n; ++i) w.rows += parts[static_cast<size_t>(i)].w.rows;
    return w;
  };
  if (pending_kind_ == HeldKind::kA16) {
    launch_a16(parts, *act, pending_x_.rows);
  } else if (pending_kind_ == HeldKind::kGemm) {
    launch_gemm_parts(parts, *act, pending_x_.rows, pending_x_.rows);
  } else if (pending_kind_ == HeldKind::kBlas) {
    record(dense_->gemm(joined(), *act, pending_x_.rows, parts[0].out, parts[0].out_stride, nullptr));
  } else if (pending_kind_ != HeldKind::kMatvec) {
    const RowKind rows = pending_kind_ == HeldKind::kPinnedPrompt ? RowKind::kPrompt : RowKind::kGenerated;
    record(dense_->gemm_invariant(joined(), *act, pending_x_.rows, parts[0].out, parts[0].out_stride, rows));
  } else {
    record(launch_matvec(parts, *act, pending_x_.rows, stream_));
  }
  for (int i = 0; i < n; ++i) written(pending_out_[i]);
}

void GpuBackend::scale(const Tensor& x, float s) {
  if (!begin_op()) return;
  record(launch_scale(f32(x), floats(x), x.rows, x.cols, s, stream_));
  written(x);
}

void GpuBackend::softcap(const Tensor& x, float cap) {
  if (!begin_op()) return;
  record(launch_softcap(f32(x), floats(x), x.rows, x.cols, cap, stream_));
  written(x);
}

void GpuBackend::mul_sigmoid(const Tensor& x, const Tensor& g) {
  if (!begin_op()) return;
  record(launch_mul_sigmoid(f32(x), floats(x), cf32(g), floats(g), x.rows, x.cols, stream_));
  written(x);
}

void GpuBackend::store_kv(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                          const BatchView& batch) {
  if (store_kv_with_rope(kv, layout, k, v, batch)) return;
  if (!begin_op()) return;
  record(launch_store_kv(cf32(k), floats(k), cf32(v), floats(v), batch.n_tokens, batch.slots, kv, layout,
                         static_cast<uint32_t*>(error_flag_->data()), stream_));
}

void GpuBackend::copy_blocks(const KvLayerView& kv, const KvLayout& layout, std::span<const BlockCopy> copies) {
  if (!begin_op()) return;
  const size_t k_block = static_cast<size_t>(layout.block_size) * layout.k_row_bytes();
  const size_t v_block = static_cast<size_t>(layout.block_size) * layout.v_row_bytes();
  for (const BlockCopy& c : copies) {
    if (c.src < 0 || c.dst < 0 || c.src >= layout.n_blocks || c.dst >= layout.n_blocks) {
      return record(RF_ERROR(kInternal, "block copy {} -> {} outside the pool of {}", c.src, c.dst, layout.n_blocks));
    }
    auto* k = static_cast<std::byte*>(kv.k);
    auto* v = static_cast<std::byte*>(kv.v);
    record(RF_GPU_CHECK(rt::copy_on_device(k + static_cast<size_t>(c.dst) * k_block,
                                           k + static_cast<size_t>(c.src) * k_block, k_block, stream_)));
    record(RF_GPU_CHECK(rt::copy_on_device(v + static_cast<size_t>(c.dst) * v_block,
                                           v + static_cast<size_t>(c.src) * v_block, v_block, stream_)));
  }
}

AttentionArgs GpuBackend::attention_args(const Tensor& q, const KvLayerView& kv, const KvLayout& layout,
                                         const BatchView& batch, const AttentionParams& p, const Tensor& out) const {
  AttentionArgs a;
  a.q = cf32(q);
  a.q_stride = floats(q);
  a.k_cache = kv.k;
  a.v_cache = kv.v;
  a.k_row_bytes = layout.k_row_bytes();
  a.v_row_bytes = layout.v_row_bytes();
  a.positions = batch.positions;
  a.token_seq = batch.token_seq;
  a.block_tables = batch.block_tables;
  a.max_blocks = batch.max_blocks;
  a.block_size = static_cast<int32_t>(layout.block_size);
  a.n_blocks = layout.n_blocks;
  a.n_tokens = batch.n_tokens;
  a.n_head = static_cast<int32_t>(p.n_head);
  a.n_head_kv = static_cast<int32_t>(p.n_head_kv);
  a.head_dim = static_cast<int32_t>(p.head_dim);
  a.head_dim_v = static_cast<int32_t>(p.head_dim_v);
  const int64_t gqa = p.n_head / p.n_head_kv;
  a.head_groups = static_cast<int32_t>((gqa + kAttnHeads - 1) / kAttnHeads);
  // With soft-capping the scores are tanh(q.k * scale / cap) * cap, as the CPU computes them.
  a.scale = p.softcap != 0.0f ? p.scale / p.softcap : p.scale;
  a.softcap = p.softcap;
  a.window = p.window;
  a.out = f32(out);
  a.out_stride = floats(out);
  a.error_flag = static_cast<uint32_t*>(error_flag_->data());
  return a;
}

void GpuBackend::attention(const Tensor& q, const KvLayerView& kv, const KvLayout& layout, const BatchView& batch,
                           const AttentionParams& p, const Tensor& out) {
  if (!begin_op() || batch.n_tokens == 0) return;
  // The batch-invariant mode's prompt rows (matmul_prompt) attend on the
  // tensor cores whatever their count, the generated rows below.
  const int32_t g = batch.n_generated;
  if (batch_invariant_ && g < batch.n_tokens && prompt_rows_differ()) {
    BatchView prompt = batch;
    prompt.positions += g;
    prompt.token_seq += g;
    prompt.n_tokens -= g;
    prompt.n_generated = 0;
    const AttentionArgs a =
        attention_args(q.slice_rows(g, prompt.n_tokens), kv, layout, prompt, p, out.slice_rows(g, prompt.n_tokens));
    if (attention_mma_supports(a, layout.types, warp_size_)) {
      if (g > 0) {
        BatchView generated = batch;
        generated.n_tokens = g;
        attention(q.slice_rows(0, g), kv, layout, generated, p, out.slice_rows(0, g));
      }
      record(launch_attention_mma(a, layout.types, stream_));
      written(out);
      return;
    }
  }
  AttentionArgs a = attention_args(q, kv, layout, batch, p, out);
  const int64_t max_keys = static_cast<int64_t>(batch.max_blocks) * layout.block_size;
  // n even splits of max_keys.
  auto split = [&](int32_t n) {
    a.n_splits = n;
    a.keys_per_split = n == 1 ? INT32_MAX : static_cast<int32_t>((max_keys + n - 1) / n);
  };
  if (batch_invariant_) {
    // Each row split by its own keys, and one kernel for prompt and decode rows alike.
    a.n_splits = attention_row_splits(max_keys);
    a.keys_per_split = 0;
  } else {
    split(attention_splits(batch.n_tokens, p.n_head_kv, a.head_groups, max_keys, sm_count_));
  }
  if (!batch_invariant_ && attention_mma_fits(a, layout.types, batch.n_seqs, warp_size_)) {
    pending_attention_ = PendingAttention{a, layout.types, out, {}};  // launched by flush_producer
    return;
  }
  // The batch-invariant mode keeps each row's own splits: a block's sums
  // depend on its row and split alone in this kernel as in the split-K one.
  const bool decode_mma = attention_decode_mma_fits(a, layout.types, warp_size_);
  if (decode_mma && !batch_invariant_) {  // one block takes all of a KV head's query heads
    const DecodeMmaPlan plan =
        plan_attention_decode_mma(batch.n_tokens, p.n_head_kv, p.head_dim, max_keys,
                                  {sm_count_, max_block_smem_, clusters_});
    a.decode_wide = plan.wide;
    a.cluster = plan.cluster;
    split(plan.n_splits);
  }
  const int64_t partial =
      a.cluster ? 0 : attention_partial_floats(batch.n_tokens, p.n_head, a.n_splits, p.head_dim_v);
  if (partial > 0) {
    const Status reserved = reserve_scratch(attn_scratch_, static_cast<size_t>(partial) * sizeof(float),
                                            "attention partial sums");
    if (!reserved) return record(reserved);
    const int64_t parts = static_cast<int64_t>(batch.n_tokens) * p.n_head * a.n_splits;
    a.part_ms = static_cast<float2*>(attn_scratch_->data());
    a.part_acc = reinterpret_cast<float*>(a.part_ms + parts);
  }
  record(decode_mma ? launch_attention_decode_mma(a, layout.types, stream_)
                    : launch_attention(a, layout.types, warp_size_, stream_));
  written(out);
}

void GpuBackend::gather_rows(const Tensor& x, const int32_t* rows, int64_t n, const Tensor& out) {
  if (!begin_op()) return;
  record(launch_gather_rows(cf32(x), floats(x), x.rows, rows, n, x.cols, f32(out), floats(out),
                            static_cast<uint32_t*>(error_flag_->data()), stream_));
  written(out);
}

void GpuBackend::moe_route(const Tensor& logits, const MoeRouting& routing, int32_t* ids, const Tensor& weights) {
  if (!begin_op()) return;
  record(launch_moe_route(cf32(logits), floats(logits), logits.rows, routing, ids, f32(weights), floats(weights),
                          stream_));
  written(ids, static_cast<size_t>(logits.rows * routing.n_used) * sizeof(int32_t));
  written(weights);
}

void GpuBackend::matmul_experts(const Tensor& w, int64_t n_expert, const Tensor& x, bool x_per_slot,
                                const int32_t* ids, int64_t n_used, const Tensor& out) {
  if (!begin_op() || out.rows == 0) return;
  const WeightView wv = weight_view(w, w.rows / n_expert);
  auto act = activations(x, act_format(w.type));
  if (!act) return record(std::move(act).error());
  const ExpertSelect experts{ids, n_expert, out.rows, x_per_slot ? 1 : n_used,
                             static_cast<uint32_t*>(error_flag_->data())};
  const MatvecPart part{wv, f32(out), floats(out)};
  record(launch_matvec(std::span<const MatvecPart>(&part, 1), *act, 1, stream_, experts));
  written(out);
}

void GpuBackend::moe_combine(const Tensor& expert_out, const Tensor& weights, int64_t n_used, const Tensor& out) {
  if (!begin_op()) return;
  record(launch_moe_combine(cf32(expert_out), floats(expert_out), cf32(weights), floats(weights), n_used, f32(out),
                            floats(out), out.rows, out.cols, stream_));
  written(out);
}

}  // namespace rocmforge::backend::gpu
