#!/usr/bin/env bash
# Builds the parameter-server tests (and halo-ps) with ThreadSanitizer in their own build directory
# and runs them: the in-process consistency and stress tests exercise every lock of the shards and
# the client; the process test runs TSan-built halo-ps shards. libzmq and the system GoogleTest are
# not instrumented; scripts/tsan_ps.supp silences reports from inside libzmq (a message malloc'ed
# by libzmq on a server thread and copied by ZeroMQ's I/O thread: a hand-off TSan cannot see).
# Environment: BUILD_DIR (default build-tsan-ps), JOBS (default 2), GTEST_ARGS (extra arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-tsan-ps}
FLAGS="-fsanitize=thread -fno-omit-frame-pointer -g -O1"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHALO_WITH_CUDA=OFF \
  -DHALO_BUILD_BENCH=OFF -DHALO_WERROR=ON \
  -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_C_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
  >/dev/null
TESTS="ps_table_test ps_consistency_test ps_stress_test ps_process_test"
# shellcheck disable=SC2086
ninja -C "$BUILD_DIR" -j "${JOBS:-2}" halo-ps $TESTS
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan_ps.supp"
status=0
for t in $TESTS; do
  echo "== $t (ThreadSanitizer)"
  # shellcheck disable=SC2086
  if ! "$BUILD_DIR/bin/$t" ${GTEST_ARGS:-}; then
    echo "tsan_ps: $t FAILED" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "tsan_ps: all parameter-server tests pass under ThreadSanitizer"
exit "$status"
