// What the running x86-64 processor can execute, read once with cpuid.
#pragma once

#include <string>

namespace rocmforge::core {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;

  bool has_avx2() const { return avx2 && fma && f16c; }
  bool has_avx512() const { return has_avx2() && avx512f && avx512bw && avx512vl; }
  std::string describe() const;
};

const CpuFeatures& cpu_features();

}  // namespace rocmforge::core
