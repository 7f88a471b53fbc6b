#!/usr/bin/env bash
# Sets up the machine, builds Halo, and runs the main job on the bundled Cora dataset.
# For now the job is partitioning: Cora into 2 parts with METIS and 1-hop halos.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TARGETS="halo-partition" ./scripts/build.sh
OUT=${OUT:-out}
mkdir -p "$OUT"
echo
echo "== Partitioning Cora into 2 parts =="
./build/bin/halo-partition \
  --input=data/cora/planetoid_txt --format=planetoid-txt \
  --num_parts=2 --halo_hops=1 --balance=nodes,train \
  --output="$OUT/cora-2parts" --overwrite \
  --summary_json="$OUT/cora-2parts-summary.json"
echo
echo "Partition written to $OUT/cora-2parts (format: docs/partition-format.md)"
echo "Summary JSON: $OUT/cora-2parts-summary.json"
