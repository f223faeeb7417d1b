#!/usr/bin/env bash
# Install what recur needs from Debian 12's packages, only what is missing.
#   scripts/install-deps.sh           build, tests, benchmarks
#   scripts/install-deps.sh --neon    also the AArch64 cross toolchain, arm64 libraries, qemu
set -euo pipefail

want=(gcc g++ make cmake ninja-build pkg-config libsleef-dev libcmocka-dev libbenchmark-dev
      libcairo2-dev libhdf5-dev libzip-dev libjansson-dev python3 python3-venv
      clang libclang-rt-14-dev libomp-14-dev python3-torch libopenmpi-dev openmpi-bin)
if [[ "${1:-}" == "--neon" ]]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  want+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
         libsleef-dev:arm64 libcmocka-dev:arm64 libgomp1:arm64)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -eq 0 ]] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
