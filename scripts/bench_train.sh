#!/usr/bin/env bash
# Sampled GraphSAGE training throughput on a generated graph (issue: kernels and single-process
# training): 1M nodes, 10M edges, 128-dim features, fanouts 10,5, batch 1024, hidden 256.
# Prints one JSON object (also written to $OUT/bench-train.json).
# Environment: NODES, EDGES, DIM, EPOCHS, DEVICE (cpu|cuda), BUILD_DIR, OUT, NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
OUT=${OUT:-out/bench-train}
NODES=${NODES:-1000000}
EDGES=${EDGES:-10000000}
DIM=${DIM:-128}
EPOCHS=${EPOCHS:-1}
DEVICE=${DEVICE:-cpu}
if [ -z "${NO_BUILD:-}" ]; then
  BUILD_DIR=$BUILD_DIR TARGETS="halo-gen-graph halo-partition halo-train" ./scripts/build.sh >&2
fi
BIN=$BUILD_DIR/bin
mkdir -p "$OUT"
GRAPH=$OUT/graph-$NODES-$EDGES-$DIM
if [ ! -d "$GRAPH" ]; then
  "$BIN/halo-gen-graph" --model=planted --num_nodes="$NODES" --num_edges="$EDGES" \
    --num_communities=64 --feature_dim="$DIM" --num_classes=16 --train_frac=0.1 --val_frac=0.05 \
    --test_frac=0.05 --seed=1 --output="$GRAPH" >&2
fi
"$BIN/halo-partition" --input="$GRAPH" --format=npy --num_parts=1 --output="$OUT/part1" \
  --overwrite > /dev/null
"$BIN/halo-train" --partition_dir="$OUT/part1" --output_dir="$OUT/run" \
  --set "model.type=sage,model.hidden=256,model.num_layers=2,train.mode=sampled,train.fanouts=[10,5],train.batch_size=1024,train.epochs=$EPOCHS,train.eval_every=0,train.device=$DEVICE,dataset.normalize_features=false" \
  > "$OUT/result.json"
/usr/bin/python3 - "$OUT/result.json" "$NODES" "$EDGES" "$DIM" "$DEVICE" <<'PY' | tee "$OUT/bench-train.json"
import json, os, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({
    "benchmark": "sampled_graphsage_training",
    "nodes": int(sys.argv[2]), "edges": int(sys.argv[3]), "feature_dim": int(sys.argv[4]),
    "device": sys.argv[5], "fanouts": [10, 5], "batch_size": 1024, "hidden": 256,
    "epochs": r["epochs"], "epoch_seconds": r["epoch_seconds"],
    "seeds_per_second": r["seeds_per_second"], "threads": os.cpu_count(),
}, indent=2))
PY
