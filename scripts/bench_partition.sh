#!/usr/bin/env bash
# Partition benchmark: halo-partition (full pipeline) vs METIS alone, each in its own process.
# Builds the benchmark binaries, then runs build/bin/halo-bench-partition and prints its JSON.
#
#   scripts/bench_partition.sh                       # 1M nodes / 10M edges, k = 4 and 8
#   QUICK=1 scripts/bench_partition.sh               # 100k nodes / 1M edges
#   scripts/bench_partition.sh --parts=16 --output_json=runs/bench.json   # flags pass through
#
# Environment: BUILD_DIR (default build), JOBS (default 2), NO_BUILD=1 to skip the build,
# QUICK=1 for the small graph. Any flag of halo-bench-partition (see --help) may be given.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-2}"
cd "$ROOT"

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD_DIR/build.ninja" && ! -f "$BUILD_DIR/Makefile" ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHALO_BUILD_BENCH=ON >&2
  fi
  cmake --build "$BUILD_DIR" -j "$JOBS" \
    --target halo-partition halo-gen-graph halo-bench-metis-only halo-bench-partition >&2
fi

args=()
if [[ "${QUICK:-0}" == 1 ]]; then
  args+=(--num_nodes=100000 --num_edges=1000000)
fi
exec "$BUILD_DIR/bin/halo-bench-partition" "${args[@]}" "$@"
