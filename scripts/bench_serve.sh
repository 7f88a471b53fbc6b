#!/usr/bin/env bash
# Load test of halo-serve's HTTP service on loopback (issue: halo-embed and halo-serve): 1M x 64
# clustered embeddings, IVF index, 4 closed-loop keep-alive clients, 10 s per case: single
# lookups, 256-ID batch lookups, k = 10 similarity queries. Prints one JSON object (also written
# to $OUT/bench-serve.json); exits non-zero if any request failed.
# Environment: NODES, DIM, CASE_SECONDS, CLIENTS, BUILD_DIR, OUT, NO_BUILD=1. Extra arguments go to
# halo-bench-serve (--help lists them), e.g. --index=flat --nprobe=64.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
OUT=${OUT:-out/bench-serve}
NODES=${NODES:-1000000}
DIM=${DIM:-64}
CASE_SECONDS=${CASE_SECONDS:-10}
CLIENTS=${CLIENTS:-4}
if [ -z "${NO_BUILD:-}" ]; then
  BUILD_DIR=$BUILD_DIR TARGETS="halo-bench-serve" ./scripts/build.sh >&2
fi
mkdir -p "$OUT"
"$BUILD_DIR/bin/halo-bench-serve" --num_nodes="$NODES" --dim="$DIM" --seconds="$CASE_SECONDS" \
  --clients="$CLIENTS" "$@" | tee "$OUT/bench-serve.json"
