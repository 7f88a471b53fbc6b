#!/usr/bin/python3
"""Bounded staleness on the parameter server: accuracy and time-to-accuracy against the bound s.

For every number of workers, staleness bound s and straggler setting, trains GraphSAGE with
learnable input embeddings and its dense parameters on halo-ps (train.sync.mode=ps) through
halo-launch, then writes <out>/staleness.json, <out>/staleness.md (a table) and <out>/staleness.png
(test accuracy against wall time).

  scripts/staleness_experiment.py --partition_dir out/cora-2parts --out out/staleness-cora
"""
import argparse
import json
import os
import subprocess
import sys


def run(args, workers, s, straggle, out_dir):
    parts = json.load(open(os.path.join(args.partition_dir, "partition.json")))["num_parts"]
    name = f"w{workers}-s{s}-{'straggler' if straggle else 'even'}"
    run_dir = os.path.join(out_dir, name)
    config = os.path.join(out_dir, name + ".yaml")
    straggler = f"{{rank: {workers - 1}, delay_ms: {args.straggler_ms}}}" if straggle else "{rank: -1}"
    with open(config, "w") as f:
        f.write(f"""partition_dir: {os.path.abspath(args.partition_dir)}
output_dir: {os.path.abspath(run_dir)}
store: {{mem_budget_mb: 512, threads: 2}}
ps: {{shards: {args.shards}, threads: 4}}
hosts:
  - {{name: local, address: 127.0.0.1, stores: [{", ".join(str(p) for p in range(parts))}], trainers: {workers}}}
train:
  dataset: {{normalize_features: {"false" if args.raw_features else "true"}}}
  model: {{type: sage, hidden: 64, num_layers: 2, dropout: 0.5}}
  train: {{mode: sampled, fanouts: [10, 10], batch_size: {args.batch_size}, epochs: {args.epochs},
          lr: 0.01, eval_every: {args.eval_every}, seed: {args.seed}, num_threads: 1, prefetch: 2}}
  input_embedding: {{dim: 16, optimizer: sgd, lr: 0.1}}
  sync: {{mode: ps, staleness: {s}}}
  straggler: {straggler}
  checkpoint: {{every_epochs: 0}}
""")
    log = open(os.path.join(out_dir, name + ".log"), "w")
    code = subprocess.call([os.path.join(args.bin_dir, "halo-launch"), "--config", config],
                           stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        sys.exit(f"{name}: halo-launch exited with {code}; see {log.name}")
    result = json.load(open(os.path.join(run_dir, "result.json")))
    curve, t = [], 0.0
    for line in open(os.path.join(run_dir, "rank0", "metrics.jsonl")):
        m = json.loads(line)
        t += m["epoch_seconds"]
        if "test_acc" in m:
            curve.append((t, m["val_acc"], m["test_acc"]))
    reached = [c[0] for c in curve if c[1] >= args.target]
    tables = [r["result"]["staleness"] for r in result["ranks"]]
    stale = [t.get("input_embedding", {}) for t in tables]
    return {
        "workers": workers, "staleness": s, "straggler": straggle,
        "test_acc": result["test_acc"], "val_acc": result["val_acc"],
        "wall_seconds": sum(result["epoch_seconds"]),
        "time_to_target_seconds": reached[0] if reached else None,
        "max_observed_staleness": max(x.get("max_observed_staleness", 0) for x in stale),
        "mean_observed_staleness": sum(x.get("mean_observed_staleness", 0) for x in stale) / len(stale),
        # Pulls a shard held for slower workers, all tables (the dense ones are pulled first).
        "waited_pulls": sum(x.get("waited_pulls", 0) for t in tables for x in t.values()),
        "curve": curve,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--partition_dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--bin_dir", default="build/bin")
    p.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    p.add_argument("--staleness", type=int, nargs="+", default=[0, 1, 4, -1])
    p.add_argument("--straggler_ms", type=int, default=40)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--eval_every", type=int, default=2)
    p.add_argument("--batch_size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", type=float, default=0.70, help="validation accuracy to reach")
    p.add_argument("--label", default="")
    p.add_argument("--raw_features", action="store_true",
                   help="do not row-normalize features (for signed generated features)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    runs = []
    for workers in args.workers:
        for straggle in (False, True):
            for s in args.staleness:
                r = run(args, workers, s, straggle, args.out)
                print(f"workers {workers} s={'inf' if s < 0 else s:>3} "
                      f"{'straggler' if straggle else 'even     '}: test {r['test_acc']:.3f}, "
                      f"{r['wall_seconds']:.1f} s, to val>={args.target}: {r['time_to_target_seconds']}, "
                      f"max staleness {r['max_observed_staleness']}", flush=True)
                runs.append(r)
    json.dump({"label": args.label, "target_val_acc": args.target, "runs": runs},
              open(os.path.join(args.out, "staleness.json"), "w"), indent=2)
    with open(os.path.join(args.out, "staleness.md"), "w") as f:
        f.write("| workers | straggler | s | test acc | wall s | s to val >= %.2f | max / mean observed staleness | waited pulls |\n"
                % args.target)
        f.write("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        for r in runs:
            tt = "-" if r["time_to_target_seconds"] is None else "%.1f" % r["time_to_target_seconds"]
            f.write(f"| {r['workers']} | {'yes' if r['straggler'] else 'no'} | "
                    f"{'inf' if r['staleness'] < 0 else r['staleness']} | {r['test_acc']:.3f} | "
                    f"{r['wall_seconds']:.1f} | {tt} | {r['max_observed_staleness']} / "
                    f"{r['mean_observed_staleness']:.2f} | {r['waited_pulls']} |\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(args.workers), 2, figsize=(11, 4 * len(args.workers)),
                             squeeze=False)
    for i, workers in enumerate(args.workers):
        for j, straggle in enumerate((False, True)):
            ax = axes[i][j]
            for r in runs:
                if r["workers"] != workers or r["straggler"] != straggle:
                    continue
                xs = [c[0] for c in r["curve"]]
                ys = [c[2] for c in r["curve"]]
                ax.plot(xs, ys, marker="o", ms=3,
                        label=f"s = {'inf' if r['staleness'] < 0 else r['staleness']}")
            ax.set_title(f"{args.label} {workers} workers, "
                         f"{'one straggler (+%d ms/step)' % args.straggler_ms if straggle else 'no straggler'}")
            ax.set_xlabel("wall time (s)")
            ax.set_ylabel("test accuracy")
            ax.grid(alpha=0.3)
            ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "staleness.png"), dpi=110)
    print("wrote", os.path.join(args.out, "staleness.json"), os.path.join(args.out, "staleness.md"),
          os.path.join(args.out, "staleness.png"))


if __name__ == "__main__":
    main()
