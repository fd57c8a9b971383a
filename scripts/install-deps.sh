#!/usr/bin/env bash
# Installs the Debian 12 packages the build and tests need. Idempotent: only
# missing packages are installed, so a second run changes nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libfmt-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libpcre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  curl
)
# Node.js (for the server tests' OpenAI client): Debian's, unless a Node.js
# with npm is already installed (e.g. NodeSource's, whose nodejs conflicts
# with Debian's npm).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
if [[ "${ROCMFORGE_WITH_HIP:-1}" == 1 ]]; then
  packages+=(hipcc libamdhip64-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
