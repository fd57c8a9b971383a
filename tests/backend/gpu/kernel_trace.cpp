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
// a kernel: name, start and end (ns, device clock), grid, graph id. State
// lives in the file and in CUPTI's buffers, not in this library.
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
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) continue;
    const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
    std::fprintf(out, "%s,%llu,%llu,%d,%d,%d,%u\n", base_name(k->name).c_str(),
                 static_cast<unsigned long long>(k->start), static_cast<unsigned long long>(k->end), k->gridX,
                 k->gridY, k->gridZ, k->graphId);
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
}

__attribute__((destructor)) void finish_trace() {
  if (trace_path() != nullptr) report(cuptiActivityFlushAll(1), "flush");
}

}  // namespace
