// Ops the GPU backend holds back for one op so that pairs fuse: a residual
// add followed by the RMS norm of its result is one kernel, an RMS norm or a
// gated activation followed by a matmul over its output also writes the
// matmul's converted input (8-bit quants, F16 or BF16), and the RoPE of Q
// and of K is one launch, together with the store of K and V into the cache
// that follows it (F32 and F16 caches) - or, after Q, K and V matrix-vector
// products of one or two tokens, the end of their launch (matvec_kernel.cuh,
// RopeStoreOut) - so decode layers skip a pass over memory and a launch
// for each pair (about 1 us a launch inside the H200's step graph,
// bench/RESULTS-gpu-runs-33-56.md run 34). The prompt attention on tensor
// cores also writes the F16 input of the matmul over its output. An output
// that only matmuls read (read_only_by) is written only in their converted format.
#include <algorithm>

#include "backend/gpu/add.cuh"
#include "backend/gpu/attention_mma.cuh"
#include "backend/gpu/glu.cuh"
#include "backend/gpu/gpu_backend_impl.cuh"
#include "backend/gpu/rms_norm.cuh"
#include "backend/gpu/rope.cuh"
#include "backend/gpu/rope_store.cuh"
#include "backend/gpu/tensor_views.cuh"

namespace rocmforge::backend::gpu {
namespace {

// Whether two RoPEs differ at most in their head counts.
bool same_rotation(const RopeParams& a, const RopeParams& b) {
  return a.head_dim == b.head_dim && a.n_rot == b.n_rot && a.neox == b.neox && a.freq_base == b.freq_base &&
         a.freq_scale == b.freq_scale && a.n_ctx_orig == b.n_ctx_orig && a.ext_factor == b.ext_factor &&
         a.attn_factor == b.attn_factor && a.beta_fast == b.beta_fast && a.beta_slow == b.beta_slow &&
         a.freq_factors == b.freq_factors;
}

}  // namespace

// Q's RoPE waits for K's, and both for the store of K and V (store_kv_with_rope),
// as do the Q, K and V products before them, which may take both in their epilogue.
void GpuBackend::rope(const Tensor& x, const int32_t* positions, const RopeParams& params) {
  if (pending_rope_ && pending_rope_->n == 1 && pending_rope_->positions == positions &&
      pending_rope_->x[0].rows == x.rows && same_rotation(pending_rope_->params, params) &&
      disjoint(pending_rope_->x[0], x)) {
    pending_rope_->x[1] = x;
    pending_rope_->targets[1] = {f32(x), floats(x), params.n_heads};
    pending_rope_->n = 2;
    written(x);
    return;
  }
  // Held products stay held (flush_producer launches them before the RoPE): only a RoPE may follow them.
  if (n_pending_ > 0 && !pending_rope_) {
    if (failed()) return;
  } else if (!begin_op()) {
    return;
  }
  pending_rope_ = PendingRope{{x, Tensor{}}, {{f32(x), floats(x), params.n_heads}, {}}, 1, positions, params};
  written(x);
}

bool GpuBackend::store_kv_with_rope(const KvLayerView& kv, const KvLayout& layout, const Tensor& k, const Tensor& v,
                                    const BatchView& batch) {
  if (!pending_rope_ || failed() || !rope_store_supports(layout)) return false;
  const PendingRope p = *pending_rope_;
  const int last = p.n - 1;
  if (!same_view(p.x[last], k) || batch.n_tokens != k.rows || p.targets[last].n_heads != layout.n_head_kv ||
      p.params.head_dim != layout.head_dim || p.params.n_rot > p.params.head_dim) {
    return false;
  }
  // The kernel reads V while it rotates the targets in place.
  for (int i = 0; i < p.n; ++i) {
    if (!disjoint(p.x[i], v)) return false;
  }
  if (products_rope_store(p, kv, layout, k, v, batch)) return true;
  pending_rope_.reset();
  if (!begin_op()) return true;  // launches the held products, if any
  record(launch_rope_store(p.held(), k.rows, p.positions, p.params, cf32(v), floats(v), batch.slots, kv, layout,
                           static_cast<uint32_t*>(error_flag_->data()), stream_));
  return true;
}

bool GpuBackend::products_rope_store(const PendingRope& p, const KvLayerView& kv, const KvLayout& layout,
                                     const Tensor& k, const Tensor& v, const BatchView& batch) {
  const RopeParams& r = p.params;
  const bool fits = n_pending_ == 3 && pending_kind_ == HeldKind::kMatvec && p.n == 2 && !r.neox && layout.types.k == layout.types.v &&
                    batch.n_tokens <= kMatvecRopeStoreTokens && pending_x_.rows == batch.n_tokens &&
                    r.head_dim % 2 == 0 && r.n_rot % 2 == 0 && same_view(pending_out_[0], p.x[0]) &&
                    same_view(pending_out_[1], k) && same_view(pending_out_[2], v) &&
                    pending_[0].w.rows == p.targets[0].n_heads * r.head_dim &&
                    pending_[1].w.rows == layout.n_head_kv * layout.head_dim &&
                    pending_[2].w.rows == layout.n_head_kv * layout.head_dim_v && pending_[2].w.rows % 2 == 0;
  if (!fits) return false;
  auto act = activations(pending_x_, act_format(pending_[0].w.type));
  n_pending_ = 0;
  pending_rope_.reset();
  if (!act) {
    record(std::move(act).error());
    return true;
  }
  MatvecRopeStore rs;
  rs.k_cache = static_cast<uint8_t*>(kv.k);
  rs.v_cache = static_cast<uint8_t*>(kv.v);
  rs.k_row_bytes = layout.k_row_bytes();
  rs.v_row_bytes = layout.v_row_bytes();
  rs.k_f16 = layout.types.k == gguf::GgmlType::kF16;
  rs.v_f16 = layout.types.v == gguf::GgmlType::kF16;
  rs.positions = p.positions;
  rs.slots = batch.slots;
  rs.n_slots = layout.slots();
  rs.head_dim = r.head_dim;
  rs.n_rot = r.n_rot;
  rs.freq_scale = r.freq_scale;
  rs.ext_factor = r.ext_factor;
  rs.k = rope_constants(r);
  rs.freq_factors = r.freq_factors;
  rs.error_flag = static_cast<uint32_t*>(error_flag_->data());
  record(launch_matvec_rope_store(std::span<const MatvecPart, 3>(pending_, 3), *act, batch.n_tokens, rs, sm_count_,
                                  stream_));
  for (int i = 0; i < 3; ++i) written(pending_out_[i]);
  return true;
}

void GpuBackend::add(const Tensor& a, const Tensor& b, const Tensor& out) {
  if (!begin_op()) return;
  if (b.rows == a.rows) {
    pending_add_ = PendingAdd{a, b, out};
    return;
  }
  record(launch_add(cf32(a), floats(a), cf32(b), 0, f32(out), floats(out), a.rows, a.cols, stream_));  // a bias row
  written(out);
}

void GpuBackend::rms_norm(const Tensor& x, const Tensor& weight, float eps, const Tensor& out) {
  flush_products();
  if (failed()) return;
  PendingNorm n{x, Tensor{}, Tensor{}, weight, eps, out};
  if (pending_add_ && same_view(pending_add_->out, x)) {
    n = {pending_add_->a, pending_add_->b, pending_add_->out, weight, eps, out};
    pending_add_.reset();
  } else {
    flush_producer();
  }
  pending_norm_ = n;
}

void GpuBackend::glu(GluKind kind, const Tensor& gate, const Tensor& up, const Tensor& out) {
  const uint16_t* halves = gate_up_halves(gate, up);
  if (!begin_op()) return;
  pending_glu_ = PendingGlu{kind, gate, up, out, {}, halves};
}

const uint16_t* GpuBackend::gate_up_halves(const Tensor& gate, const Tensor& up) {
  // Not while recording a decode step (the scratch may not grow then), nor
  // past a gated activation still held (it may read the scratch).
  if (n_pending_ == 0 || pending_kind_ != HeldKind::kBlas || failed() || capturing_ || !dense_ || pending_glu_) {
    return nullptr;
  }
  int64_t rows = 0;
  for (int i = 0; i < n_pending_; ++i) rows += pending_[i].w.rows;
  const bool fits = pending_[0].w.type == gguf::GgmlType::kF16 && gate.cols == up.cols && rows == 2 * gate.cols &&
                    gate.rows == pending_x_.rows && up.rows == gate.rows && pending_[0].out == f32(gate) &&
                    f32(up) == f32(gate) + gate.cols && floats(up) == floats(gate) &&
                    pending_[0].out_stride == floats(gate);
  if (!fits) return nullptr;
  const int n = n_pending_;
  n_pending_ = 0;
  auto act = activations(pending_x_, ActFormat::kF16);
  if (!act) {
    record(std::move(act).error());
    return nullptr;
  }
  const size_t bytes = static_cast<size_t>(gate.rows * rows) * sizeof(uint16_t);
  if (const Status s = reserve_scratch(glu_scratch_, bytes, "gate and up in F16"); !s) {
    record(s);
    return nullptr;
  }
  WeightView joined = pending_[0].w;
  for (int i = 1; i < n; ++i) joined.rows += pending_[i].w.rows;
  auto* halves = static_cast<uint16_t*>(glu_scratch_->data());
  record(dense_->gemm_f16_out(joined, *act, gate.rows, halves, rows));
  // gate's and up's F32 values stay unwritten (Backend::glu: they are its
  // inputs alone); nothing converted from them may be read again.
  written(gate);
  written(up);
  return halves;
}

GpuBackend::HeldOutput GpuBackend::held_output() {
  if (pending_norm_) return {&pending_norm_->out, &pending_norm_->readers};
  if (pending_glu_) return {&pending_glu_->out, &pending_glu_->readers};
  if (pending_attention_) return {&pending_attention_->out, &pending_attention_->readers};
  return {};
}

void GpuBackend::read_only_by(const Tensor& t, std::span<const Tensor> weights) {
  const HeldOutput held = held_output();
  // Not held (launched already, so written whole), or more readers than a producer keeps: written whole.
  if (held.out == nullptr || !same_view(*held.out, t) || weights.size() > kMaxMatvecParts) return;
  std::copy(weights.begin(), weights.end(), held.readers->w);
  held.readers->n = static_cast<int>(weights.size());
}

void GpuBackend::flush_producer(const Tensor* consumer, ActFormat format) {
  if (pending_rope_) {
    flush_products();  // held before the RoPE (rope()): they write what it rotates
    const PendingRope& p = *pending_rope_;
    record(launch_rope(p.held(), p.x[0].rows, p.positions, p.params, stream_));
    pending_rope_.reset();
  }
  const HeldOutput held = held_output();
  if (held.out == nullptr && !pending_add_) return;
  const Tensor out = held.out != nullptr ? *held.out : pending_add_->out;
  ActOut act;
  // The attention writes F16 copies only.
  if (consumer != nullptr && same_view(*consumer, out) && format != ActFormat::kF32 && !pending_add_ &&
      (!pending_attention_ || format == ActFormat::kF16)) {
    // The consumer's converted input, written by the producer into the scratch activations() reads.
    const size_t row_bytes = act_row_bytes(format, out.cols);
    const size_t q_bytes = align_row(static_cast<size_t>(out.rows) * row_bytes);
    const bool q8 = act_has_ds(format);
    const size_t ds_bytes = q8 ? static_cast<size_t>(out.rows * (out.cols / kQuantBlock)) * sizeof(float2) : 0;
    const Status reserved = reserve_scratch(act_scratch_, q_bytes + ds_bytes, "converted activations");
    if (!reserved) return record(reserved);
    auto* q = static_cast<uint8_t*>(act_scratch_->data());
    act = {format, q, q8 ? reinterpret_cast<float2*>(q + q_bytes) : nullptr, row_bytes};
  }
  // The F32 values go unwritten when the copy is all their readers take; a
  // Q8_K copy is made from them, so they are written for it.
  const bool copy_only =
      act_out_only(act.format) && held.readers != nullptr && readers_take(*held.readers, out.rows, act.format);
  if (pending_add_) {
    const PendingAdd& p = *pending_add_;
    record(launch_add(cf32(p.a), floats(p.a), cf32(p.b), floats(p.b), f32(p.out), floats(p.out), p.a.rows, p.a.cols,
                      stream_));
    written(p.out);
    pending_add_.reset();
  }
  if (pending_norm_) {
    const PendingNorm& p = *pending_norm_;
    const bool residual = p.residual.data != nullptr;
    const NormArgs args{cf32(p.x),        floats(p.x),   residual ? cf32(p.residual) : nullptr,
                        residual ? floats(p.residual) : 0, residual ? f32(p.sum) : nullptr,
                        residual ? floats(p.sum) : 0,       cf32(p.weight), p.eps,
                        p.x.rows,          p.x.cols,      copy_only ? nullptr : f32(p.out),
                        floats(p.out),     act};
    record(launch_rms_norm(args, stream_));
    if (residual) written(p.sum);
    written(p.out);
    pending_norm_.reset();
  }
  if (pending_glu_) {
    const PendingGlu& p = *pending_glu_;
    float* glu_out = copy_only ? nullptr : f32(p.out);
    if (p.halves != nullptr) {
      const int64_t stride = 2 * p.gate.cols;
      record(launch_glu_f16_in(p.kind, p.halves, stride, p.halves + p.gate.cols, stride, glu_out, floats(p.out),
                               p.gate.rows, p.gate.cols, act, stream_));
    } else {
      record(launch_glu(p.kind, cf32(p.gate), floats(p.gate), cf32(p.up), floats(p.up), glu_out, floats(p.out),
                        p.gate.rows, p.gate.cols, act, stream_));
    }
    written(p.out);
    pending_glu_.reset();
  }
  if (pending_attention_) {
    AttentionArgs a = pending_attention_->args;
    if (copy_only) a.out = nullptr;
    if (act.format == ActFormat::kF16) {
      a.out_f16 = reinterpret_cast<uint16_t*>(act.q);
      a.out_f16_stride = static_cast<int64_t>(act.q_stride / sizeof(uint16_t));
    }
    record(launch_attention_mma(a, pending_attention_->types, stream_));
    written(pending_attention_->out);
    pending_attention_.reset();
  }
  if (act.format != ActFormat::kF32) {
    cached_ = {out.data, out.rows, out.cols, out.row_stride, act.format,
               ActView{act.format, act.q, act.ds, act.q_stride}, budget_->frees()};
  }
  if (copy_only) unwritten_ = out;
}

}  // namespace rocmforge::backend::gpu
