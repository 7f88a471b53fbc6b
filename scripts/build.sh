#!/usr/bin/env bash
# Configures and builds Halo into build/ (Release). Extra arguments go to CMake, e.g.
#   ./scripts/build.sh -DHALO_WITH_CUDA=OFF
# Environment: BUILD_DIR (default build), JOBS (default: number of cores), TARGETS (default all).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
GENERATOR=()
if command -v ninja >/dev/null 2>&1; then GENERATOR=(-G Ninja); fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" "$@"
fi
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" --parallel "$JOBS" ${TARGETS:+--target $TARGETS}
