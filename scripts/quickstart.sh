#!/usr/bin/env bash
# Sets up the machine, builds Halo, and runs the main job on the bundled Cora dataset:
#   1. partition it (2 parts, METIS, 2-hop halos),
#   2. train GraphSAGE with 2 workers on this host (halo-launch: a halo-store per part, 2 trainers,
#      gradients all-reduced with Gloo),
#   3. write every paper's embedding with layer-wise inference (halo-embed),
#   4. serve the embeddings over HTTP (halo-serve) and query them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TARGETS="halo-partition halo-store halo-train halo-launch halo-embed halo-serve" ./scripts/build.sh
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
echo "== 2/4 Training GraphSAGE with 2 workers (halo-launch configs/cora-2parts.yaml) =="
./build/bin/halo-launch --config configs/cora-2parts.yaml \
  --partition_dir="$OUT/cora-2parts" --output_dir="$RUNS/cora-2parts"
/usr/bin/python3 - "$RUNS/cora-2parts/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
epochs = r["epoch_seconds"]
print(f"GraphSAGE on Cora, {r['world_size']} workers: test accuracy {100 * r['test_acc']:.1f}% "
      f"(best validation {100 * r['val_acc']:.1f}%), "
      f"{1000 * sum(epochs) / len(epochs):.0f} ms per epoch, {r['wall_seconds']:.1f} s in all")
PY

echo
echo "== 3/4 Embedding every paper (halo-embed, layer-wise inference over both parts) =="
./build/bin/halo-embed --run_dir="$RUNS/cora-2parts" --output="$OUT/cora-embeddings" --overwrite

echo
echo "== 4/4 Serving the embeddings (halo-serve) and querying them =="
SERVE_LOG="$OUT/halo-serve.log"
./build/bin/halo-serve --embeddings="$OUT/cora-embeddings" --port=0 > "$SERVE_LOG" 2>&1 &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 300); do  # the ready line names the port (bounded wait)
  URL=$(grep -o 'on http://[0-9.:]*' "$SERVE_LOG" | head -1 | cut -c4-) || true
  [ -n "$URL" ] && break
  kill -0 $SERVE_PID 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || { echo "halo-serve did not start:"; cat "$SERVE_LOG"; exit 1; }
grep -m1 "^halo-serve: serving" "$SERVE_LOG"
echo "\$ curl $URL/v1/embeddings/35?by=original   (paper 35, by its Planetoid ID; first values)"
curl -sf "$URL/v1/embeddings/35?by=original" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
print(json.dumps({k: (v[:4] + ["..."] if isinstance(v, list) and len(v) > 4 else v) for k, v in r.items()}))'
echo "\$ curl $URL/v1/similar/35?by=original&k=5"
curl -sf "$URL/v1/similar/35?by=original&k=5"
echo
kill $SERVE_PID
wait $SERVE_PID 2>/dev/null || true
trap - EXIT
echo
echo "Partition: $OUT/cora-2parts (docs/partition-format.md)"
echo "Training run: $RUNS/cora-2parts (result.json, rank*/metrics.jsonl; plot: scripts/plot_metrics.py $RUNS/cora-2parts/rank0)"
echo "Embeddings: $OUT/cora-embeddings (docs/halo-serve.md)"
