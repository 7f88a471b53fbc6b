#!/usr/bin/env bash
# Distributed sampled GraphSAGE on a generated graph (issue: distributed training): 1, 2 and 4
# trainers on this host through halo-launch (one part and one halo-store per trainer), 1M nodes,
# 10M edges, 128-dim features, fanouts 10,5, batch 1024, hidden 256. Reports epoch time, seed
# nodes/s and where the time goes (sampling, feature fetch, compute, all-reduce) as one JSON object
# (also written to $OUT/bench-dist-train.json).
# Environment: NODES, EDGES, DIM, EPOCHS, TRAINERS (default "1 2 4"), DEVICE (cpu|cuda),
# THREADS (OpenMP threads per trainer; default: cores / trainers, at least 1), BUILD_DIR, OUT,
# NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
OUT=${OUT:-out/bench-train}
NODES=${NODES:-1000000}
EDGES=${EDGES:-10000000}
DIM=${DIM:-128}
EPOCHS=${EPOCHS:-1}
TRAINERS=${TRAINERS:-"1 2 4"}
DEVICE=${DEVICE:-cpu}
if [ -z "${NO_BUILD:-}" ]; then
  BUILD_DIR=$BUILD_DIR TARGETS="halo-gen-graph halo-partition halo-store halo-train halo-launch" \
    ./scripts/build.sh >&2
fi
BIN=$BUILD_DIR/bin
mkdir -p "$OUT"
GRAPH=$OUT/graph-$NODES-$EDGES-$DIM
if [ ! -d "$GRAPH" ]; then
  "$BIN/halo-gen-graph" --model=planted --num_nodes="$NODES" --num_edges="$EDGES" \
    --num_communities=64 --feature_dim="$DIM" --num_classes=16 --train_frac=0.1 --val_frac=0.05 \
    --test_frac=0.05 --seed=1 --output="$GRAPH" >&2
fi
RESULTS=()
for n in $TRAINERS; do
  PARTS=$OUT/dist-part$n
  if [ ! -f "$PARTS/partition.json" ]; then
    "$BIN/halo-partition" --input="$GRAPH" --format=npy --num_parts="$n" --halo_hops=2 \
      --balance=nodes,train --output="$PARTS" --overwrite > /dev/null
  fi
  threads=${THREADS:-$(( $(nproc) / n > 0 ? $(nproc) / n : 1 ))}
  stores=$(seq -s, 0 $((n - 1)))
  cat > "$OUT/dist-$n.yaml" <<YAML
partition_dir: $PARTS
output_dir: $OUT/dist-run$n
store: {mem_budget_mb: 4096, threads: 2}
hosts:
  - {name: local, address: 127.0.0.1, stores: [$stores], trainers: $n}
train:
  dataset: {normalize_features: false}
  model: {type: sage, hidden: 256, num_layers: 2}
  train: {mode: sampled, fanouts: [10, 5], batch_size: 1024, epochs: $EPOCHS, eval_every: 0,
          device: $DEVICE, num_threads: $threads, prefetch: 2, loader_threads: 1}
  checkpoint: {every_epochs: 0}
YAML
  "$BIN/halo-launch" --config "$OUT/dist-$n.yaml" > "$OUT/dist-$n.log" 2>&1 ||
    { echo "halo-launch with $n trainers failed:" >&2; tail -20 "$OUT/dist-$n.log" >&2; exit 1; }
  RESULTS+=("$OUT/dist-run$n/result.json")
done
/usr/bin/python3 - "$NODES" "$EDGES" "$DIM" "$DEVICE" "${RESULTS[@]}" <<'PY' | tee "$OUT/bench-dist-train.json"
import json, os, sys
nodes, edges, dim, device = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = []
for path in sys.argv[5:]:
    r = json.load(open(path))
    ranks = [x["result"] for x in r["ranks"]]
    epochs = ranks[0]["epoch_seconds"]
    n_epochs = len(epochs)
    # Per-epoch phase seconds, averaged over ranks (loader threads' time is separate).
    phases = {k: sum(x["phase_seconds"][k] for x in ranks) / len(ranks) / n_epochs
              for k in ("sample", "fetch", "wait", "compute", "allreduce")}
    runs.append({"trainers": r["world_size"], "epoch_seconds": sum(epochs) / n_epochs,
                 "seeds_per_second": ranks[0]["seeds_per_second"],
                 "steps_per_epoch": ranks[0]["steps_per_epoch"],
                 "phase_seconds_per_epoch": phases,
                 "remote_feature_rows": sum(x["remote_feature_rows"] for x in ranks)})
base = runs[0]["seeds_per_second"]
for run in runs:
    run["speedup_vs_first"] = run["seeds_per_second"] / base
print(json.dumps({"benchmark": "distributed_sampled_graphsage", "nodes": nodes, "edges": edges,
                  "feature_dim": dim, "device": device, "fanouts": [10, 5], "batch_size": 1024,
                  "hidden": 256, "cores": os.cpu_count(), "runs": runs}, indent=2))
PY
