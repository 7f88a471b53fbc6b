#!/usr/bin/env bash
# Sets up the machine, builds Halo with warnings as errors, and runs the whole test suite (ctest).
# GPU tests carry the ctest label `gpu` and skip cleanly without a device.
# Environment: BUILD_DIR (default build-test), JOBS, CTEST_ARGS (extra ctest arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export BUILD_DIR=${BUILD_DIR:-build-test}
./scripts/build.sh -DHALO_WERROR=ON
cd "$BUILD_DIR"
# shellcheck disable=SC2086
ctest --output-on-failure --timeout 600 -j "${JOBS:-$(nproc)}" ${CTEST_ARGS:-}
