#!/usr/bin/env bash
# Copies what the build needs from this machine's Debian packages into .deps/
# (git-ignored), for a machine that has the CUDA toolkit, CMake and Ninja but
# none of the project's Debian packages (the GPU device machine). Configure
# there with -DCMAKE_PREFIX_PATH=$PWD/.deps, PATH=.deps/bin:$PATH and
# PKG_CONFIG_PATH=.deps/lib/pkgconfig; scripts/gpu-check.sh does.
#
#   fmt          headers only, used header-only (fmt::fmt carries FMT_HEADER_ONLY)
#   CLI11, nlohmann-json, cpp-httplib: headers
#   PCRE2        pcre2.h, the static libpcre2-8.a and its .pc file, plus pkgconf
#   GoogleTest   its sources, built as part of the project there
#
#   scripts/stage-deps.sh [BUILD_DIR [BASE_BUILD_DIR]]
# With a CUDA build directory made here (cmake -DROCMFORGE_CUDA=ON, targets
# rocmforge gpu_backend_test gpu_kernel_bench), its programs also go into
# .deps/prebuilt.tar.xz, which scripts/gpu-check.sh runs instead of building
# (minutes of device time saved; the shared libraries they need are staged),
# with the commit they were built from in .deps/prebuilt-commit. With a
# second build directory (another commit's), its rocmforge goes in too, for
# gpu-check's benchmarks to compare against in the same call.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps=$root/.deps
rm -rf "$deps"
mkdir -p "$deps"/{include,lib/cmake,lib/pkgconfig,bin,src}

need() {
  for p in "$@"; do
    [[ -e $p ]] || { echo "stage-deps: $p is missing (run scripts/install-deps.sh)" >&2; exit 1; }
  done
}
need /usr/lib/x86_64-linux-gnu/libcpp-httplib.so.0.11 /usr/include/fmt /usr/include/CLI /usr/include/nlohmann /usr/include/httplib.h /usr/include/pcre2.h \
  /usr/lib/x86_64-linux-gnu/libpcre2-8.a /usr/src/googletest /usr/bin/pkgconf /usr/lib/x86_64-linux-gnu/libpkgconf.so.3

cp -r /usr/include/fmt /usr/include/CLI /usr/include/nlohmann /usr/include/httplib.h /usr/include/pcre2.h \
  "$deps/include/"
cp /usr/lib/x86_64-linux-gnu/libpcre2-8.a "$deps/lib/"
# The shared libraries a build made here links, so such a build can run there too.
runtime=(libfmt.so.9 libpcre2-8.so.0 libcpp-httplib.so.0.11 libssl.so.3 libcrypto.so.3 libz.so.1
  libbrotlicommon.so.1 libbrotlidec.so.1 libbrotlienc.so.1)
for lib in "${runtime[@]}"; do cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$deps/lib/"; done
ln -s libcpp-httplib.so.0.11 "$deps/lib/libcpp-httplib.so"
cp /usr/bin/pkgconf "$deps/bin/pkg-config"
cp /usr/lib/x86_64-linux-gnu/libpkgconf.so.3 "$deps/lib/"
mkdir -p "$deps/src/googletest"
cp -r /usr/src/googletest/CMakeLists.txt /usr/src/googletest/googletest /usr/src/googletest/googlemock \
  "$deps/src/googletest/"
