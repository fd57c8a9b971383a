// Device and pinned host memory owned RAII-style, and the budget every
// device allocation of one backend is checked against (a fraction of the
// memory that was free when the backend started: --gpu-mem-fraction).
#pragma once

#include <cstddef>
#include <map>
#include <memory>

#include "backend/backend.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Bytes in use against the budget, and the live allocations (so copies can
// be checked against them).
class MemoryBudget {
 public:
  explicit MemoryBudget(size_t limit) : limit_(limit) {}
  size_t limit() const { return limit_; }
  size_t used() const { return used_; }
  size_t available() const { return limit_ - used_; }

  // kOutOfMemory naming `what`, the bytes asked for and those left, when they do not fit.
  Status reserve(size_t bytes, const char* what) const;
  void add(const void* base, size_t bytes);
  void remove(const void* base, size_t bytes);
  // Counts frees: whatever remembers device addresses (recorded graphs,
  // converted activations) is stale once this has moved.
  uint64_t frees() const { return frees_; }
  // Whether [p, p + bytes) lies inside one live allocation.
  bool contains(const void* p, size_t bytes) const;

 private:
  size_t limit_;
  size_t used_ = 0;
  uint64_t frees_ = 0;
  std::map<uintptr_t, size_t> live_;  // base -> size
};

class DeviceBuffer final : public Buffer {
 public:
  // Allocates `bytes` of device memory counted against `budget`.
  static Result<std::unique_ptr<DeviceBuffer>> create(std::shared_ptr<MemoryBudget> budget, size_t bytes,
                                                      const char* what);
  ~DeviceBuffer() override;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  DeviceBuffer(std::shared_ptr<MemoryBudget> budget, void* data, size_t size)
      : budget_(std::move(budget)), data_(data), size_(size) {}
  std::shared_ptr<MemoryBudget> budget_;
  void* data_;
  size_t size_;
};

class PinnedBuffer {
 public:
  static Result<PinnedBuffer> create(size_t bytes);
  PinnedBuffer() = default;
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// Pinned host memory behind the Buffer interface (Backend::allocate_host).
class PinnedHostBuffer final : public Buffer {
 public:
  explicit PinnedHostBuffer(PinnedBuffer memory) : memory_(std::move(memory)) {}
  void* data() const override { return memory_.data(); }
  size_t size() const override { return memory_.size(); }

 private:
  PinnedBuffer memory_;
};

}  // namespace rocmforge::backend::gpu
