#include "core/cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace rocmforge::core {
namespace {

#if defined(__x86_64__)
bool bit(unsigned reg, int n) { return ((reg >> n) & 1u) != 0; }

// The OS must save the YMM (and for AVX-512 the ZMM/opmask) registers on context
// switches, or using them corrupts other threads' state: XGETBV says whether it does.
unsigned long long xcr0() {
  unsigned eax = 0;
  unsigned edx = 0;
  __asm__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return f;
  const bool osxsave = bit(ecx, 27);
  const unsigned long long xcr = osxsave ? xcr0() : 0;
  const bool ymm_saved = (xcr & 0x6) == 0x6;
  const bool zmm_saved = (xcr & 0xE6) == 0xE6;
  f.fma = bit(ecx, 12) && ymm_saved;
  f.f16c = bit(ecx, 29) && ymm_saved;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return f;
  f.avx2 = bit(ebx, 5) && ymm_saved;
  f.avx512f = bit(ebx, 16) && zmm_saved;
  f.avx512bw = bit(ebx, 30) && zmm_saved;
  f.avx512vl = bit(ebx, 31) && zmm_saved;
  f.avx512vnni = bit(ecx, 11) && zmm_saved;
  unsigned eax1 = 0, ebx1 = 0, ecx1 = 0, edx1 = 0;
  if (__get_cpuid_count(7, 1, &eax1, &ebx1, &ecx1, &edx1) != 0) f.avx512bf16 = bit(eax1, 5) && zmm_saved;
#endif
  return f;
}

}  // namespace

std::string CpuFeatures::describe() const {
  std::string out;
  auto add = [&out](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(avx2, "AVX2");
  add(fma, "FMA");
  add(f16c, "F16C");
  add(avx512f, "AVX512F");
  add(avx512bw, "AVX512BW");
  add(avx512vl, "AVX512VL");
  add(avx512vnni, "AVX512_VNNI");
  add(avx512bf16, "AVX512_BF16");
  return out.empty() ? "none" : out;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();  // immutable once detected
  return features;
}

}  // namespace rocmforge::core
