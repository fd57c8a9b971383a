#include "backend/gpu/device_memory.cuh"

#include <utility>

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {

Status MemoryBudget::reserve(size_t bytes, const char* what) const {
  if (bytes <= available()) return ok();
  return RF_ERROR(kOutOfMemory,
                  "{} needs {} bytes of device memory but {} are available ({} of the {}-byte budget in use; "
                  "--gpu-mem-fraction sets the budget)",
                  what, bytes, available(), used_, limit_);
}

void MemoryBudget::add(const void* base, size_t bytes) {
  used_ += bytes;
  live_[reinterpret_cast<uintptr_t>(base)] = bytes;
}

void MemoryBudget::remove(const void* base, size_t bytes) {
  used_ -= bytes;
  ++frees_;
  live_.erase(reinterpret_cast<uintptr_t>(base));
}

bool MemoryBudget::contains(const void* p, size_t bytes) const {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  auto it = live_.upper_bound(addr);
  if (it == live_.begin()) return false;
  --it;
  return addr - it->first <= it->second && bytes <= it->second - (addr - it->first);
}

Result<std::unique_ptr<DeviceBuffer>> DeviceBuffer::create(std::shared_ptr<MemoryBudget> budget, size_t bytes,
                                                           const char* what) {
  RF_TRY(budget->reserve(bytes, what));
  void* data = nullptr;
  if (bytes > 0) RF_TRY(RF_GPU_CHECK(rt::malloc_device(&data, bytes)));
  budget->add(data, bytes);
  return std::unique_ptr<DeviceBuffer>(new DeviceBuffer(std::move(budget), data, bytes));
}

DeviceBuffer::~DeviceBuffer() {
  budget_->remove(data_, size_);
  // A failure to free has no caller to report to; the device is unusable by then anyway.
  if (data_ != nullptr) static_cast<void>(rt::free_device(data_));
}

Result<PinnedBuffer> PinnedBuffer::create(size_t bytes) {
  PinnedBuffer b;
  void* p = nullptr;
  RF_TRY(RF_GPU_CHECK(rt::malloc_pinned(&p, bytes)));
  b.data_ = static_cast<std::byte*>(p);
  b.size_ = bytes;
  return std::move(b);  // nvcc does not apply the implicit move into Result
}

PinnedBuffer::~PinnedBuffer() {
  if (data_ != nullptr) static_cast<void>(rt::free_pinned(data_));
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) static_cast<void>(rt::free_pinned(data_));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace rocmforge::backend::gpu
