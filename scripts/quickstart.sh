#!/usr/bin/env bash
# Sets up the machine, builds Halo, and runs the main job on the bundled Cora dataset:
# partition it (2 parts, METIS, 1-hop halos), then train a GCN on it and report test accuracy.
# (Distributed training with halo-launch and serving come with later milestones.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TARGETS="halo-partition halo-train" ./scripts/build.sh
OUT=${OUT:-out}
RUNS=${RUNS:-runs}
mkdir -p "$OUT" "$RUNS"

echo
echo "== 1/3 Partitioning Cora into 2 parts =="
./build/bin/halo-partition \
  --input=data/cora/planetoid_txt --format=planetoid-txt \
  --num_parts=2 --halo_hops=2 --balance=nodes,train \
  --output="$OUT/cora-2parts" --overwrite \
  --summary_json="$OUT/cora-2parts-summary.json"

echo
echo "== 2/3 Partitioning Cora into 1 part (single-process training) =="
./build/bin/halo-partition \
  --input=data/cora/planetoid_txt --format=planetoid-txt \
  --num_parts=1 --output="$OUT/cora-1part" --overwrite > /dev/null

echo
echo "== 3/3 Training a 2-layer GCN on Cora (200 epochs) =="
./build/bin/halo-train --config configs/cora-gcn.yaml \
  --partition_dir="$OUT/cora-1part" --output_dir="$RUNS/cora-gcn" > "$RUNS/cora-gcn.result.json"
/usr/bin/python3 - "$RUNS/cora-gcn.result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"GCN on Cora: test accuracy {100 * r['test_acc']:.1f}% "
      f"(best validation {100 * r['val_acc']:.1f}% at epoch {r['best_epoch']}), "
      f"{1000 * r['mean_epoch_seconds']:.1f} ms per epoch")
PY
echo
echo "Partition: $OUT/cora-2parts (docs/partition-format.md)"
echo "Training run: $RUNS/cora-gcn (metrics.jsonl, result.json; plot: scripts/plot_metrics.py $RUNS/cora-gcn)"
