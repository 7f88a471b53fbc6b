#!/usr/bin/env bash
# Sets up the machine, builds Halo, and runs the main job on the bundled Cora dataset:
# partition it (2 parts, METIS, 2-hop halos), serve each part with halo-store and query them,
# then train a GCN on Cora and report its test accuracy.
# (Distributed training with halo-launch and embedding serving come with later milestones.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TARGETS="halo-partition halo-store halo-query halo-train" ./scripts/build.sh
OUT=${OUT:-out}
RUNS=${RUNS:-runs}
mkdir -p "$OUT" "$RUNS"

echo
echo "== 1/4 Partitioning Cora into 2 parts =="
./build/bin/halo-partition \
  --input=data/cora/planetoid_txt --format=planetoid-txt \
  --num_parts=2 --halo_hops=2 --balance=nodes,train \
  --output="$OUT/cora-2parts" --overwrite \
  --summary_json="$OUT/cora-2parts-summary.json"

echo
echo "== 2/4 Serving both parts with halo-store and querying them =="
STORE_PIDS=()
cleanup() { for pid in "${STORE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
for part in 0 1; do
  rm -f "$OUT/store$part.ready"
  ./build/bin/halo-store --partition_dir="$OUT/cora-2parts" --part=$part \
    --bind=tcp://127.0.0.1:0 --ready_file="$OUT/store$part.ready" > "$OUT/store$part.log" 2>&1 &
  STORE_PIDS+=($!)
done
for part in 0 1; do  # each store writes its endpoint once it serves (bounded wait)
  for _ in $(seq 300); do [ -s "$OUT/store$part.ready" ] && break; sleep 0.1; done
  [ -s "$OUT/store$part.ready" ] || { echo "halo-store part $part did not start:"; cat "$OUT/store$part.log"; exit 1; }
done
ENDPOINTS="$(cat "$OUT/store0.ready"),$(cat "$OUT/store1.ready")"
echo "stores: $ENDPOINTS"
# Labels and 5 sampled in-neighbors of three papers, by their original Planetoid IDs.
./build/bin/halo-query --partition_dir="$OUT/cora-2parts" --endpoints="$ENDPOINTS" \
  labels --ids=0,1,2 --original_ids
./build/bin/halo-query --partition_dir="$OUT/cora-2parts" --endpoints="$ENDPOINTS" \
  sample --ids=0,1,2 --original_ids --fanout=5
cleanup
STORE_PIDS=()

echo
echo "== 3/4 Partitioning Cora into 1 part (single-process training) =="
./build/bin/halo-partition \
  --input=data/cora/planetoid_txt --format=planetoid-txt \
  --num_parts=1 --output="$OUT/cora-1part" --overwrite > /dev/null

echo
echo "== 4/4 Training a 2-layer GCN on Cora (200 epochs) =="
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
