# CMake's HIP language on Debian's ROCm packages (hipcc, libamdhip64-dev 5.2).
#
# CMake 3.25 looks for the HIP runtime's package at <rocm>/lib/cmake/hip-lang,
# while Debian installs it under /usr/lib/<arch>/cmake, and clang finds
# neither the runtime headers nor the device libraries on its own there.
# This points clang at them and gives CMake a ROCm root (in the build
# directory) whose lib/cmake/hip-lang is Debian's. Elsewhere (a real ROCm
# install, or settings from the command line) it does nothing.

set(_rf_debian_hip /usr/lib/x86_64-linux-gnu/cmake/hip-lang)
if(NOT DEFINED CMAKE_HIP_COMPILER AND NOT DEFINED ENV{HIPCXX} AND EXISTS ${_rf_debian_hip}
   AND EXISTS /usr/lib/llvm-15/bin/clang++)
  set(CMAKE_HIP_COMPILER /usr/lib/llvm-15/bin/clang++)
  set(CMAKE_HIP_FLAGS "--rocm-path=/usr --rocm-device-lib-path=/usr/lib/x86_64-linux-gnu/amdgcn/bitcode"
      CACHE STRING "Flags for the HIP compiler")
  set(_rf_root ${CMAKE_BINARY_DIR}/rocm-root)
  file(MAKE_DIRECTORY ${_rf_root}/lib/cmake)
  file(CREATE_LINK ${_rf_debian_hip} ${_rf_root}/lib/cmake/hip-lang SYMBOLIC)
  set(CMAKE_HIP_COMPILER_ROCM_ROOT ${_rf_root})
  # The test projects CMake builds while enabling HIP find hip-lang's
  # dependencies (amd_comgr, hsa-runtime64) through this variable.
  # (an environment path list: ':' separated).
  if(DEFINED ENV{CMAKE_PREFIX_PATH})
    set(ENV{CMAKE_PREFIX_PATH} "/usr/lib/x86_64-linux-gnu/cmake:$ENV{CMAKE_PREFIX_PATH}")
  else()
    set(ENV{CMAKE_PREFIX_PATH} "/usr/lib/x86_64-linux-gnu/cmake")
  endif()
endif()
unset(_rf_debian_hip)
