#!/usr/bin/python3
"""Plots a training run's metrics.jsonl (one JSON object per epoch) into a PNG.

Usage: scripts/plot_metrics.py runs/cora-gcn [more run dirs or metrics.jsonl files] -o plot.png

Left: training loss per epoch. Right: validation and test accuracy. Several runs are overlaid
with their directory names as labels. Uses Debian's python3-matplotlib (scripts/setup.sh).
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "metrics.jsonl")
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{number}: not JSON: {e}")
    if not rows:
        sys.exit(f"{path}: no metrics")
    return path, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run directories or metrics.jsonl files")
    parser.add_argument("-o", "--output", default="metrics.png", help="PNG to write")
    args = parser.parse_args()

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for run in args.runs:
        path, rows = load(run)
        label = os.path.basename(os.path.dirname(os.path.abspath(path)))
        epochs = [r["epoch"] for r in rows]
        ax_loss.plot(epochs, [r["loss"] for r in rows], label=label)
        evals = [r for r in rows if "val_acc" in r]
        ax_acc.plot([r["epoch"] for r in evals], [r["val_acc"] for r in evals], label=f"{label} val")
        ax_acc.plot([r["epoch"] for r in evals], [r["test_acc"] for r in evals], "--",
                    label=f"{label} test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_loss.set_yscale("log")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