rm -rf "$deps"/src/googletest/*/docs "$deps"/src/googletest/*/test "$deps"/src/googletest/*/samples

# Version files: find_package(<name> <version>) accepts any requested version up to the staged one.
version_file() {  # name version
  cat > "$deps/lib/cmake/$1/$1ConfigVersion.cmake" <<EOF
set(PACKAGE_VERSION "$2")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
endif()
EOF
}

mkdir -p "$deps/lib/cmake/fmt"
cat > "$deps/lib/cmake/fmt/fmtConfig.cmake" <<'EOF'
if(NOT TARGET fmt::fmt)
  add_library(fmt::fmt INTERFACE IMPORTED)
  set_target_properties(fmt::fmt PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/../../../include"
    INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
  add_library(fmt::fmt-header-only ALIAS fmt::fmt)
endif()
EOF
version_file fmt 9.1.0

# A header-only package: <name>Config.cmake defining the imported target the project links.
header_package() {  # name target version
  mkdir -p "$deps/lib/cmake/$1"
  cat > "$deps/lib/cmake/$1/$1Config.cmake" <<EOF
if(NOT TARGET $2)
  add_library($2 INTERFACE IMPORTED)
  set_target_properties($2 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "\${CMAKE_CURRENT_LIST_DIR}/../../../include")
endif()
EOF
  version_file "$1" "$3"
}
json_version() {
  sed -n "s/^#define NLOHMANN_JSON_VERSION_$1 \\([0-9]*\\).*/\\1/p" /usr/include/nlohmann/detail/abi_macros.hpp | head -1
}
header_package CLI11 CLI11::CLI11 2.1.2
header_package nlohmann_json nlohmann_json::nlohmann_json "$(json_version MAJOR).$(json_version MINOR).0"
header_package httplib httplib::httplib 0.11.4

# GoogleTest from source, inside the project's build (FindGTest tries this config first).
mkdir -p "$deps/lib/cmake/GTest"
cat > "$deps/lib/cmake/GTest/GTestConfig.cmake" <<'EOF'
if(NOT TARGET GTest::gtest)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory("${CMAKE_CURRENT_LIST_DIR}/../../../src/googletest" "${CMAKE_BINARY_DIR}/_deps/googletest"
                   EXCLUDE_FROM_ALL)
  foreach(lib gtest gtest_main gmock gmock_main)  # GoogleTest 1.11+ makes these aliases itself
    if(NOT TARGET GTest::${lib})
      add_library(GTest::${lib} ALIAS ${lib})
    endif()
  endforeach()
endif()
EOF
version_file GTest 1.12.1

cat > "$deps/lib/pkgconfig/libpcre2-8.pc" <<'EOF'
prefix=${pcfiledir}/../..
libdir=${prefix}/lib
includedir=${prefix}/include

Name: libpcre2-8
Description: PCRE2 8-bit library (static, staged from Debian)
Version: 10.42
Libs: -L${libdir} -lpcre2-8
Cflags: -I${includedir} -DPCRE2_STATIC
EOF

# cpp-httplib as Debian builds it (a shared library); without its TLS and
# compression switches, whose headers the device machine lacks.
cat > "$deps/lib/pkgconfig/cpp-httplib.pc" <<'EOF'
prefix=${pcfiledir}/../..
libdir=${prefix}/lib
includedir=${prefix}/include

Name: cpp-httplib
Description: cpp-httplib (staged from Debian)
Version: 0.11.4
Libs: -L${libdir} -lcpp-httplib
Cflags: -I${includedir}
EOF

if (($# > 0)); then
  # With a second argument, that build's rocmforge goes in as bin/rocmforge-base,
  # which gpu-check benchmarks beside bin/rocmforge in the same call. xz -9's
  # window spans the programs, whose GPU code is mostly alike: two builds take
  # little more room than one, within the device tool's 64 MiB carry.
  stage=$(mktemp -d)
  mkdir -p "$stage/bin"
  cp "$1"/bin/rocmforge "$1"/bin/gpu_backend_test "$1"/bin/gpu_kernel_bench "$stage/bin/"
  if (($# > 1)); then cp "$2/bin/rocmforge" "$stage/bin/rocmforge-base"; fi
  XZ_OPT="-9 -T2" tar -cJf "$deps/prebuilt.tar.xz" -C "$stage" bin
  rm -rf "$stage"
  # The tree they were built from, for gpu-check's header (the device's copy
  # of the repository may carry an older .git).
  echo "$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src tests || echo +changes)" \
    > "$deps/prebuilt-commit"
  if (($# > 1)); then echo "base: $2" >> "$deps/prebuilt-commit"; fi
fi
echo "stage-deps: $(du -sh "$deps" | cut -f1) in $deps"
