#!/usr/bin/env bash
# Installs every system dependency Halo needs (all modules of ARCHITECTURE.md) with apt-get.
# Idempotent and non-interactive: packages already present are skipped without touching apt.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  zlib1g-dev
  libmetis-dev
  librocksdb-dev libtbb-dev
  libzmq3-dev cppzmq-dev
  libgloo-dev
  libgflags-dev libgoogle-glog-dev
  libyaml-cpp-dev
  nlohmann-json3-dev
  libspdlog-dev libfmt-dev
  libopenblas-dev libopenblas-openmp-dev
  libfaiss-dev
  libcpp-httplib-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
  clang libclang-rt-14-dev
  iproute2 procps curl
  python3 python3-numpy python3-matplotlib
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] all ${#PACKAGES[@]} system packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "[setup] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "[setup] done"
