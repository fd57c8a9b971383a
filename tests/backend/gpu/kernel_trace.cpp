// Not a test: every kernel's start and end on the device, for programs that
// replay CUDA graphs. Nsight Compute runs kernels one at a time, so it cannot
// show how a decode step's kernels overlap under programmatic launch, and
// Nsight Systems does not run on the device machine. Loaded by LD_PRELOAD:
//
//   ROCMFORGE_KERNEL_TRACE=trace.csv LD_PRELOAD=librocmforge_kernel_trace.so rocmforge bench ...
//   scripts/trace-steps.py trace.csv 2
//
// At load it turns on CUPTI's concurrent-kernel records (no serialisation);
// each filled buffer is appended to the CSV as CUPTI hands it back, one line
// a kernel (name, start and end in ns of the device clock, grid, graph id),
// memset or memcpy (named so, grid 0). State lives in the file and in
// CUPTI's buffers, not in this library.
#include <cupti.h>
#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Small buffers, so that CUPTI hands most records back as buffers fill:
// whether the last one comes back at exit depends on the order of teardown.
constexpr size_t kBufferBytes = 1u << 20;
constexpr size_t kAlign = 8;

const char* trace_path() { return std::getenv("ROCMFORGE_KERNEL_TRACE"); }

void report(CUptiResult r, const char* what) {
  if (r == CUPTI_SUCCESS) return;
  const char* text = nullptr;
  cuptiGetResultString(r, &text);
  std::fprintf(stderr, "kernel_trace: %s: %s\n", what, text != nullptr ? text : "unknown CUPTI error");
}

// The function's name without namespaces, template arguments or parameters,
// as ncu's --print-kernel-base function gives it.
std::string base_name(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                        &std::free);
  std::string name = status == 0 && demangled ? demangled.get() : mangled;
  const std::string anonymous = "(anonymous namespace)::";
  for (size_t at = name.find(anonymous); at != std::string::npos; at = name.find(anonymous)) {
    name.erase(at, anonymous.size());
  }
  const size_t end = name.find_first_of("<(");
  if (end != std::string::npos) name.resize(end);
  const size_t colon = name.rfind("::");
  if (colon != std::string::npos) name.erase(0, colon + 2);
  const size_t space = name.rfind(' ');  // a return type before the name
  if (space != std::string::npos) name.erase(0, space + 1);
  return name;
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kAlign, kBufferBytes));
  *size = *buffer != nullptr ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid) {
  const std::unique_ptr<uint8_t, decltype(&std::free)> owned(buffer, &std::free);
  const char* path = trace_path();
  std::FILE* out = path != nullptr ? std::fopen(path, "a") : nullptr;
  if (out == nullptr) return;
  CUpti_Activity* record = nullptr;
  auto line = [out](const char* name, uint64_t start, uint64_t end, int x, int y, int z, uint32_t graph) {
    std::fprintf(out, "%s,%llu,%llu,%d,%d,%d,%u\n", name, static_cast<unsigned long long>(start),
                 static_cast<unsigned long long>(end), x, y, z, graph);
  };
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) {
      const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
      line(base_name(k->name).c_str(), k->start, k->end, k->gridX, k->gridY, k->gridZ, k->graphId);
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMSET) {
      const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(record);
      line("memset", m->start, m->end, 0, 0, 0, m->graphId);
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
      const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
      line("memcpy", m->start, m->end, 0, 0, 0, m->graphId);
    }
  }
  std::fclose(out);
}

__attribute__((constructor)) void start_trace() {
  const char* path = trace_path();
  if (path == nullptr) return;
  std::FILE* out = std::fopen(path, "w");
  if (out == nullptr) {
    std::fprintf(stderr, "kernel_trace: cannot write %s\n", path);
    return;
  }
  std::fputs("name,start_ns,end_ns,grid_x,grid_y,grid_z,graph\n", out);
  std::fclose(out);
  report(cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed), "register callbacks");
  report(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "enable kernel records");
  // Copies and fills take device time between kernels too (a library's own memsets, say).
  report(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMSET), "enable memset records");
  report(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY), "enable memcpy records");
}

__attribute__((destructor)) void finish_trace() {
  if (trace_path() != nullptr) report(cuptiActivityFlushAll(1), "flush");
}

}  // namespace
