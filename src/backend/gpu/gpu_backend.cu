// The GPU backend's memory, weights, copies and waiting (the ops are in gpu_ops.cu).
#include <algorithm>
#include <cstring>

#include "backend/gpu/attention_decode_mma.cuh"
#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/gpu_backend_impl.cuh"
#include "backend/gpu/tensor_views.cuh"
#include "backend/gpu/weight_repack.h"
#include "core/checked_math.h"

namespace rocmforge::backend::gpu {
namespace {

constexpr size_t kStagingBytes = size_t{64} << 20;  // pinned memory for uploads, two halves for weights
constexpr size_t kScratchGranule = size_t{1} << 20;

// Destroys an event on every path out of the weight upload.
class EventPair {
 public:
  Status create() {
    for (rt::Event& e : events_) RF_TRY(RF_GPU_CHECK(rt::event_create(&e)));
    return ok();
  }
  ~EventPair() {
    for (rt::Event e : events_) {
      if (e != nullptr) static_cast<void>(rt::event_destroy(e));
    }
  }
  rt::Event& operator[](size_t i) { return events_[i]; }

 private:
  rt::Event events_[2] = {nullptr, nullptr};
};

}  // namespace

bool built_with_gpu() { return true; }

int device_count() {
  int n = 0;
  // No driver or no device both mean: no GPU to use.
  return rt::device_count(&n) == rt::kSuccess ? n : 0;
}

Result<std::unique_ptr<Backend>> create_backend(const GpuOptions& options) {
  return std::unique_ptr<Backend>(RF_TRY(GpuBackend::create(options)));
}

Result<std::unique_ptr<GpuBackend>> GpuBackend::create(const GpuOptions& o) {
  if (!(o.mem_fraction > 0.0 && o.mem_fraction <= 1.0)) {
    return RF_ERROR(kInvalidArgument, "--gpu-mem-fraction must be in (0, 1], got {}", o.mem_fraction);
  }
  int n = 0;
  RF_TRY(RF_GPU_CHECK(rt::device_count(&n)));
  if (o.device < 0 || o.device >= n) return RF_ERROR(kNotFound, "GPU {} was asked for; {} found", o.device, n);
  RF_TRY(RF_GPU_CHECK(rt::set_device(o.device)));
  int sm_count = 0;
  int warp_size = 0;
  RF_TRY(RF_GPU_CHECK(rt::sm_count(o.device, &sm_count)));
  RF_TRY(RF_GPU_CHECK(rt::warp_size(o.device, &warp_size)));
  int max_block_smem = 0;
  RF_TRY(RF_GPU_CHECK(rt::max_block_smem(o.device, &max_block_smem)));
  size_t free_bytes = 0;
  size_t total_bytes = 0;
  RF_TRY(RF_GPU_CHECK(rt::mem_get_info(&free_bytes, &total_bytes)));
  auto budget = std::make_shared<MemoryBudget>(static_cast<size_t>(static_cast<double>(free_bytes) * o.mem_fraction));
  rt::Stream stream = nullptr;
  RF_TRY(RF_GPU_CHECK(rt::stream_create(&stream)));
  std::unique_ptr<GpuBackend> b(new GpuBackend(o.device, stream, o, sm_count, warp_size, std::move(budget)));
  b->max_block_smem_ = max_block_smem;
  RF_TRY(RF_GPU_CHECK(rt::clusters_supported(o.device, &b->clusters_)));
  if (b->clusters_) b->clusters_ = RF_TRY(attention_decode_mma_clusters_fit(max_block_smem));
  b->error_flag_ = RF_TRY(DeviceBuffer::create(b->budget_, sizeof(uint32_t), "the device error flag"));
  b->dense_ = RF_TRY(make_dense_gemm(stream, b->budget_));
  RF_TRY(RF_GPU_CHECK(rt::memset_device(b->error_flag_->data(), 0, sizeof(uint32_t), stream)));
  b->host_flag_ = RF_TRY(PinnedBuffer::create(sizeof(uint32_t)));
  b->staging_ = RF_TRY(PinnedBuffer::create(kStagingBytes));
  RF_TRY(b->wait());
  return std::move(b);  // nvcc does not apply the implicit move into Result
}

GpuBackend::GpuBackend(int device, rt::Stream stream, const GpuOptions& options, int sm_count, int warp_size,
                       std::shared_ptr<MemoryBudget> budget)
    : device_(device),
      stream_(stream),
      sm_count_(sm_count),
      warp_size_(warp_size),
      batch_invariant_(options.batch_invariant),
      decode_rows_(options.decode_rows),
      f16_mode_(options.f16_copies),
      budget_(std::move(budget)) {}

GpuBackend::~GpuBackend() {
  // Queued work must finish before its buffers go; a failure here has no caller left to tell.
  static_cast<void>(rt::stream_sync(stream_));
  static_cast<void>(rt::stream_destroy(stream_));
}

void GpuBackend::record(Status status) {
  if (!status && !error_) error_ = std::move(status).error();
}

void GpuBackend::written(const void* data, size_t bytes) {
  const auto* lo = static_cast<const std::byte*>(data);
  auto hits = [&](const void* p, size_t n) {
    const auto* p_lo = static_cast<const std::byte*>(p);
    return p_lo != nullptr && lo < p_lo + n && p_lo < lo + bytes;
  };
  if (hits(cached_.src, static_cast<size_t>(cached_.rows) * cached_.stride)) cached_ = {};
  if (hits(unwritten_.data, static_cast<size_t>(unwritten_.rows) * unwritten_.row_stride)) unwritten_ = {};
}

void GpuBackend::written(const Tensor& t) { written(t.data, static_cast<size_t>(t.rows) * t.row_stride); }

Status GpuBackend::reserve_scratch(std::unique_ptr<DeviceBuffer>& buffer, size_t bytes, const char* what) {
  if (buffer && buffer->size() >= bytes) return ok();
  if (capturing_) return RF_ERROR(kInternal, "{} would grow to {} bytes during a graph capture", what, bytes);
  RF_TRY(RF_GPU_CHECK(rt::stream_sync(stream_)));  // queued kernels may still read the old buffer
  if (buffer.get() == act_scratch_.get()) cached_ = {};
  buffer.reset();
  const size_t want = (std::max(bytes, size_t{1}) + kScratchGranule - 1) / kScratchGranule * kScratchGranule;
  buffer = RF_TRY(DeviceBuffer::create(budget_, want, what));
  return ok();
}

Result<ActView> GpuBackend::activations(const Tensor& x, ActFormat format) {
  if (cached_.src == x.data && cached_.rows == x.rows && cached_.cols == x.cols && cached_.stride == x.row_stride &&
      cached_.format == format && cached_.frees == budget_->frees()) {
    return cached_.view;
  }
  if (unwritten_.data != nullptr && !disjoint(x, unwritten_)) {
    return RF_ERROR(kInternal, "a matmul reads {} x {} activations of which only another matmul's input was written",
                    x.rows, x.cols);
  }
  const bool aligned = x.row_stride % kRowAlign == 0 && reinterpret_cast<uintptr_t>(x.data) % kRowAlign == 0;
  if (format == ActFormat::kF32 && aligned) {
    return ActView{ActFormat::kF32, static_cast<const uint8_t*>(x.data), nullptr, x.row_stride};
  }
  const bool q8 = act_has_ds(format);
  const size_t row_bytes = act_row_bytes(format, x.cols);
  const size_t q_bytes = align_row(static_cast<size_t>(x.rows) * row_bytes);
  const size_t ds_bytes = q8 ? static_cast<size_t>(x.rows * (x.cols / kQuantBlock)) * sizeof(float2) : 0;
  RF_TRY(reserve_scratch(act_scratch_, q_bytes + ds_bytes, "converted activations"));
  auto* q = static_cast<uint8_t*>(act_scratch_->data());
  auto* ds = q8 ? reinterpret_cast<float2*>(q + q_bytes) : nullptr;
  RF_TRY(launch_act_quant(format, static_cast<const float*>(x.data), static_cast<int64_t>(x.row_stride / sizeof(float)),
                          x.rows, x.cols, q, ds, stream_));
  cached_ = {x.data, x.rows, x.cols, x.row_stride, format, ActView{format, q, ds, row_bytes}, budget_->frees()};
  return cached_.view;
}

Result<std::unique_ptr<Buffer>> GpuBackend::allocate(size_t bytes) {
  RF_TRY(RF_GPU_CHECK(rt::set_device(device_)));
  return std::unique_ptr<Buffer>(RF_TRY(DeviceBuffer::create(budget_, bytes, "an activation or cache buffer")));
}

Result<std::unique_ptr<Buffer>> GpuBackend::allocate_host(size_t bytes) {
  return std::unique_ptr<Buffer>(new PinnedHostBuffer(RF_TRY(PinnedBuffer::create(bytes))));
}

Result<Tensor> GpuBackend::load_weight(const gguf::TensorInfo& info) {
  const gguf::TensorInfo* const one[] = {&info};
  return std::move(RF_TRY(load_weight_group(one)).front());
}

// Weights of one type and width share an allocation, rows after rows, as do
// their F16 copies: a product over them all is then one GEMM (hold_matmul).
Result<std::vector<Tensor>> GpuBackend::load_weight_group(std::span<const gguf::TensorInfo* const> infos) {
  if (infos.empty()) return std::vector<Tensor>{};
  const gguf::TensorInfo& first = *infos.front();
  uint64_t rows = 0;
  for (const gguf::TensorInfo* info : infos) {
    if (!weight_type_supported(info->type)) {
      return RF_ERROR(kUnsupported, "tensor '{}': the GPU backend has no kernels for {} weights", info->name,
                      gguf::ggml_type_name(info->type));
    }
    if (info->type != first.type || info->ne[0] != first.ne[0]) return Backend::load_weight_group(infos);
    const auto sum = core::checked_add(rows, static_cast<uint64_t>(info->n_rows()));
    if (!sum) return RF_ERROR(kInvalidArgument, "tensor '{}' is too large", info->name);
    rows = *sum;
  }
  RF_TRY(RF_GPU_CHECK(rt::set_device(device_)));
  const int64_t cols = first.ne[0];
  const size_t stride = device_row_bytes(first.type, cols);
  const auto bytes = core::checked_mul(static_cast<uint64_t>(stride), rows);
  if (!bytes) return RF_ERROR(kInvalidArgument, "tensor '{}' is too large", first.name);
  auto buffer = RF_TRY(DeviceBuffer::create(budget_, *bytes, "the weights"));
  std::vector<Tensor> out;
  auto* at = static_cast<std::byte*>(buffer->data());
  for (const gguf::TensorInfo* info : infos) {
    RF_TRY(upload_weight_rows(*info, at, stride));
    out.push_back(Tensor{at, info->type, info->n_rows(), cols, stride});
    at += static_cast<size_t>(info->n_rows()) * stride;
  }
  weights_.push_back(std::move(buffer));
  const auto wanted = [this](const gguf::TensorInfo* info) { return F16Copies::wants(*info, *dense_); };
  if (!make_f16_copies_ || !std::all_of(infos.begin(), infos.end(), wanted)) return out;
  auto copies = RF_TRY(DeviceBuffer::create(budget_, F16Copies::bytes(rows, cols), "the weights' F16 copies"));
  auto* copy = static_cast<uint16_t*>(copies->data());
  for (const Tensor& t : out) {
    // Queued behind the upload; the next weight's upload (or the first step) waits for it.
    RF_TRY(dense_->dequantise(weight_view(t, t.rows), copy));
    f16_copies_.add(t.data, copy);
    copy += static_cast<size_t>(t.rows * cols);
  }
  f16_copies_.keep(std::move(copies));
  return out;
}

// Rows go through the two halves of the staging buffer in turn: while one
// half's copy runs, the next rows are repacked into the other.
Status GpuBackend::upload_weight_rows(const gguf::TensorInfo& info, std::byte* dst, size_t dst_stride) {
  RF_TRY(wait());
  const int64_t cols = info.ne[0];
  const int64_t rows = info.n_rows();
  const size_t src_stride = gguf::ggml_row_size(info.type, cols);
  if (staging_.size() < 2 * dst_stride) staging_ = RF_TRY(PinnedBuffer::create(2 * dst_stride));
  const size_t half = staging_.size() / 2;
  const int64_t chunk = static_cast<int64_t>(half / dst_stride);
  EventPair done;
  RF_TRY(done.create());
  for (int64_t r = 0, i = 0; r < rows; r += chunk, ++i) {
    const int64_t n = std::min(chunk, rows - r);
    std::byte* stage = staging_.data() + static_cast<size_t>(i % 2) * half;
    if (i >= 2) RF_TRY(RF_GPU_CHECK(rt::event_sync(done[static_cast<size_t>(i % 2)])));
    repack_rows(info.type, info.data + static_cast<size_t>(r) * src_stride, src_stride, stage, dst_stride, n, cols);
    RF_TRY(RF_GPU_CHECK(
        rt::copy_to_device(dst + static_cast<size_t>(r) * dst_stride, stage, static_cast<size_t>(n) * dst_stride, stream_)));
    RF_TRY(RF_GPU_CHECK(rt::event_record(done[static_cast<size_t>(i % 2)], stream_)));
  }
  return wait();
}

void GpuBackend::upload(void* dst, const void* src, size_t bytes) {
  begin_op();  // held-back ops read memory this may overwrite
  if (bytes == 0) return;
  if (!budget_->contains(dst, bytes)) {
    return record(RF_ERROR(kInternal, "an upload of {} bytes does not fit in any device allocation", bytes));
  }
  if (capturing_) return record(RF_ERROR(kInternal, "an upload was queued during a graph capture"));
  written(dst, bytes);
  const auto* from = static_cast<const std::byte*>(src);
  auto* to = static_cast<std::byte*>(dst);
  while (bytes > 0) {
    if (staging_used_ == staging_.size()) {
      record(RF_GPU_CHECK(rt::stream_sync(stream_)));  // every staged copy has landed
      staging_used_ = 0;
    }
    const size_t n = std::min(bytes, staging_.size() - staging_used_);
    std::memcpy(staging_.data() + staging_used_, from, n);
    record(RF_GPU_CHECK(rt::copy_to_device(to, staging_.data() + staging_used_, n, stream_)));
    staging_used_ = std::min(staging_.size(), align_row(staging_used_ + n));
    from += n;
    to += n;
    bytes -= n;
  }
}

Status GpuBackend::download(void* dst, const void* src, size_t bytes) {
  begin_op();
  if (!budget_->contains(src, bytes)) {
    return RF_ERROR(kInternal, "a download of {} bytes does not fit in any device allocation", bytes);
  }
  if (!failed()) record(RF_GPU_CHECK(rt::copy_to_host(dst, src, bytes, stream_)));
  return wait();
}

Status GpuBackend::synchronize() { return wait(); }

Status GpuBackend::reserve_weights(std::span<const gguf::TensorInfo> tensors) {
  uint64_t total = 0;
  uint64_t copies = 0;
  for (const gguf::TensorInfo& t : tensors) {
    const auto bytes = core::checked_mul(static_cast<uint64_t>(device_row_bytes(t.type, t.ne[0])),
                                         static_cast<uint64_t>(t.n_rows()));
    const auto sum = bytes ? core::checked_add(total, *bytes) : std::nullopt;
    if (!sum) return RF_ERROR(kInvalidArgument, "the model's tensors are too large");
    total = *sum;
    if (dense_ && F16Copies::wants(t, *dense_)) copies += F16Copies::bytes(static_cast<uint64_t>(t.n_rows()), t.ne[0]);
  }
  RF_TRY(budget_->reserve(total, "the model's weights"));
  make_f16_copies_ = false;
  if (f16_mode_ == F16CopyMode::kOff || copies == 0) return ok();
  if (f16_mode_ == F16CopyMode::kOn) {
    RF_TRY(budget_->reserve(total + copies, "the model's weights and their F16 copies"));
    make_f16_copies_ = true;
    return ok();
  }
  // kAuto: with at least half the budget left for the KV cache.
  make_f16_copies_ = 2 * (total + copies) <= budget_->available();
  return ok();
}

// Converted activations are dropped before and after a step: a recorded step
// must convert everything itself, since a replay cannot know what the cache held.
Status GpuBackend::run_step(uint64_t shape, const std::function<void()>& queue_ops) {
  cached_ = {};
  unwritten_ = {};
  if (budget_->frees() != graphs_frees_) {  // a recorded step may point into freed memory
    graphs_.clear();
    graphs_frees_ = budget_->frees();
  }
  auto take_error = [this]() -> Status {
    if (!error_) return ok();
    Error e = std::move(*error_);
    error_.reset();
    return e;
  };
  auto queue_all = [&] {
    queue_ops();
    begin_op();  // held-back ops go out inside the recording
  };
  if (shape == 0 || failed()) {
    queue_all();
    cached_ = {};
    return ok();
  }
  Status s = graphs_.run(shape, stream_, queue_all, capturing_, take_error);
  cached_ = {};
  return s;
}

Status GpuBackend::wait() {
  begin_op();
  if (capturing_) return RF_ERROR(kInternal, "a wait for the device during a graph capture");
  record(RF_GPU_CHECK(rt::set_device(device_)));
  record(RF_GPU_CHECK(rt::copy_to_host(host_flag_.data(), error_flag_->data(), sizeof(uint32_t), stream_)));
  record(RF_GPU_CHECK(rt::stream_sync(stream_)));
  staging_used_ = 0;
  if (error_) {
    Error e = std::move(*error_);
    error_.reset();
    return e;
  }
  uint32_t flag = 0;
  std::memcpy(&flag, host_flag_.data(), sizeof(flag));
  if (flag == 0) return ok();
  RF_TRY(RF_GPU_CHECK(rt::memset_device(error_flag_->data(), 0, sizeof(uint32_t), stream_)));
  RF_TRY(RF_GPU_CHECK(rt::stream_sync(stream_)));
  return RF_ERROR(kInvalidArgument, "a GPU kernel found bad input: {}", device_error_text(static_cast<DeviceError>(flag)));
}

}  // namespace rocmforge::backend::gpu
